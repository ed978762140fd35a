import Checkpoint
import Engine

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
