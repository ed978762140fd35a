import Engine
import Foundation
import Testing
@testable import Training

@Suite struct MatrixTests {
    typealias M = HomogeneousMatrix

    func expectClose(_ a: M, _ b: M, tolerance: Double = 1e-12, _ comment: Comment? = nil) {
        let error = zip(a.entries, b.entries).map { abs($0 - $1) }.max() ?? 0
        #expect(error <= tolerance, "\(a) vs \(b)")
    }

    @Test func quarterRotationsAreExactAndCounterClockwise() {
        #expect(M.quarterRotation2D(1) == M(rows: [[0, -1, 0], [1, 0, 0], [0, 0, 1]]))
        #expect(M.quarterRotation2D(4) == .identity(3))
        #expect(M.quarterRotation2D(1) * M.quarterRotation2D(3) == .identity(3))
        expectClose(M.quarterRotation2D(1), M.rotation2D(.pi / 2), tolerance: 1e-15)
    }

    @Test func blitDrawComposesToSignedPermutationWithShift() {
        // Inverses right-multiplied: xflip, then rotate90, then the integer shift.
        let draw = AugmentDraw(xflip: 1, quarterTurns: 1, integerShiftX: 3, integerShiftY: -2)
        let expected = M.scale2D(-1, 1) * M.quarterRotation2D(1) * M.translation2D(-3, 2)
        #expect(draw.geometricInverse == expected)
        #expect(expected == M(rows: [[0, 1, 2], [1, 0, -3], [0, 0, 1]]))
    }

    /// G_inv must undo the forward chain in which xflip acts first and the fractional shift last.
    @Test func geometricInverseUndoesTheForwardChain() {
        let d = AugmentDraw(xflip: 1, quarterTurns: 3, integerShiftX: -4, integerShiftY: 5, scale: 1.3, preRotation: 0.7,
                            anisotropy: 0.8, postRotation: -2.1, fractionalShiftX: 1.25, fractionalShiftY: -0.5)
        let forwardSteps: [M] = [
            .scale2D(-1, 1), .rotation2D(-Double.pi / 2 * 3), .translation2D(-4, 5), .scale2D(1.3, 1.3),
            .rotation2D(-0.7), .scale2D(0.8, 1 / 0.8), .rotation2D(2.1), .translation2D(1.25, -0.5),
        ]
        let forward = forwardSteps.reduce(M.identity(3)) { composed, step in step * composed }
        expectClose(d.geometricInverse * forward, .identity(3), tolerance: 1e-12)
        // The order matters: the same steps composed the other way round do not invert it.
        let reversed = forwardSteps.reversed().reduce(M.identity(3)) { composed, step in step * composed }
        #expect(zip((d.geometricInverse * reversed).entries, M.identity(3).entries).contains { abs($0 - $1) > 0.1 })
    }

    @Test func identityDrawsGiveIdentityMatrices() {
        #expect(AugmentDraw().geometricInverse.isIdentity)
        #expect(AugmentDraw().colorMatrix.isIdentity)
    }

    func rgb(_ m: M, _ color: [Double]) -> [Double] { Array(m.applied(to: color + [1]).prefix(3)) }

    func expectClose(_ a: [Double], _ b: [Double], tolerance: Double = 1e-12) {
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }, "\(a) vs \(b)")
    }

    @Test func brightnessAddsAndContrastScales() {
        expectClose(rgb(AugmentDraw(brightness: 0.25).colorMatrix, [0.1, -0.5, 0.9]), [0.35, -0.25, 1.15])
        expectClose(rgb(AugmentDraw(contrast: 1.5).colorMatrix, [0.1, -0.5, 0.9]), [0.15, -0.75, 1.35])
        // Brightness is applied first, so contrast scales it too.
        expectClose(rgb(AugmentDraw(brightness: 0.2, contrast: 2).colorMatrix, [0, 0, 0]), [0.4, 0.4, 0.4])
    }

    @Test func lumaflipNegatesLumaKeepsChromaAndIsAnInvolution() {
        let flip = AugmentDraw(lumaflip: 1).colorMatrix
        expectClose(flip * flip, .identity(4))
        expectClose(rgb(flip, [0.3, 0.3, 0.3]), [-0.3, -0.3, -0.3])
        // A chroma vector (orthogonal to the luma axis) is left alone.
        expectClose(rgb(flip, [0.5, -0.5, 0]), [0.5, -0.5, 0])
    }

    @Test func hueRotatesAboutTheLumaAxis() {
        // A third of a turn about (1, 1, 1) permutes the channels cyclically.
        expectClose(rgb(AugmentDraw(hue: 2 * .pi / 3).colorMatrix, [1, 0, 0]), [0, 1, 0])
        expectClose(rgb(AugmentDraw(hue: 1.1).colorMatrix, [0.2, 0.2, 0.2]), [0.2, 0.2, 0.2])
        let m = AugmentDraw(hue: 0.4).colorMatrix
        let t = M(rows: (0..<4).map { i in (0..<4).map { m[$0, i] } })
        expectClose(m * t, .identity(4))
    }

    @Test func saturationZeroGivesGrayAlongTheLumaAxis() {
        expectClose(rgb(AugmentDraw(saturation: 0).colorMatrix, [0.9, -0.3, 0.0]), [0.2, 0.2, 0.2])
        expectClose(rgb(AugmentDraw(saturation: 2).colorMatrix, [0.4, 0.1, 0.1]), [0.6, 0.0, 0.0])
    }

    @Test func colourIsAppliedToRGBImagesPerPixel() throws {
        let images = try TestImages.random([2, 3, 4, 5], seed: 11)
        let draws = [AugmentDraw(brightness: -0.1, contrast: 0.7, hue: 0.9), AugmentDraw()]
        let output = try AugmentPipe.apply(images: images, draws: draws)
        let x = images.scalars, y = output.scalars, plane = 20
        for pixel in 0..<plane {
            let color = (0..<3).map { Double(x[$0 * plane + pixel]) }
            let expected = rgb(draws[0].colorMatrix, color)
            #expect((0..<3).allSatisfy { abs(Double(y[$0 * plane + pixel]) - expected[$0]) < 1e-6 })
        }
        // An image whose matrix is the identity comes through bit-exact.
        #expect(Array(y[60...]) == Array(x[60...]))
    }

    /// One channel: the three RGB rows are averaged, so lumaflip negates and contrast scales the gray value.
    @Test func singleChannelUsesTheMeanRow() throws {
        let images = try TestImages.random([3, 1, 3, 3], seed: 12)
        let draws = [AugmentDraw(lumaflip: 1), AugmentDraw(brightness: 0.3, contrast: 2), AugmentDraw(saturation: 0)]
        let output = try AugmentPipe.apply(images: images, draws: draws).scalars
        let x = images.scalars
        for i in 0..<9 {
            #expect(abs(output[i] + x[i]) < 1e-6)
            #expect(abs(output[9 + i] - (2 * x[9 + i] + 0.6)) < 1e-6)
            #expect(abs(output[18 + i] - x[18 + i]) < 1e-6)
        }
    }

    @Test func otherChannelCountsAreRefusedForColour() throws {
        let images = try TestImages.random([1, 2, 4, 4], seed: 13)
        var random = RandomState(seed: 1)
        #expect(throws: EngineError.self) { try AugmentPipe(preset: .bgc, p: 0.5).apply(images: images, random: &random) }
        _ = try AugmentPipe(preset: .bg, p: 0.5).apply(images: images, random: &random)
    }
}
