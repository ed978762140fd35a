import Checkpoint
import Engine
import Foundation

/// The building blocks shared by the mapping, synthesis and discriminator networks, following
/// NVIDIA's networks.py operation by operation (docs/network-maths.md §1–4). Gains given as float64 in the
/// reference are rounded to float32 exactly where the reference multiplies them into float32 tensors.
enum Layers {
    static let lreluGain = Activation.lrelu.defaultGain

    /// The [1, 3, 3, 1] binomial filter, normalised, applied separably.
    static let resampleFilter = FIRFilter.normalizedSeparable(Architecture.implementedResampleFilter.map { Float($0) })

    /// Equalised-learning-rate fully connected layer: x·(W·lr/√in)ᵀ + b·lr, then the activation.
    static func fullyConnected(_ x: Tensor, _ p: ParameterSet, _ prefix: String, activation: Activation = .linear,
                               lrMultiplier: Float = 1) throws -> Tensor {
        let weight = try p.tensor("\(prefix).weight")
        let inFeatures = weight.shape[1]
        let weightGain = Float(Double(lrMultiplier) / Double(inFeatures).squareRoot())
        let scaled = weight * weightGain
        var bias = try p.tensor("\(prefix).bias")
        if lrMultiplier != 1 { bias = bias * lrMultiplier }
        let product = try Tensor.matmul(x, scaled, transposeB: true)
        return try Tensor.biasAct(product, bias: bias, activation: activation)
    }

    /// x · rsqrt(mean(x², features) + 1e-8).
    static func normalizeSecondMoment(_ x: Tensor) throws -> Tensor {
        try x * (x.square().mean(axes: [1], keepDims: true) + 1e-8).rsqrt()
    }

    /// ws[:, index] as [N, w_dim].
    static func w(_ ws: Tensor, _ index: Int) throws -> Tensor {
        try ws.slice(axis: 1, start: index, length: 1).reshaped([ws.shape[0], ws.shape[2]])
    }

    enum Noise { case none, const, random(seed: UInt32) }

    /// SynthesisLayer: modulated 3×3 conv (optionally the 2× up-sampling one) with demodulation, noise,
    /// bias, lrelu·√2 and clamp. Two equivalent evaluation orders (equal up to float rounding):
    /// - batched: scale the input channels by the styles, convolve the whole batch with the shared weight
    ///   (one wide GEMM), demodulate inside bias_act; cheapest on small planes, where the weight is large;
    /// - per-sample weights: fold styles and demodulation into each sample's weight and run a grouped
    ///   convolution (the reference's fused path); cheapest on large planes, where the input is large.
    static func synthesisLayer(_ x: Tensor, w: Tensor, _ p: ParameterSet, _ prefix: String, up: Bool,
                               resolution: Int, noise: Noise, convClamp: Float?) throws -> Tensor {
        let weight = try p.tensor("\(prefix).weight")
        let n = x.shape[0], outChannels = weight.shape[0], inChannels = weight.shape[1]
        let styles = try fullyConnected(w, p, "\(prefix).affine")
        // dcoef[n, o] = rsqrt(Σ_i s[n,i]² Σ_ab W[o,i,a,b]² + 1e-8): the demodulation without a 5-D tensor.
        let weightEnergy = try weight.square().sum(axes: [2, 3])
        let demodulation = try (Tensor.matmul(styles.square(), weightEnergy, transposeB: true) + 1e-8).rsqrt()
        let perSampleWeights = 9 * outChannels < x.shape[2] * x.shape[3]
        var y: Tensor
        if perSampleWeights {
            let modulated = try weight.reshaped([1, outChannels, inChannels, 3, 3]) * styles.reshaped([n, 1, inChannels, 1, 1])
                * demodulation.reshaped([n, outChannels, 1, 1, 1])
            let grouped = try x.reshaped([1, n * inChannels, x.shape[2], x.shape[3]])
            if up {
                let transposed = try modulated.permuted([0, 2, 1, 3, 4]).reshaped([n * inChannels, outChannels, 3, 3])
                y = try upsamplingConvolution(grouped, transposed, groups: n)
            } else {
                y = try Tensor.conv2d(grouped, modulated.reshaped([n * outChannels, inChannels, 3, 3]), ConvOptions(padding: 1, groups: n))
            }
            y = try y.reshaped([n, outChannels, y.shape[2], y.shape[3]])
        } else {
            let modulated = try x * styles.reshaped([n, inChannels, 1, 1])
            y = up ? try upsamplingConvolution(modulated, weight.permuted([1, 0, 2, 3]), groups: 1)
                   : try Tensor.conv2d(modulated, weight, ConvOptions(padding: 1))
        }
        let strength = try p.tensor("\(prefix).noise_strength")
        let noiseImage: Tensor?
        switch noise {
        case .none: noiseImage = nil
        case .const: noiseImage = try (p.tensor("\(prefix).noise_const") * strength).reshaped([1, 1, resolution, resolution])
        case .random(let seed):
            var rng = RandomState(seed: seed)
            noiseImage = try rng.normalTensor([n, 1, resolution, resolution]) * strength
        }
        return try Tensor.biasAct(y, bias: p.tensor("\(prefix).bias"), activation: .lrelu, clamp: convClamp,
                                  scale: perSampleWeights ? nil : demodulation, addend: noiseImage)
    }

    /// The reference's 2× up-sampling convolution: a stride-2 transposed convolution (weight given as
    /// [in, out/groups, 3, 3]), then the [1,3,3,1] FIR with padding 1 and gain 4.
    static func upsamplingConvolution(_ x: Tensor, _ transposedWeight: Tensor, groups: Int) throws -> Tensor {
        let stuffed = try Tensor.convTranspose2d(x, transposedWeight, ConvOptions(stride: 2, padding: 0, groups: groups))
        return try Tensor.upfirdn2d(stuffed, filter: resampleFilter, padding: FIRPadding(all: 1), gain: 4)
    }

    /// ToRGBLayer: modulated 1×1 conv without demodulation (styles scaled by 1/√C), bias, clamp.
    static func toRGB(_ x: Tensor, w: Tensor, _ p: ParameterSet, _ prefix: String, convClamp: Float?) throws -> Tensor {
        let weight = try p.tensor("\(prefix).weight")
        let inChannels = weight.shape[1]
        let styles = try fullyConnected(w, p, "\(prefix).affine") * Float(1 / Double(inChannels).squareRoot())
        let modulated = try x * styles.reshaped([x.shape[0], inChannels, 1, 1])
        let y = try Tensor.conv2d(modulated, weight)
        return try Tensor.biasAct(y, bias: p.tensor("\(prefix).bias"), activation: .linear, clamp: convClamp)
    }

    /// The discriminator's Conv2dLayer: weight·1/√(C·k²), optional FIR down-sampling, bias, activation.
    /// `gain` multiplies both the activation gain and the clamp, as the resnet blocks use it (√0.5).
    static func conv2dLayer(_ x: Tensor, _ p: ParameterSet, _ prefix: String, activation: Activation, down: Bool = false,
                            hasBias: Bool = true, gain: Double = 1, convClamp: Float?) throws -> Tensor {
        let weight = try p.tensor("\(prefix).weight")
        let kernel = weight.shape[2]
        let fanIn = weight.shape[1] * kernel * weight.shape[3]
        let scaled = weight * Float(1 / Double(fanIn).squareRoot())
        var y: Tensor
        switch (down, kernel) {
        case (true, 1):
            let filtered = try Tensor.upfirdn2d(x, filter: resampleFilter, down: 2, padding: FIRPadding(all: 1))
            y = try Tensor.conv2d(filtered, scaled)
        case (true, _):
            let filtered = try Tensor.upfirdn2d(x, filter: resampleFilter, padding: FIRPadding(all: 2))
            y = try Tensor.conv2d(filtered, scaled, ConvOptions(stride: 2))
        default:
            y = try Tensor.conv2d(x, scaled, ConvOptions(padding: kernel / 2))
        }
        let defaultGain: Double = activation == .linear ? 1 : 2.0.squareRoot()
        let bias = hasBias ? try p.tensor("\(prefix).bias") : nil
        return try Tensor.biasAct(y, bias: bias, activation: activation, gain: Float(defaultGain * gain),
                                  clamp: convClamp.map { Float(Double($0) * gain) })
    }
}
