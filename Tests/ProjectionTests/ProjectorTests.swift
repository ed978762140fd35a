import Checkpoint
import Engine
import Foundation
import Generation
import Interop
import Metrics
import Networks
@testable import Projection
import Testing
import TestSupport

/// The projector on tiny64: recovering an image the network itself made from a known w.
@Suite(.enabled(if: Fixtures.available, Fixtures.missing))
struct ProjectorTests {
    /// tiny64.pkl imported once for the whole run (the folder lives as long as the process).
    static let folder = try! TemporaryDirectory()
    static let checkpoint: URL = {
        let checkpoint = folder.file("tiny64.h5")
        try! ModelImporter.importCheckpoint(from: Fixtures.url("tiny64.pkl"), to: checkpoint)
        return checkpoint
    }()
    static let generator = try! Generator(reader: CheckpointReader.open(checkpoint.path))

    /// The image of seed 7's w, with the network's stored noise: a target the generator can reach exactly.
    static func target() throws -> Tensor {
        let ws = try GradMode.withoutGrad { try generator.map(z: Latents.z(seeds: [7], zDim: generator.architecture.zDim)) }
        return try GradMode.withoutGrad { try generator.synthesize(ws: ws, noise: .const) }
    }

    /// PSNR in dB with the [−1, 1] range's peak-to-peak 2 (the same number as for 8-bit images with 255).
    static func psnr(_ a: Tensor, _ b: Tensor) throws -> Double {
        let meanSquare = zip(a.scalars, b.scalars).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(a.count)
        return 10 * log10(4 / meanSquare)
    }

    /// Fast settings: the pixel distance only (LPIPS parity is LPIPSTests'), a short run, fewer w samples.
    /// tiny64's noise strengths are large (its image with the stored noise and without any differ by
    /// 5.5 dB PSNR), so only a projection that keeps the stored noise can reproduce the target closely.
    static func settings(wPlus: Bool, steps: Int) -> ProjectionSettings {
        var settings = ProjectionSettings()
        settings.optimizesNoise = false
        settings.steps = steps
        settings.averageSamples = 1000
        settings.pixelWeight = 1
        settings.wPlus = wPlus
        return settings
    }

    static func reconstruction(_ result: ProjectionResult) throws -> Tensor {
        try GradMode.withoutGrad { try generator.synthesize(ws: result.ws, noise: .const) }
    }

    @Test func recoversAGeneratedImageInWAndWPlus() throws {
        let target = try Self.target()
        let a = Self.generator.architecture
        let average = try Projector(generator: Self.generator, lpips: nil, settings: Self.settings(wPlus: false, steps: 1)).wStatistics().average
        let start = try Self.psnr(GradMode.withoutGrad {
            try Self.generator.synthesize(ws: average.reshaped([1, 1, a.wDim]).expand(to: [1, Self.generator.numWs, a.wDim]), noise: .const)
        }, target)
        var psnr: [Bool: Double] = [:]
        for wPlus in [false, true] {
            let projector = try Projector(generator: Self.generator, lpips: nil, settings: Self.settings(wPlus: wPlus, steps: 300))
            let result = try projector.project(target: target)
            #expect(result.ws.shape == [1, Self.generator.numWs, Self.generator.architecture.wDim])
            psnr[wPlus] = try Self.psnr(Self.reconstruction(result), target)
        }
        #expect(psnr[false]! >= 30, "W: PSNR \(psnr[false]!) dB after 300 steps (from \(start) dB at the mean w)")
        #expect(psnr[true]! >= psnr[false]!, "W+ \(psnr[true]!) dB (300 W + 300 W+ steps) vs W \(psnr[false]!) dB")
    }

    /// torchvision's ImageNet VGG16 state dict, which toonkit neither bundles nor downloads: the LPIPS check below runs
    /// only when TOONKIT_VGG16 names it (the file's classifier tensors, if present, are not read).
    static let imageNetVGG16 = ProcessInfo.processInfo.environment["TOONKIT_VGG16"].map { URL(fileURLWithPath: $0) }

    /// The acceptance run with the distance the projector is for: LPIPS only (real v0.1 heads, ImageNet backbone), fresh
    /// noise images kept fixed, 300 W steps then 300 W+ steps from there, against the unclipped target.
    @Test(.enabled(if: imageNetVGG16 != nil, "set TOONKIT_VGG16 to torchvision's vgg16-397923af.pth to run the LPIPS projection check"))
    func recoversAGeneratedImageWithLPIPS() throws {
        let heads = Fixtures.repository.appendingPathComponent("fixtures/lpips/vgg.pth")
        let lpips = try LPIPS(weights: .load(backbone: try #require(Self.imageNetVGG16), heads: heads))
        let target = try Self.target()
        var psnr: [Bool: Double] = [:], distance: [Bool: Float] = [:]
        for wPlus in [false, true] {
            var settings = Self.settings(wPlus: wPlus, steps: 300)
            settings.pixelWeight = 0
            let result = try Projector(generator: Self.generator, lpips: lpips, settings: settings).project(target: target)
            psnr[wPlus] = try Self.psnr(Self.reconstruction(result), target)
            distance[wPlus] = result.bestDistance
        }
        print("LPIPS projection of tiny64 seed 7: W \(psnr[false]!) dB (LPIPS \(distance[false]!)), W+ \(psnr[true]!) dB (LPIPS \(distance[true]!))")
        #expect(psnr[false]! >= 30, "W: PSNR \(psnr[false]!) dB after 300 LPIPS steps")
        #expect(psnr[true]! >= psnr[false]!, "W+ \(psnr[true]!) dB vs W \(psnr[false]!) dB")
    }

    @Test func stoppingEarlyKeepsTheBestLatent() throws {
        let projector = try Projector(generator: Self.generator, lpips: nil, settings: Self.settings(wPlus: false, steps: 50))
        let result = try projector.project(target: Self.target()) { $0.step < 4 }
        #expect(result.stoppedEarly)
        #expect(result.history.count == 4)
        #expect(result.bestDistance == result.history.map(\.distance).min())
        #expect(result.history[result.bestStep - 1].distance == result.bestDistance)
    }

    @Test func refusesAProjectionWithoutADistance() throws {
        #expect(throws: ProjectionError.self) { try Projector(generator: Self.generator, lpips: nil, settings: ProjectionSettings()) }
    }
}

extension ProjectorTests {
    @Test func optimisedNoiseImagesStayWhiteAndNormalised() throws {
        var settings = Self.settings(wPlus: false, steps: 5)
        settings.optimizesNoise = true
        let result = try Projector(generator: Self.generator, lpips: nil, settings: settings).project(target: Self.target())
        // At step 1 the random noise images carry the regulariser; after a few steps it has fallen.
        #expect(result.history.count == 5)
        #expect(result.history.allSatisfy { $0.loss > $0.distance })
    }
}
