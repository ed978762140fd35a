import Foundation
import UntrustedInput

/// One violated rule of the format (schema, storage or checksum), named by the HDF5 object it concerns.
public struct CheckpointProblem: Codable, Equatable, Sendable, CustomStringConvertible {
    /// HDF5 path, e.g. `/networks/G_ema/synthesis.b8.conv0.weight`.
    public var object: String
    /// What is wrong, starting with the part concerned: `attribute "kind" must be one of …`.
    public var rule: String

    public init(object: String, rule: String) {
        self.object = object
        self.rule = rule
    }

    public var description: String { "\(object): \(rule)" }
}

/// How bad a failure is, which is also the exit status of `validate`, `diff` and friends.
public enum FailureCategory: Int32, Codable, Sendable {
    /// The file is a checkpoint but breaks the format (schema, checksum).
    case invalid = 1
    /// Missing, not HDF5, an unknown major version, or the library could not read it.
    case unreadable = 2
}

public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case notHDF5(path: String)
    case unreadable(path: String, reason: String)
    case unsupportedVersion(path: String, found: String, supported: FormatVersion)
    case schemaViolation(path: String, problems: [CheckpointProblem])
    case checksumMismatch(path: String, object: String, stored: String, computed: String)
    case noSuchNetwork(path: String, network: String, available: [String])
    case noSuchTensor(path: String, object: String)
    case writeFailed(path: String, reason: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path.escapedForDisplay): no such file"
        case .notHDF5(let path):
            return "\(path.escapedForDisplay): not an HDF5 file (no HDF5 signature), so not a toonkit checkpoint"
        case .unreadable(let path, let reason):
            return "\(path.escapedForDisplay): cannot be read: \(reason)"
        case .unsupportedVersion(let path, let found, let supported):
            return "\(path.escapedForDisplay): checkpoint format version \(found) is not supported; this toonkit reads format \(supported.major).x (writes \(supported))"
        case .schemaViolation(let path, let problems):
            let shown = problems.prefix(20).map { "  \($0)" }.joined(separator: "\n")
            let more = problems.count > 20 ? "\n  … and \(problems.count - 20) more" : ""
            return "\(path.escapedForDisplay): does not follow the checkpoint format v1 schema:\n\(shown)\(more)"
        case .checksumMismatch(let path, let object, let stored, let computed):
            return "\(path.escapedForDisplay): \(object): sha256 mismatch (stored \(stored), data hashes to \(computed))"
        case .noSuchNetwork(let path, let network, let available):
            return "\(path.escapedForDisplay): no network \(network) (the file has \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case .noSuchTensor(let path, let object):
            return "\(path.escapedForDisplay): no tensor \(object)"
        case .writeFailed(let path, let reason):
            return "\(path.escapedForDisplay): cannot write checkpoint: \(reason)"
        case .invalidArgument(let message):
            return message
        }
    }

    public var category: FailureCategory {
        switch self {
        case .schemaViolation, .checksumMismatch: return .invalid
        default: return .unreadable
        }
    }
}
