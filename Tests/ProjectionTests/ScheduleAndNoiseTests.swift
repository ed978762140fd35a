import Engine
import Foundation
@testable import Projection
import Testing
import TestSupport

@Suite struct ScheduleAndNoiseTests {
    /// Values of projector.py's schedule for num_steps = 1000, worked out by hand.
    @Test func learningRateWarmsUpThenRampsDownAlongACosine() {
        let settings = ProjectionSettings()
        #expect(settings.learningRate(at: 0) == 0)
        #expect(abs(settings.learningRate(at: 25) - 0.05) < 1e-12)  // half-way through the 5 % warm-up
        #expect(abs(settings.learningRate(at: 500) - 0.1) < 1e-12)
        #expect(abs(settings.learningRate(at: 875) - 0.05) < 1e-12)  // half-way down the last 25 %
        #expect(settings.learningRate(at: 999) < 2e-5)
    }

    @Test func wNoiseDecaysQuadraticallyToZeroAtThreeQuarters() {
        let settings = ProjectionSettings()
        #expect(abs(settings.wNoiseScale(at: 0, wStd: 2) - 0.1) < 1e-12)
        #expect(abs(settings.wNoiseScale(at: 375, wStd: 2) - 0.025) < 1e-12)
        #expect(settings.wNoiseScale(at: 750, wStd: 2) == 0)
        #expect(settings.wNoiseScale(at: 900, wStd: 2) == 0)
    }

    @Test func rollMovesTheLastSliceToTheFront() throws {
        let x = try Tensor(shape: [1, 1, 2, 3], values: [1, 2, 3, 4, 5, 6])
        #expect(try NoiseRegularizer.rolledByOne(x, axis: 3).scalars == [3, 1, 2, 6, 4, 5])
        #expect(try NoiseRegularizer.rolledByOne(x, axis: 2).scalars == [4, 5, 6, 1, 2, 3])
    }

    /// A ±1 checkerboard correlates −1 with each neighbour at full scale; its 2×2 averages are all 0.
    @Test func regularizerPenalisesNeighbourCorrelation() throws {
        let size = 16
        let board = try Tensor(shape: [size, size], values: (0..<(size * size)).map { ($0 / size + $0 % size) % 2 == 0 ? 1 : -1 })
        #expect(try NoiseRegularizer.loss([board]).item() == 2)
        let flat = try Tensor.ones([4, 4])
        #expect(try NoiseRegularizer.loss([flat]).item() == 2)  // constant: correlation +1, one scale (4 ≤ 8)
    }

    @Test func renormalisedNoiseHasZeroMeanAndUnitMeanSquare() throws {
        let noise = GradCheck.random([8, 8], scale: 3, seed: 5) + 0.7
        let normalized = try NoiseRegularizer.renormalized(noise)
        #expect(abs(try normalized.mean().item()) < 1e-6)
        #expect(abs(try normalized.square().mean().item() - 1) < 1e-5)
    }

    @Test func imagesAbove256AreAreaDownsampledForTheDistance() throws {
        let image = GradCheck.random([1, 3, 512, 512], seed: 2)
        let compared = try ImageDistance.comparable(image)
        #expect(compared.shape == [1, 3, 256, 256])
        let v = image.scalars
        #expect(abs(compared.scalars[0] - (v[0] + v[1] + v[512] + v[513]) / 4) < 1e-6)
        let small = GradCheck.random([1, 3, 64, 64], seed: 2)
        #expect(try ImageDistance.comparable(small).scalars == small.scalars)
    }
}
