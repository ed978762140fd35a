import Engine

/// A tensor a layer computes from one of its weights alone. Inference can compute it once per network instead of
/// once per forward pass (`Generator.preparedForInference`): at batch 1 a paper256 image spent about 7 ms of 150 on
/// these (bench generate's profile: `sumOfSquares` and `permute`), reading and writing 9.4 MB per 512-channel layer.
enum WeightDerivation: Hashable, Sendable, CustomStringConvertible {
    /// W [out, in, k, k] → Σ over the taps of W², [out, in]: the energy demodulation weighs the styles with
    /// (docs/network-maths.md §3).
    case tapEnergy
    /// W [out, in, k, k] → [in, out, k, k]: the weight of the up-sampling layer's transposed convolution.
    case transposedConvolutionWeight

    func apply(to weight: Tensor) throws -> Tensor {
        switch self {
        case .tapEnergy: try weight.sumOfSquares(lastAxes: 2)
        case .transposedConvolutionWeight: try weight.permuted([1, 0, 2, 3])
        }
    }

    /// Whether the derived tensor is a convolution's weight, whose transforms a prepared generator keeps too.
    var isConvolutionWeight: Bool { self == .transposedConvolutionWeight }

    var description: String {
        switch self {
        case .tapEnergy: "energy per tap"
        case .transposedConvolutionWeight: "transposed-convolution layout"
        }
    }
}

extension Generator {
    /// This generator with every `WeightDerivation` its synthesis layers use computed once, for inference
    /// (generation, sweeps, FID, projection, where the weights stay fixed), and the convolutions' transforms of the
    /// synthesis weights kept from their first use (`Tensor.keepingConvolutionTransforms`: those of the layers that
    /// convolve the whole batch with the shared weight on planes Winograd serves; for paper256 the 512-channel ones at 16²
    /// and 32² and the up-sampling into 64², about 47 MB, and from batch 4 the 8² one too). Its images are an unprepared
    /// generator's to the bit.
    /// Replacing a tensor in `parameters` drops what was derived from it; a weight that requires a gradient is refused,
    /// since what is kept carries none. `keepingConvolutionTransforms: false` leaves the transforms to be made on every
    /// pass (`bench generate --against-unkept-transforms`).
    public func preparedForInference(keepingConvolutionTransforms: Bool = true) throws -> Generator {
        var prepared = self
        for layer in network.synthesis.layers {
            if keepingConvolutionTransforms { try prepared.parameters.keepConvolutionTransforms(of: layer.weight) }
            for derivation in layer.weightDerivations {
                try prepared.parameters.keepDerived(derivation, of: layer.weight)
            }
        }
        return prepared
    }
}
