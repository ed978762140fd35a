import Engine
import Metrics

/// The image term of the projector's loss, with the target's part computed once.
struct ImageDistance {
    let lpips: LPIPS?
    let targetFeatures: [Tensor]
    let target: Tensor
    let pixelWeight: Float

    init(target: Tensor, lpips: LPIPS?, pixelWeight: Float) throws {
        self.lpips = lpips
        self.pixelWeight = pixelWeight
        let comparable = try Self.comparable(target)
        self.target = comparable
        targetFeatures = try GradMode.withoutGrad { try lpips?.normalizedFeatures(comparable) ?? [] }
    }

    /// A scalar: LPIPS of `images` against the target, plus the weighted mean squared pixel difference.
    func callAsFunction(_ images: Tensor) throws -> Tensor {
        let compared = try Self.comparable(images)
        var total = Tensor(scalar: 0)
        if let lpips { total = try total + lpips.distance(lpips.normalizedFeatures(compared), targetFeatures).sum() }
        if pixelWeight > 0 { total = try total + (compared - target).square().mean() * pixelWeight }
        return total
    }

    /// Area-downsampled to 256² when larger, as the reference feeds VGG16.
    static func comparable(_ images: Tensor) throws -> Tensor {
        let size = images.shape[2]
        guard size > Projector.distanceResolution else { return images }
        return try Tensor.avgPool2d(images, PoolOptions(kernel: size / Projector.distanceResolution))
    }
}
