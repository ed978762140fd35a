import Engine
import Foundation
import Testing
@testable import Training

@Suite struct PipeTests {
    @Test func presetsEnableTheDocumentedAugmentations() {
        let bg = AugmentMultipliers(preset: .bg)
        #expect(bg == AugmentMultipliers(xflip: 1, rotate90: 1, xint: 1, scale: 1, rotate: 1, aniso: 1, xfrac: 1))
        #expect(!bg.usesColor)
        #expect(AugmentMultipliers(preset: .bgc) == AugmentMultipliers(xflip: 1, rotate90: 1, xint: 1, scale: 1, rotate: 1, aniso: 1, xfrac: 1,
                                                                        brightness: 1, contrast: 1, lumaflip: 1, hue: 1, saturation: 1))
        let c = AugmentConstants()
        #expect([c.xintMax, c.scaleStd, c.rotateMax, c.anisoStd, c.xfracStd, c.brightnessStd, c.contrastStd, c.hueMax, c.saturationStd]
                == [0.125, 0.2, 1, 0.2, 0.125, 0.2, 0.5, 1, 1])
    }

    /// The reference's `Hz_geom` buffer as stored in the fixture pickles (augment_pipe of tiny32.pkl):
    /// the taps must be these, in this order, up to its float32 normalisation.
    @Test func filterMatchesTheReferenceBuffer() {
        let referenceBuffer: [Float] = [
            0.010892349295318127, 0.0024683058727532625, -0.08343160152435303, -0.034161560237407684,
            0.3472289443016052, 0.5569463968276978, 0.238952174782753, -0.05136248096823692,
            -0.01489187404513359, 0.031625278294086456, 0.0012499609729275107, -0.0055159335024654865,
        ]
        let taps = GeometricResampling.filter.taps
        #expect(taps.count == 12)
        #expect(zip(taps, referenceBuffer).allSatisfy { abs($0 - $1) <= 3e-8 })
        #expect(abs(taps.reduce(0, +) - 1) < 1e-6)
        #expect(GeometricResampling.filterMargin == 6)
    }

    @Test func sameSeedSameOutputOtherSeedOtherOutput() throws {
        let images = try TestImages.random([4, 3, 12, 12], seed: 21)
        let pipe = AugmentPipe(preset: .bgc, p: 0.6)
        func run(_ seed: UInt32) throws -> [Float] {
            var random = RandomState(seed: seed)
            return try pipe.apply(images: images, random: &random).scalars
        }
        #expect(try run(5) == run(5))
        #expect(try run(5) != run(6))
    }

    /// The generator advances the same way whatever p is, so p never shifts the training loop's later draws.
    @Test func drawsConsumeTheSameRandomNumbersForEveryStrength() {
        var afterZero = RandomState(seed: 9), afterOne = RandomState(seed: 9)
        let zero = AugmentPipe(preset: .bgc, p: 0).drawParameters(count: 7, channels: 3, height: 16, width: 16, random: &afterZero)
        _ = AugmentPipe(preset: .bgc, p: 1).drawParameters(count: 7, channels: 3, height: 16, width: 16, random: &afterOne)
        #expect(zero.allSatisfy { $0 == AugmentDraw() })
        #expect(afterZero.snapshot == afterOne.snapshot)
    }

    /// Gate frequencies: xflip fires with p and then flips half the time; the two rotation gates together
    /// fire with probability rotate·p; integer shifts stay within xint_max of the size.
    @Test func gateFrequenciesFollowTheStrength() {
        var random = RandomState(seed: 10)
        let count = 20_000
        let draws = AugmentPipe(preset: .bg, p: 0.5).drawParameters(count: count, channels: 3, height: 64, width: 64, random: &random)
        func fraction(_ predicate: (AugmentDraw) -> Bool) -> Double { Double(draws.filter(predicate).count) / Double(count) }
        let tolerance = 4 * (0.25 / Double(count)).squareRoot()
        #expect(abs(fraction { $0.xflip == 1 } - 0.25) < tolerance)
        #expect(abs(fraction { $0.preRotation != 0 || $0.postRotation != 0 } - 0.5) < tolerance)
        #expect(abs(fraction { $0.scale != 1 } - 0.5) < tolerance)
        #expect(draws.allSatisfy { abs($0.integerShiftX) <= 8 && abs($0.integerShiftY) <= 8 })
    }

    @Test(arguments: [[2, 3, 7, 9], [3, 1, 5, 6], [1, 3, 1, 1], [2, 3, 2, 13]])
    func outputShapeIsPreserved(shape: [Int]) throws {
        let images = try TestImages.random(shape, seed: 22)
        var random = RandomState(seed: 23)
        let output = try AugmentPipe(preset: .bgc, p: 1).apply(images: images, random: &random)
        #expect(output.shape == shape)
        try output.checkFinite("augmented images")
    }

    @Test func pipeStateRoundTripsThroughJSON() throws {
        var pipe = AugmentPipe(preset: .bgc, p: 0.328)
        pipe.constants.xintMax = 0.25
        let decoded = try JSONDecoder().decode(AugmentPipe.self, from: JSONEncoder().encode(pipe))
        #expect(decoded == pipe)
    }
}
