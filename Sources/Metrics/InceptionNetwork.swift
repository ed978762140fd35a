import Engine
import Foundation

/// pytorch-fid's FID Inception-v3 (`InceptionV3([3])`, use_fid_inception=True) on the engine:
/// images → 2048-d pool3 features. Inference only; thread-safe, because the folded weights are never
/// mutated after init (hence @unchecked: Tensor itself is not Sendable).
public final class InceptionNetwork: @unchecked Sendable {
    /// A BasicConv2d with its batch norm folded in: relu(conv(x, w·s) + (β − μ·s)), s = γ / √(σ² + eps).
    struct FoldedConv {
        let weight: Tensor
        let bias: Tensor
        let options: ConvOptions
        /// 1×1, stride 1, no padding.
        let isPointwise: Bool
    }

    /// FID's features tolerate Winograd F(4×4, 3×3)'s rounding in the 3×3 layers on planes from 16 wide (147², 71², 35²),
    /// F(4×4, 5×5) in the 5×5 ones and F(4, r) in the 1×r and r×1 ones: against pytorch-fid they stay within a few
    /// 1e-6 of the largest feature, as with `standard`, the parity bound being 1e-4 (docs/engine-kernels.md, schemas/fid-inception.md).
    public static let defaultRounding = ConvRounding.relaxed

    /// The rounding its convolutions may take.
    public let rounding: ConvRounding

    public let weights: InceptionWeights.Origin
    public let identity: String
    public let comparabilityWarning: String?
    private let layers: [String: FoldedConv]

    /// `keepingConvolutionTransforms`: the convolutions make their weight transforms once (`Tensor.keepingConvolutionTransforms`)
    /// rather than on every batch; false only to time the difference (`bench inception --against-unkept-transforms`).
    public init(weights: InceptionWeights, rounding: ConvRounding = defaultRounding, keepingConvolutionTransforms: Bool = true) throws {
        var layers: [String: FoldedConv] = [:]
        for conv in InceptionArchitecture.convs {
            layers[conv.name] = try Self.fold(conv, weights, rounding: rounding, keepingConvolutionTransforms: keepingConvolutionTransforms)
        }
        self.rounding = rounding
        self.layers = layers
        self.weights = weights.origin
        identity = weights.identity
        comparabilityWarning = weights.comparabilityWarning
    }

    private static func fold(_ conv: InceptionConv, _ weights: InceptionWeights, rounding: ConvRounding,
                             keepingConvolutionTransforms: Bool) throws -> FoldedConv {
        let w = try weights.values("\(conv.name).conv.weight")
        let gamma = try weights.values("\(conv.name).bn.weight"), beta = try weights.values("\(conv.name).bn.bias")
        let mean = try weights.values("\(conv.name).bn.running_mean"), variance = try weights.values("\(conv.name).bn.running_var")
        let patch = w.count / conv.outChannels
        var folded = [Float](repeating: 0, count: w.count)
        var bias = [Float](repeating: 0, count: conv.outChannels)
        for o in 0..<conv.outChannels {
            let scale = Double(gamma[o]) / (Double(variance[o]) + InceptionArchitecture.batchNormEpsilon).squareRoot()
            for i in 0..<patch { folded[o * patch + i] = Float(Double(w[o * patch + i]) * scale) }
            bias[o] = Float(Double(beta[o]) - Double(mean[o]) * scale)
        }
        var options = conv.options
        options.rounding = rounding
        let weight = try Tensor(shape: conv.weightShape, values: folded)
        return FoldedConv(weight: keepingConvolutionTransforms ? weight.keepingConvolutionTransforms() : weight,
                          bias: try Tensor(shape: [conv.outChannels], values: bias), options: options, isPointwise: conv.isPointwise)
    }

    // MARK: Entry points

    /// uint8 images (C = 1 or 3; grayscale is repeated to RGB as the StyleGAN2-ADA metrics do) →
    /// features [N, 2048], through pytorch-fid's preprocessing: x / 255, bilinear resize to 299×299
    /// (align_corners=False), 2x − 1.
    public func features(of batch: ImageBatch) throws -> Tensor {
        try features(unitRange: batch.unitRangeTensor(), resizeInput: true)
    }

    /// Images in [0, 1], [N, 3, H, W] → [N, 2048]. `resizeInput: false` is pytorch-fid's
    /// resize_input=False: the network then runs at the given size (at least 75×75), which tests use
    /// to stay fast; FID itself always resizes.
    public func features(unitRange images: Tensor, resizeInput: Bool = true) throws -> Tensor {
        guard images.rank == 4, images.shape[1] == 3 else {
            throw MetricsError("the Inception network needs images [N, 3, H, W], got \(images.shape)")
        }
        let size = InceptionArchitecture.inputSize
        let resized = resizeInput ? try Tensor.resizeBilinear(images, height: size, width: size) : images
        guard resized.shape[2] >= InceptionArchitecture.minimumInputSize, resized.shape[3] >= InceptionArchitecture.minimumInputSize else {
            throw MetricsError("the Inception network needs at least \(InceptionArchitecture.minimumInputSize)×\(InceptionArchitecture.minimumInputSize) pixels, got \(resized.shape[2])×\(resized.shape[3])")
        }
        return try GradMode.withoutGrad {
            var x = resized * 2 - 1
            for block in InceptionBlock.all { x = try block.forward(x) { try layer($0, $1, averagePooledFirst: $2) } }
            // Adaptive average pooling to 1×1: the pool3 features.
            return try x.mean(axes: [2, 3])
        }
    }

    /// Runs one folded BasicConv2d by state-dict name, on `x` average-pooled with `averagePooledFirst` when given.
    ///
    /// That pool runs after the convolution, on its output: a 1×1 convolution (without its bias) and an average pool
    /// are both linear, and the pool weighs every channel alike, so the order does not change the function (only
    /// rounding). It pools the branch's 32–192 output channels instead of the block's 192–1280 input channels.
    func layer(_ name: String, _ x: Tensor, averagePooledFirst pool: PoolOptions? = nil) throws -> Tensor {
        guard let conv = layers[name] else { throw MetricsError("Inception network: no layer '\(name)'") }
        if pool != nil, !conv.isPointwise {
            throw MetricsError("Inception network: layer '\(name)' is not a 1×1 convolution, so its input cannot be pooled after it")
        }
        var y = try Tensor.conv2d(x, conv.weight, conv.options)
        if let pool { y = try Tensor.avgPool2d(y, pool) }
        return try Tensor.biasAct(y, bias: conv.bias, activation: .leakyReLU(slope: 0), gain: 1)
    }
}

/// How a block runs one of its BasicConv2d layers: by state-dict name, on an input that the layer average-pools first
/// when a pool is given (`InceptionNetwork.layer`).
typealias InceptionLayerRunner = (_ name: String, _ input: Tensor, _ averagePooledFirst: PoolOptions?) throws -> Tensor

extension InceptionBlock {
    private static let stemPool = PoolOptions(kernel: 3, stride: 2)
    /// The FID blocks' average pool: TensorFlow does not count padded zeros (count_include_pad=False).
    private static let branchAverage = PoolOptions(kernel: 3, stride: 1, padding: 1, countIncludePad: false)
    private static let branchMax = PoolOptions(kernel: 3, stride: 1, padding: 1)

    /// One block's forward pass.
    func forward(_ x: Tensor, layer run: InceptionLayerRunner) throws -> Tensor {
        func layer(_ name: String, _ input: Tensor, averagePooledFirst pool: PoolOptions? = nil) throws -> Tensor {
            try run(name, input, pool)
        }
        func chain(_ names: [String], _ input: Tensor) throws -> Tensor {
            try names.reduce(input) { try layer($1, $0) }
        }
        switch self {
        case .stem:
            let stem = try chain(["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3"], x)
            let middle = try chain(["Conv2d_3b_1x1", "Conv2d_4a_3x3"], Tensor.maxPool2d(stem, Self.stemPool))
            return try Tensor.maxPool2d(middle, Self.stemPool)
        case .a(let n, _, _):
            return try Tensor.concatenate([
                layer("\(n).branch1x1", x),
                chain(["\(n).branch5x5_1", "\(n).branch5x5_2"], x),
                chain(["\(n).branch3x3dbl_1", "\(n).branch3x3dbl_2", "\(n).branch3x3dbl_3"], x),
                layer("\(n).branch_pool", x, averagePooledFirst: Self.branchAverage),
            ], axis: 1)
        case .b(let n, _):
            return try Tensor.concatenate([
                layer("\(n).branch3x3", x),
                chain(["\(n).branch3x3dbl_1", "\(n).branch3x3dbl_2", "\(n).branch3x3dbl_3"], x),
                Tensor.maxPool2d(x, Self.stemPool),
            ], axis: 1)
        case .c(let n, _, _):
            return try Tensor.concatenate([
                layer("\(n).branch1x1", x),
                chain(["\(n).branch7x7_1", "\(n).branch7x7_2", "\(n).branch7x7_3"], x),
                chain((1...5).map { "\(n).branch7x7dbl_\($0)" }, x),
                layer("\(n).branch_pool", x, averagePooledFirst: Self.branchAverage),
            ], axis: 1)
        case .d(let n, _):
            return try Tensor.concatenate([
                chain(["\(n).branch3x3_1", "\(n).branch3x3_2"], x),
                chain((1...4).map { "\(n).branch7x7x3_\($0)" }, x),
                Tensor.maxPool2d(x, Self.stemPool),
            ], axis: 1)
        case .e(let n, _, let pool):
            let split = try layer("\(n).branch3x3_1", x)
            let double = try chain(["\(n).branch3x3dbl_1", "\(n).branch3x3dbl_2"], x)
            let branchPool = try pool == .average
                ? layer("\(n).branch_pool", x, averagePooledFirst: Self.branchAverage)
                : layer("\(n).branch_pool", Tensor.maxPool2d(x, Self.branchMax))
            return try Tensor.concatenate([
                layer("\(n).branch1x1", x),
                layer("\(n).branch3x3_2a", split), layer("\(n).branch3x3_2b", split),
                layer("\(n).branch3x3dbl_3a", double), layer("\(n).branch3x3dbl_3b", double),
                branchPool,
            ], axis: 1)
        }
    }
}
