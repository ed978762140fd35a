import Engine
import TestSupport
import Foundation
import Testing
@testable import Training

/// Augmentation sits between the images and D in every phase, and R1 differentiates through it twice.
@Suite struct GradientTests {
    static let resampled = AugmentDraw(scale: 1.1, preRotation: 0.4, anisotropy: 0.9, postRotation: -0.3,
                                       fractionalShiftX: 0.3, fractionalShiftY: -0.6, brightness: 0.1, contrast: 1.3, hue: 0.5)
    static let blit = AugmentDraw(xflip: 1, quarterTurns: 1, integerShiftX: 2, integerShiftY: -1, saturation: 0.5)

    func weights(_ shape: [Int]) throws -> Tensor { try TestImages.random(shape, seed: 31) }

    @Test func firstOrderMatchesFiniteDifferences() throws {
        let images = try TestImages.random([2, 3, 8, 8], seed: 32)
        let draws = [Self.resampled, Self.blit]
        let r = try weights(images.shape)
        let error = try GradCheck.firstOrderErrors([images]) { x in try (AugmentPipe.apply(images: x[0], draws: draws) * r).sum() }[0]
        print("augment first-order gradient (resampled + blit image): relative error \(String(format: "%.2e", error))")
        #expect(error < 2e-3)
    }

    /// R1-like: h(θ) = Σ (∂f/∂x)² with f = Σ R ⊙ softplus(2·aug(θ·x)), differentiated with respect to θ
    /// (and to x) through the create-graph backward of the resampling path.
    @Test(arguments: [1, 0])
    func secondOrderMatchesFiniteDifferences(checked: Int) throws {
        let images = try TestImages.random([1, 3, 8, 8], seed: 33)
        let theta = try Tensor(shape: [1, 1, 1, 1], values: [0.8])
        let r = try weights(images.shape)
        let error = try GradCheck.secondOrderErrors([images, theta], differentiate: 0, checked: [checked]) { inputs in
            let augmented = try AugmentPipe.apply(images: inputs[0] * inputs[1], draws: [Self.resampled])
            return try ((augmented * 2).softplus() * r).sum()
        }[0]
        print("augment second-order gradient w.r.t. \(checked == 1 ? "θ" : "x"): relative error \(String(format: "%.2e", error))")
        #expect(error < 1e-2)
    }

    @Test func identityPassesGradientsThrough() throws {
        let images = try TestImages.random([2, 3, 5, 5], seed: 34).requiringGrad()
        var random = RandomState(seed: 1)
        let output = try AugmentPipe(preset: .bgc, p: 0).apply(images: images, random: &random)
        let gradient = try gradients(of: output.sum(), withRespectTo: [images])[0]
        #expect(gradient.scalars.allSatisfy { $0 == 1 })
    }
}
