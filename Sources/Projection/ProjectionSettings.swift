import Foundation

/// The projector's hyper-parameters; the defaults are those of StyleGAN2-ADA's projector.py
/// (docs/projection.md §Method).
public struct ProjectionSettings: Sendable {
    public var steps = 1000
    /// Samples of the mapping network whose mean w is the starting point (and whose spread scales the
    /// noise added to w).
    public var averageSamples = 10_000
    /// Seed of numpy's RandomState for those samples: 123 draws the reference's z.
    public var averageSeed: UInt32 = 123
    /// Optimise one w per synthesis input (W+, as rosinality's projector offers) instead of one w.
    public var wPlus = false
    public var initialLearningRate = 0.1
    public var initialNoiseFactor = 0.05
    /// Fractions of the run over which the learning rate ramps up, and then down along a cosine.
    public var learningRateRampUp = 0.05
    public var learningRateRampDown = 0.25
    /// Fraction of the run over which the noise added to w decays (quadratically) to zero.
    public var noiseRampLength = 0.75
    public var noiseRegularizationWeight: Float = 1e5
    /// Replace the network's noise images by fresh ones optimised with w, as the reference does. When
    /// false, the stored noise_const images stay as they are: the saved latent (which holds no noise)
    /// then renders exactly the image that was optimised, which matters for networks with strong noise.
    public var optimizesNoise = true
    /// Weight of the mean squared pixel difference (in [−1, 1] units) added to the distance; 0 = off.
    public var pixelWeight: Float = 0
    /// Seed of the projector's own random draws: the initial noise images and the noise added to w.
    public var seed: UInt32 = 0

    public init() {}

    /// Adam's learning rate at `step`: a linear warm-up over the first `learningRateRampUp` of the run
    /// and a cosine ramp-down over the last `learningRateRampDown`.
    public func learningRate(at step: Int) -> Double {
        let t = Double(step) / Double(steps)
        let down = min(1, (1 - t) / learningRateRampDown)
        return initialLearningRate * (0.5 - 0.5 * cos(down * Double.pi)) * min(1, t / learningRateRampUp)
    }

    /// Standard deviation of the noise added to w at `step`, for the w spread `wStd`.
    public func wNoiseScale(at step: Int, wStd: Double) -> Double {
        let t = Double(step) / Double(steps)
        return wStd * initialNoiseFactor * pow(max(0, 1 - t / noiseRampLength), 2)
    }
}
