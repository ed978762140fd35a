import Checkpoint
import Engine
import Foundation
import UntrustedInput

extension CheckpointReader {
    /// Opens a checkpoint and checks its networks against the StyleGAN2 layout (docs/checkpoint-format.md §4).
    public convenience init(path: String) throws {
        try self.init(path: path, layout: StyleGAN2Layout())
    }

    public static func open(_ path: String) throws -> CheckpointReader { try CheckpointReader(path: path) }

    /// The StyleGAN2 architecture of the file's networks.
    public var architecture: Architecture {
        get throws {
            do { return try Architecture(document: architectureDocument) }
            catch { throw NetworkError("\(path.escapedForDisplay): \(error)") }
        }
    }
}

extension CheckpointWriter {
    public convenience init(path: String, architecture: Architecture, durable: Bool = true) throws {
        try self.init(path: path, architectureDocument: architecture.document, durable: durable)
    }
}

extension ParameterSet {
    /// Every tensor of `network` in a checkpoint, in stored order.
    public init(reader: CheckpointReader, network: String) throws {
        guard reader.networkNames.contains(network) else {
            throw NetworkError("\(reader.path) has no network '\(network)' (it has: \(reader.networkNames.joined(separator: ", ")))")
        }
        let entries = try reader.tensorNames(network: network).map { try reader.readTensor(network: network, name: $0) }
        try self.init(network: network, entries: entries)
    }
}

extension Generator {
    public init(reader: CheckpointReader, network: String = "G_ema") throws {
        try self.init(architecture: reader.architecture, parameters: ParameterSet(reader: reader, network: network))
    }
}

extension Discriminator {
    public init(reader: CheckpointReader, network: String = "D") throws {
        try self.init(architecture: reader.architecture, parameters: ParameterSet(reader: reader, network: network))
    }
}

// The checkpoint module's file-level operations with the StyleGAN2 layout, which every toonkit checkpoint follows.

extension CheckpointValidator {
    public static func validate(path: String) -> ValidationReport { validate(path: path, layout: StyleGAN2Layout()) }
}

extension CheckpointInspector {
    public static func inspect(path: String) throws -> CheckpointSummary { try inspect(path: path, layout: StyleGAN2Layout()) }
    public static func summarize(_ reader: CheckpointReader) throws -> CheckpointSummary { try summarize(reader, layout: StyleGAN2Layout()) }
}

extension CheckpointDiffer {
    public static func diff(_ a: String, _ b: String, options: DiffOptions = DiffOptions()) throws -> DiffReport {
        try diff(a, b, layout: StyleGAN2Layout(), options: options)
    }
}
