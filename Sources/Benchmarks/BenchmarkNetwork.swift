import Checkpoint
import Networks
import Training

/// The network shapes `bench generate` and `bench train` know by name: the fixtures' tiny64, the demo's
/// 32² base, or the paper256 network.
public enum BenchmarkNetwork {
    public static func architecture(named name: String) throws -> Architecture {
        switch name {
        case "tiny64": return Architecture(resolution: 64, zDim: 64, wDim: 64, mappingLayers: 8, channelBase: 512, channelMax: 64)
        case "demo32":
            return NetworkShape(channelBase: 2048, channelMax: 64, mappingLayers: 2, latentDimension: 128)
                .architecture(config: .auto, resolution: 32, labels: 0)
        case "paper256": return ArchitecturePreset.paper256.architecture()
        default: throw UnknownNetwork(name: name)
        }
    }

    public struct UnknownNetwork: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "unknown benchmark network '\(name)' (tiny64, demo32 or paper256)" }
    }
}
