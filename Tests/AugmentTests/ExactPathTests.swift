import Engine
import Foundation
import Testing
@testable import Training

/// The exactness guarantees: identity when nothing fires, blits as exact pixel permutations.
@Suite struct ExactPathTests {
    /// Applies `pipe` and returns the draws it used (drawn from an identical generator).
    func applyWithDraws(_ pipe: AugmentPipe, _ images: Tensor, seed: UInt32) throws -> (Tensor, [AugmentDraw]) {
        var forDraws = RandomState(seed: seed), forApply = RandomState(seed: seed)
        let s = images.shape
        let draws = pipe.drawParameters(count: s[0], channels: s[1], height: s[2], width: s[3], random: &forDraws)
        return (try pipe.apply(images: images, random: &forApply), draws)
    }

    @Test(arguments: [AugmentPreset.bg, .bgc])
    func zeroStrengthIsBitExactIdentity(preset: AugmentPreset) throws {
        let images = try TestImages.random([4, 3, 9, 11], seed: 1)
        var random = RandomState(seed: 2)
        let output = try AugmentPipe(preset: preset, p: 0).apply(images: images, random: &random)
        #expect(output.shape == images.shape)
        #expect(output.scalars.map(\.bitPattern) == images.scalars.map(\.bitPattern))
    }

    @Test func xflipAtFullStrengthFlipsExactly() throws {
        let images = try TestImages.random([8, 3, 6, 7], seed: 3)
        let pipe = AugmentPipe(multipliers: AugmentMultipliers(xflip: 1), p: 1)
        let (output, draws) = try applyWithDraws(pipe, images, seed: 4)
        #expect(Set(draws.map(\.xflip)) == [0, 1], "the seed should flip some images and not others")
        let expected = try TestImages.remapped(images, height: 6, width: 7) { n, y, x in (y, draws[n].xflip == 1 ? 6 - x : x) }
        #expect(output.scalars == expected.scalars)
    }

    @Test(arguments: [5, 6])
    func rotate90AtFullStrengthRotatesExactly(size: Int) throws {
        let images = try TestImages.random([12, 2, size, size], seed: 5)
        let pipe = AugmentPipe(multipliers: AugmentMultipliers(rotate90: 1), p: 1)
        let (output, draws) = try applyWithDraws(pipe, images, seed: 6)
        #expect(Set(draws.map(\.quarterTurns)) == [0, 1, 2, 3], "the seed should draw every quarter turn")
        // numpy's rot90(k) on the (H, W) axes: out[y][x] = in[x][S − 1 − y], applied k times.
        let expected = try TestImages.remapped(images, height: size, width: size) { n, y, x in
            (0..<draws[n].quarterTurns).reduce((y, x)) { point, _ in (point.1, size - 1 - point.0) }
        }
        #expect(output.scalars == expected.scalars)
    }

    @Test func integerShiftsReflectAtTheBorder() throws {
        let images = try TestImages.random([3, 3, 8, 10], seed: 7)
        let draws = [AugmentDraw(integerShiftX: 3, integerShiftY: -2), AugmentDraw(integerShiftX: -9, integerShiftY: 7),
                     AugmentDraw(xflip: 1, quarterTurns: 2, integerShiftX: 1, integerShiftY: 1)]
        let output = try AugmentPipe.apply(images: images, draws: draws)
        let expected = try TestImages.remapped(images, height: 8, width: 10) { n, y, x in
            // Forward: flip, rotate, then shift; so undo the shift first, then the (self-inverse) flips.
            let d = draws[n]
            var (sy, sx) = (y - d.integerShiftY, x - d.integerShiftX)
            if d.quarterTurns == 2 { (sy, sx) = (7 - sy, 9 - sx) }
            if d.xflip == 1 { sx = 9 - sx }
            return (TestImages.reflect(sy, size: 8), TestImages.reflect(sx, size: 10))
        }
        #expect(output.scalars == expected.scalars)
    }

    /// Odd quarter turns of a non-square image whose sides differ in parity do not map pixel centres onto
    /// pixel centres, so they are resampled, and the shape is still preserved.
    @Test func quarterTurnOfMixedParityImageIsResampled() throws {
        let images = try TestImages.smooth([1, 3, 6, 9])
        let draw = AugmentDraw(quarterTurns: 1)
        #expect(BlitPlan(inverseMatrix: draw.geometricInverse, height: 6, width: 9) == nil)
        #expect(BlitPlan(inverseMatrix: draw.geometricInverse, height: 6, width: 8) != nil)
        let output = try AugmentPipe.apply(images: images, draws: [draw])
        let reference = try AugmentPipe.resampleGeometry(images: images, inverseMatrices: [draw.geometricInverse])
        #expect(output.shape == images.shape)
        #expect(output.scalars == reference.scalars)
    }

    /// The up/down pair of the general path is sym6's perfect-reconstruction pair, so for identities and
    /// integer shifts the reference's resampling reproduces the exact blit up to float32 rounding. This pins
    /// the centring, the ×2 conjugation and the [−1, 1] normalisation.
    @Test func integerShiftsMatchTheGeneralPath() throws {
        let images = try TestImages.smooth([3, 3, 32, 32])
        let draws = [AugmentDraw(), AugmentDraw(integerShiftX: 3, integerShiftY: -4), AugmentDraw(integerShiftX: -1, integerShiftY: 2)]
        let exact = try AugmentPipe.apply(images: images, draws: draws)
        let resampled = try AugmentPipe.resampleGeometry(images: images, inverseMatrices: draws.map(\.geometricInverse))
        let difference = TestImages.maxAbsDifference(exact, resampled)
        print("integer shifts, blit vs general path: max |difference| \(difference)")
        #expect(difference < 1e-5)
    }

    /// sym6 is not symmetric (its taps' centre of mass is 5.10, not 5.5), so once the image is mirrored the
    /// up and down filters' delays add instead of cancelling: the reference's resampled flips and odd or
    /// even quarter turns land about 0.1 px off along each mirrored axis, which the exact blit does not.
    /// The offset is measured on a ramp (interior pixel), the resulting difference on a smooth image.
    @Test func flipsDifferFromTheGeneralPathByTheFiltersSubpixelOffset() throws {
        let size = 32
        let ramp = try Tensor(shape: [1, 1, size, size], values: (0..<size * size).map { Float(0.01 * Double($0 % size)) })
        let flip = AugmentDraw(xflip: 1)
        let centre = (size / 2) * size + size / 2
        let offset = try (AugmentPipe.resampleGeometry(images: ramp, inverseMatrices: [flip.geometricInverse]).scalars[centre]
                          - AugmentPipe.apply(images: ramp, draws: [flip]).scalars[centre]) / 0.01
        print("xflip through the general path: offset \(offset) px")
        #expect(abs(offset + 0.098) < 0.005)

        let images = try TestImages.smooth([4, 3, 32, 32])
        let draws = [AugmentDraw(xflip: 1), AugmentDraw(quarterTurns: 1), AugmentDraw(quarterTurns: 2),
                     AugmentDraw(xflip: 1, quarterTurns: 3, integerShiftX: -2, integerShiftY: 1)]
        let exact = try AugmentPipe.apply(images: images, draws: draws)
        let resampled = try AugmentPipe.resampleGeometry(images: images, inverseMatrices: draws.map(\.geometricInverse))
        let difference = TestImages.maxAbsDifference(exact, resampled)
        print("flips and quarter turns on a smooth 32×32 image (values in ±0.6), blit vs general path: max |difference| \(difference)")
        #expect(difference < 0.04)
    }

    /// Resampled images are padded by their own margins rather than the batch's largest: same values up to
    /// the rounding of the grid normalisation, including where a margin is clamped to size − 1.
    @Test func perImageMarginsMatchTheBatchWideReference() throws {
        let images = try TestImages.smooth([3, 3, 16, 16])
        let draws = [AugmentDraw(scale: 0.6, preRotation: 0.8), AugmentDraw(fractionalShiftX: 0.4),
                     AugmentDraw(anisotropy: 1.3, postRotation: -2)]
        let matrices = draws.map(\.geometricInverse)
        let batchMargins = GeometricResampling.paddingMargins(matrices, height: 16, width: 16)
        #expect(batchMargins == .init(left: 15, top: 15, right: 15, bottom: 15), "the shrunk image clamps the margins")
        #expect(GeometricResampling.paddingMargins([matrices[1]], height: 16, width: 16) != batchMargins)
        let perImage = try AugmentPipe.apply(images: images, draws: draws)
        let batch = try AugmentPipe.resampleGeometry(images: images, inverseMatrices: matrices)
        #expect(TestImages.maxAbsDifference(perImage, batch) < 1e-5)
    }

    /// A batch mixing identity, blit and resampled images: each kind is handled on its own, and the
    /// resampled ones match the reference path run on them alone.
    @Test func mixedBatchRoutesEachImage() throws {
        let images = try TestImages.random([3, 3, 10, 10], seed: 8)
        let draws = [AugmentDraw(scale: 1.2, preRotation: 0.3), AugmentDraw(), AugmentDraw(xflip: 1)]
        let output = try AugmentPipe.apply(images: images, draws: draws)
        let image = { (n: Int) in try images.slice(axis: 0, start: n, length: 1) }
        let outputImage = { (n: Int) in try output.slice(axis: 0, start: n, length: 1) }
        let resampled = try AugmentPipe.resampleGeometry(images: image(0), inverseMatrices: [draws[0].geometricInverse])
        #expect(try outputImage(0).scalars == resampled.scalars)
        #expect(try outputImage(1).scalars == image(1).scalars)
        let flipped = try TestImages.remapped(image(2), height: 10, width: 10) { _, y, x in (y, 9 - x) }
        #expect(try outputImage(2).scalars == flipped.scalars)
    }
}
