import Engine
import Foundation

/// LPIPS-VGG16 v0.1 as the `lpips` package computes it (docs/projection.md §LPIPS), differentiable
/// with respect to the images: the projector's distance. Images are [N, 3, H, W] in [−1, 1] (lpips's
/// default input range, normalize=False); H and W at least 16, so that relu5_3 has a pixel.
public final class LPIPS: @unchecked Sendable {
    /// lpips's ScalingLayer: (x − shift) / scale per channel, ImageNet statistics in [−1, 1] units.
    static let shift: [Float] = [-0.030, -0.088, -0.188]
    static let scale: [Float] = [0.458, 0.448, 0.450]
    /// lpips.normalize_tensor's ε, added to the channel norm.
    static let normEpsilon: Float = 1e-10
    static let minimumSize = 16

    public let backboneOrigin: String
    private let convolutions: [(layer: VGG16Architecture.Convolution, weight: Tensor, bias: Tensor)]
    private let heads: [Tensor]
    private let shiftTensor: Tensor
    private let scaleTensor: Tensor

    public init(weights: LPIPSWeights) throws {
        // Not marked `keepingConvolutionTransforms`: VGG16's 59 MB of weights would keep about 105 MB of Winograd weights for
        // the forward pass and as much again for projection's backward pass (docs/engine-kernels.md "Kept weight transforms").
        convolutions = try VGG16Architecture.convolutions.map { layer in
            (layer, try Tensor(shape: layer.weightShape, values: weights.backboneValues(layer.weightName)),
             try Tensor(shape: [layer.outChannels], values: weights.backboneValues(layer.biasName)))
        }
        heads = try zip(weights.heads, VGG16Architecture.tappedChannels).map { try Tensor(shape: [1, $1, 1, 1], values: $0) }
        shiftTensor = try Tensor(shape: [1, 3, 1, 1], values: Self.shift)
        scaleTensor = try Tensor(shape: [1, 3, 1, 1], values: Self.scale)
        backboneOrigin = weights.backboneOrigin
    }

    /// The five tapped feature maps, each unit-normalised over channels at every pixel: what one
    /// image contributes to a distance. Compute a fixed image's once and reuse them.
    public func normalizedFeatures(_ images: Tensor) throws -> [Tensor] {
        guard images.rank == 4, images.shape[1] == 3 else {
            throw MetricsError("LPIPS needs images [N, 3, H, W], got \(images.shape)")
        }
        guard images.shape[2] >= Self.minimumSize, images.shape[3] >= Self.minimumSize else {
            throw MetricsError("LPIPS needs at least \(Self.minimumSize)×\(Self.minimumSize) pixels, got \(images.shape[2])×\(images.shape[3])")
        }
        var x = try (images - shiftTensor) / scaleTensor
        var taps: [Tensor] = []
        for (layer, weight, bias) in convolutions {
            if layer.poolsBefore { x = try Tensor.maxPool2d(x, PoolOptions(kernel: 2)) }
            x = try Tensor.biasAct(Tensor.conv2d(x, weight, ConvOptions(padding: 1)), bias: bias,
                                   activation: .leakyReLU(slope: 0), gain: 1)
            if layer.isTapped { taps.append(try Self.unitNormalized(x)) }
        }
        return taps
    }

    /// Distances [N] between two images' normalised features: per tap, the head's weighted sum over
    /// channels of the squared difference, averaged over pixels; summed over taps.
    public func distance(_ a: [Tensor], _ b: [Tensor]) throws -> Tensor {
        guard a.count == heads.count, b.count == heads.count else {
            throw MetricsError("LPIPS distance needs \(heads.count) feature maps per image, got \(a.count) and \(b.count)")
        }
        var total: Tensor?
        for (k, head) in heads.enumerated() {
            let difference = try (a[k] - b[k]).square()
            let weighted = try Tensor.conv2d(difference, head).mean(axes: [1, 2, 3])
            total = try total.map { try $0 + weighted } ?? weighted
        }
        return total!
    }

    /// Distances [N] between two batches of images (or one image against a batch of one).
    public func distance(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try distance(normalizedFeatures(a), normalizedFeatures(b))
    }

    private static func unitNormalized(_ x: Tensor) throws -> Tensor {
        let norm = try x.square().sum(axes: [1], keepDims: true).sqrt()
        return try x / (norm + normEpsilon)
    }
}
