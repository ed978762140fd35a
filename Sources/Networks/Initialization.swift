import Checkpoint
import Engine

/// Fresh networks initialised as NVIDIA's code does: weights ~ N(0, 1)/lr_multiplier, biases at their
/// bias_init (1 for the style affines, 0 elsewhere), noise strengths 0, w_avg 0, const and
/// noise_const ~ N(0, 1), resample filters outer([1,3,3,1])/64. Deterministic from the seed.
public enum NetworkInitializer {
    public static func generator(_ a: Architecture, seed: UInt32) throws -> ParameterSet {
        try initialize(network: "G", specs: NetworkLayout.generator(a), architecture: a, seed: seed)
    }

    public static func discriminator(_ a: Architecture, seed: UInt32) throws -> ParameterSet {
        try initialize(network: "D", specs: NetworkLayout.discriminator(a, mappingLayers: a.cDim > 0 ? 8 : 0), architecture: a, seed: seed)
    }

    static func initialize(network: String, specs: [TensorSpec], architecture a: Architecture, seed: UInt32) throws -> ParameterSet {
        var rng = RandomState(seed: seed)
        var set = ParameterSet(network: network)
        let filter = resampleFilterValues(a.resampleFilter)
        for spec in specs {
            let name = spec.name
            let count = spec.shape.reduce(1, *)
            var values: [Float]
            if name.hasSuffix("resample_filter") {
                values = filter
            } else if name.hasSuffix("noise_strength") || name.hasSuffix("w_avg") {
                values = Array(repeating: 0, count: count)
            } else if name.hasSuffix(".bias") {
                values = Array(repeating: name.hasSuffix("affine.bias") ? 1 : 0, count: count)
            } else {
                let isMappingLayer = name.hasPrefix("mapping.fc")
                let scale = isMappingLayer ? Float(1 / a.mappingLRMultiplier) : 1
                values = rng.randn(count).map { Float($0) * scale }
            }
            set.set(name, try Tensor(shape: spec.shape, values: values), kind: spec.kind)
        }
        return set
    }

    /// outer(k, k) / sum, flattened.
    public static func resampleFilterValues(_ kernel: [Double]) -> [Float] {
        let outer = kernel.flatMap { a in kernel.map { a * $0 } }
        let total = outer.reduce(0, +)
        return outer.map { Float($0 / total) }
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
