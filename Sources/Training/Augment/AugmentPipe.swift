import Engine

/// StyleGAN2-ADA's augmentation pipeline (docs/training-loop.md §6) for the 'blit', 'geom' and 'color' groups:
/// every augmentation draws its own gate per image with probability multiplier × p; the geometric ones
/// compose into one 3×3 inverse matrix per image, the colour ones into one 4×4 matrix.
///
/// Differentiable with respect to the images (to second order, for R1 through augmentation).
/// Random draws come only from the `RandomState` passed in, so a seed makes everything reproducible.
///
/// Deliberate deviations from the reference, both exactness guarantees:
/// - when no image ends up with a geometric or colour change (for example p = 0), `apply` returns its
///   input tensor unchanged, where the reference still resamples and low-pass filters it;
/// - an image whose geometric matrix is a pure blit (xflip, rotate90, integer shift) is moved exactly,
///   as a pixel permutation with reflect semantics, instead of being resampled. Images that need
///   resampling are resampled as the reference does (each with its own padding margins, which changes
///   nothing but float rounding; see `GeometricResampling`).
public struct AugmentPipe: Codable, Equatable, Sendable {
    /// The augmentation strength; the adaptive controller moves it. Values above 1 saturate the gates.
    public var p: Float
    public var multipliers: AugmentMultipliers
    public var constants: AugmentConstants

    public init(multipliers: AugmentMultipliers, p: Float = 0, constants: AugmentConstants = AugmentConstants()) {
        self.p = p
        self.multipliers = multipliers
        self.constants = constants
    }

    public init(preset: AugmentPreset, p: Float = 0) {
        self.init(multipliers: AugmentMultipliers(preset: preset), p: p)
    }

    /// Draws the parameters of every image (as `apply` does), without touching any image.
    public func drawParameters(count: Int, channels: Int, height: Int, width: Int, random: inout RandomState) -> [AugmentDraw] {
        AugmentSampler(multipliers: multipliers, constants: constants, p: Double(p))
            .draw(count: count, channels: channels, height: height, width: width, random: &random)
    }

    /// Augments [N, C, H, W] images in [−1, 1] with fresh draws from `random`: with a share of a batch split
    /// over processes, the N images are the share's and the draws are made for the whole batch.
    public func apply(images: Tensor, random: inout RandomState, share: BatchShare = .whole) throws -> Tensor {
        guard images.rank == 4 else { throw EngineError("augment", "needs images [N, C, H, W], got shape \(images.shape)") }
        let channels = images.shape[1]
        if multipliers.usesColor && channels != 3 && channels != 1 {
            throw EngineError("augment", "colour augmentations need RGB (3 channels) or L (1 channel) images, got \(channels) channels")
        }
        let draws = drawParameters(count: images.shape[0] * share.ranks, channels: channels, height: images.shape[2], width: images.shape[3], random: &random)
        return try AugmentPipe.apply(images: images, draws: share.globalIndices(localCount: images.shape[0]).map { draws[$0] })
    }

    /// Augments with given per-image parameters: the geometric part, then the colour part.
    public static func apply(images: Tensor, draws: [AugmentDraw]) throws -> Tensor {
        let moved = try GeometricResampling.apply(images, inverseMatrices: draws.map(\.geometricInverse))
        return try ColorTransform.apply(moved, matrices: draws.map(\.colorMatrix))
    }

    /// The reference's geometric execution (pad, 2× upsample, bilinear resample, 2× downsample) for every
    /// image, even identities and blits: for comparing the exact paths against it.
    public static func resampleGeometry(images: Tensor, inverseMatrices: [HomogeneousMatrix]) throws -> Tensor {
        try GeometricResampling.resample(images, inverseMatrices: inverseMatrices)
    }
}
