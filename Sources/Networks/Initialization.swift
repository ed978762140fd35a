import Checkpoint
import Engine

/// Fresh networks initialised as NVIDIA's code does, from each tensor's declared initializer
/// (docs/network-maths.md §6): weights ~ N(0, 1)/lr_multiplier, biases at their bias_init (1 for the style
/// affines, 0 elsewhere), noise strengths 0, w_avg 0, const and noise_const ~ N(0, 1), resample filters
/// outer(taps)/sum². Random values are drawn in state_dict order, so a seed gives one network.
public enum NetworkInitializer {
    public static func generator(_ a: Architecture, seed: UInt32) throws -> ParameterSet {
        try initialize(network: "G", GeneratorNetwork(a), seed: seed)
    }

    public static func discriminator(_ a: Architecture, seed: UInt32) throws -> ParameterSet {
        try initialize(network: "D", DiscriminatorNetwork(a), seed: seed)
    }

    static func initialize(network: String, _ tree: any Module, seed: UInt32) throws -> ParameterSet {
        var rng = RandomState(seed: seed)
        var set = ParameterSet(network: network)
        for declaration in tree.tensors {
            let count = declaration.shape.reduce(1, *)
            let values: [Float]
            switch declaration.initializer {
            case .normal(let scale): values = rng.randn(count).map { Float($0) * scale }
            case .constant(let value): values = Array(repeating: value, count: count)
            case .resampleFilter: values = declaration.initializer.fixedValues!
            }
            set.set(declaration.name, try Tensor(shape: declaration.shape, values: values), kind: declaration.kind)
        }
        return set
    }
}

/// Architecture presets of train.py (docs/training-loop.md §1).
public enum ArchitecturePreset: String, CaseIterable, Sendable {
    case paper256, auto, stylegan2

    public func architecture(resolution: Int = 256, zDim: Int = 512, wDim: Int = 512, cDim: Int = 0) -> Architecture {
        switch self {
        case .paper256:
            return Architecture(resolution: resolution, zDim: zDim, wDim: wDim, cDim: cDim, mappingLayers: 8,
                                channelBase: 16384, channelMax: 512, mbstdGroupSize: 8)
        case .auto:
            return Architecture(resolution: resolution, zDim: zDim, wDim: wDim, cDim: cDim, mappingLayers: 2,
                                channelBase: resolution >= 512 ? 32768 : 16384, channelMax: 512, mbstdGroupSize: 4)
        case .stylegan2:
            return Architecture(resolution: resolution, zDim: zDim, wDim: wDim, cDim: cDim, mappingLayers: 8,
                                channelBase: 32768, channelMax: 512, mbstdGroupSize: 4)
        }
    }
}
