import Checkpoint
import Engine

/// How synthesis layers draw their per-pixel noise in one forward pass.
enum LayerNoise { case none, const, random(seed: UInt32, share: BatchShare) }

/// NVIDIA's SynthesisLayer: a style-modulated 3×3 convolution (the 2× up-sampling one in conv0 of every
/// block above 4×4) with demodulation, noise, bias, lrelu·√2 and clamp (docs/network-maths.md §3).
public struct SynthesisLayer: Module {
    public let path: ModulePath
    public let affine: FullyConnectedLayer
    public let weight: TensorDeclaration
    public let noiseStrength: TensorDeclaration
    public let bias: TensorDeclaration
    public let resampleFilter: TensorDeclaration
    public let noiseConst: TensorDeclaration
    public let resolution: Int
    public let upsamples: Bool
    let filter: FIRFilter
    let convClamp: Float?

    init(_ path: ModulePath, inChannels: Int, outChannels: Int, wDim: Int, resolution: Int, upsamples: Bool, _ a: Architecture) {
        self.path = path
        self.resolution = resolution
        self.upsamples = upsamples
        filter = a.firFilter
        convClamp = a.convClamp.map { Float($0) }
        affine = FullyConnectedLayer(path.child("affine"), inFeatures: wDim, outFeatures: inChannels, biasInit: 1)
        weight = path.parameter("weight", [outChannels, inChannels, 3, 3], .normal(scale: 1))
        noiseStrength = path.parameter("noise_strength", [], .constant(0))
        bias = path.parameter("bias", [outChannels], .constant(0))
        resampleFilter = path.buffer("resample_filter", [4, 4], .resampleFilter(a.resampleFilter))
        noiseConst = path.buffer("noise_const", [resolution, resolution], .normal(scale: 1))
    }

    public var ownTensors: [TensorDeclaration] { [weight, noiseStrength, bias, resampleFilter, noiseConst] }
    public var children: [any Module] { [affine] }

    /// Whether styles and demodulation go into each sample's weight rather than onto the input and output (see
    /// `callAsFunction`): when the input plane holds more values per channel than the weight holds per input channel.
    var modulatesWeights: Bool {
        let inputSide = upsamples ? resolution / 2 : resolution
        return 9 * weight.shape[0] < inputSide * inputSide
    }

    /// What the forward pass computes from `weight` alone.
    var weightDerivations: [WeightDerivation] { upsamples ? [.tapEnergy, .transposedConvolutionWeight] : [.tapEnergy] }

    /// Two equivalent evaluation orders (equal up to float rounding):
    /// - batched: scale the input channels by the styles, convolve the whole batch with the shared weight
    ///   (one wide GEMM), demodulate inside bias_act; cheapest on small planes, where the weight is large;
    /// - per-sample weights: fold styles and demodulation into each sample's weight and run a grouped
    ///   convolution (the reference's fused path); cheapest on large planes, where the input is large.
    func callAsFunction(_ x: Tensor, w: Tensor, noise: LayerNoise, _ p: ParameterSet) throws -> Tensor {
        let weight = try p.tensor(self.weight)
        let n = x.shape[0], outChannels = weight.shape[0], inChannels = weight.shape[1]
        let styles = try affine(w, p)
        // dcoef[n, o] = rsqrt(Σ_i s[n,i]² Σ_ab W[o,i,a,b]² + 1e-8): the demodulation without a 5-D tensor.
        let weightEnergy = try p.derived(.tapEnergy, of: self.weight)
        let demodulation = try (Tensor.matmul(styles.square(), weightEnergy, transposeB: true) + 1e-8).rsqrt()
        var y: Tensor
        if modulatesWeights {
            // s[n, i]·d[n, o] first, on a ninth of the values, so the weight is read and written once; the transposed
            // convolution's weight is modulated in its own layout rather than permuted after.
            if upsamples {
                let coefficients = try styles.reshaped([n, inChannels, 1]) * demodulation.reshaped([n, 1, outChannels])
                let transposed = try p.derived(.transposedConvolutionWeight, of: self.weight).reshaped([1, inChannels, outChannels, 3, 3])
                    * coefficients.reshaped([n, inChannels, outChannels, 1, 1])
                y = try upsamplingConvolution(x.reshaped([1, n * inChannels, x.shape[2], x.shape[3]]),
                                              transposed.reshaped([n * inChannels, outChannels, 3, 3]), groups: n)
                y = try y.reshaped([n, outChannels, y.shape[2], y.shape[3]])
            } else {
                let coefficients = try demodulation.reshaped([n, outChannels, 1]) * styles.reshaped([n, 1, inChannels])
                y = try convolveEachSample(x, weight.reshaped([1, outChannels, inChannels, 3, 3])
                                                * coefficients.reshaped([n, outChannels, inChannels, 1, 1]), padding: 1)
            }
        } else {
            let modulated = try x * styles.reshaped([n, inChannels, 1, 1])
            y = upsamples ? try upsamplingConvolution(modulated, p.derived(.transposedConvolutionWeight, of: self.weight), groups: 1)
                          : try Tensor.conv2d(modulated, weight, ConvOptions(padding: 1))
        }
        let strength = try p.tensor(noiseStrength)
        let noiseImage: Tensor?
        switch noise {
        case .none: noiseImage = nil
        case .const: noiseImage = try (p.tensor(noiseConst) * strength).reshaped([1, 1, resolution, resolution])
        case .random(let seed, let share):
            var rng = RandomState(seed: seed)
            noiseImage = try rng.normalTensor([n, 1, resolution, resolution], share: share) * strength
        }
        return try Tensor.biasAct(y, bias: p.tensor(bias), activation: .lrelu, clamp: convClamp,
                                  scale: modulatesWeights ? nil : demodulation, addend: noiseImage)
    }

    /// The reference's 2× up-sampling convolution: a stride-2 transposed convolution (weight given as
    /// [in, out/groups, 3, 3]), then the FIR with padding 1 and gain 4.
    private func upsamplingConvolution(_ x: Tensor, _ transposedWeight: Tensor, groups: Int) throws -> Tensor {
        let stuffed = try Tensor.convTranspose2d(x, transposedWeight, ConvOptions(stride: 2, padding: 0, groups: groups))
        return try Tensor.upfirdn2d(stuffed, filter: filter, padding: FIRPadding(all: 1), gain: 4)
    }
}

/// NVIDIA's ToRGBLayer: a modulated 1×1 convolution without demodulation (styles scaled by 1/√C), bias, clamp.
public struct ToRGBLayer: Module {
    public let path: ModulePath
    public let affine: FullyConnectedLayer
    public let weight: TensorDeclaration
    public let bias: TensorDeclaration
    let convClamp: Float?

    init(_ path: ModulePath, inChannels: Int, wDim: Int, _ a: Architecture) {
        self.path = path
        convClamp = a.convClamp.map { Float($0) }
        affine = FullyConnectedLayer(path.child("affine"), inFeatures: wDim, outFeatures: inChannels, biasInit: 1)
        weight = path.parameter("weight", [a.imgChannels, inChannels, 1, 1], .normal(scale: 1))
        bias = path.parameter("bias", [a.imgChannels], .constant(0))
    }

    public var ownTensors: [TensorDeclaration] { [weight, bias] }
    public var children: [any Module] { [affine] }

    /// The styles scale each sample's own [img_channels, C] weight (a grouped convolution, the reference's fused
    /// path) rather than the input: the weight is a few hundred floats, the input C·r² (docs/network-maths.md §3.3).
    func callAsFunction(_ x: Tensor, w: Tensor, _ p: ParameterSet) throws -> Tensor {
        let weight = try p.tensor(self.weight)
        let n = x.shape[0], outChannels = weight.shape[0], inChannels = weight.shape[1]
        let styles = try affine(w, p) * Float(1 / Double(inChannels).squareRoot())
        let modulated = try weight.reshaped([1, outChannels, inChannels, 1, 1]) * styles.reshaped([n, 1, inChannels, 1, 1])
        let y = try convolveEachSample(x, modulated, padding: 0)
        return try Tensor.biasAct(y, bias: p.tensor(bias), activation: .linear, clamp: convClamp)
    }
}

/// conv2d of each sample of x [n, C, H, W] with its own weight, `weights` [n, O, C, k, k], as one convolution with n
/// groups over the batch seen as one image of n·C channels (the reference's fused modulated convolution).
private func convolveEachSample(_ x: Tensor, _ weights: Tensor, padding: Int) throws -> Tensor {
    let (n, outChannels, inChannels, kernel) = (weights.shape[0], weights.shape[1], weights.shape[2], weights.shape[3])
    let grouped = try x.reshaped([1, n * inChannels, x.shape[2], x.shape[3]])
    let y = try Tensor.conv2d(grouped, weights.reshaped([n * outChannels, inChannels, kernel, kernel]), ConvOptions(padding: padding, groups: n))
    return try y.reshaped([n, outChannels, y.shape[2], y.shape[3]])
}
