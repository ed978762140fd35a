import Checkpoint
import Networks
import Foundation
import Imaging
import Metrics
import TestSupport
import Testing
import Training
@testable import Workflows

/// The base model the project ships for the demo (written by scripts/train-demo-base.sh).
let demoBase = Fixtures.repository.appendingPathComponent("fixtures/demo/base-faces32.h5")

/// `toonkit demo` end to end on the shipped base, shortened to a few training steps.
@Suite struct DemoTests {
    @Test func theDemoFineTunesSweepsBlendsAndReports() throws {
        let folder = try TemporaryDirectory()
        var job = DemoJob(base: demoBase, outdir: folder.url)
        job.kimg = 0.032
        job.cartoons = 48
        let steps = try job.run()
        #expect(steps.map(\.title) == ["Sample the base model", "Draw the cartoon data set", "Fine-tune with ADA and FreezeD",
                                       "Sweep the layer swap", "Write blended checkpoints"])
        let report = try String(contentsOf: folder.file("REPORT.md"), encoding: .utf8)
        for file in steps.flatMap(\.files) {
            #expect(FileManager.default.fileExists(atPath: file), "\(file) listed but missing")
            #expect(report.contains(file))
        }

        // Six seeds by base + swaps at 4, 8, 16 + style, each 32 px, under a header.
        let sweep = try PNG.read(folder.file("sweep.png"))
        #expect(sweep.width >= 5 * 32 && sweep.width < 5 * 32 + 80 && sweep.height >= 6 * 32 && sweep.height < 6 * 32 + 60)

        for blended in ["toon-swap8.h5", "toon-swap16.h5"] {
            #expect(CheckpointValidator.validate(path: folder.path(blended)).status == .valid, "\(blended)")
        }

        // FreezeD 4 keeps D's input block bit-identical; the generator moves.
        let fineTuned = try CheckpointReader.open(steps[2].files[0])
        let base = try CheckpointReader.open(demoBase.path)
        for info in try base.tensorInfos(network: "D") where info.kind == .parameter {
            let same = try fineTuned.tensorInfo(network: "D", name: info.name).sha256 == info.sha256
            #expect(same == info.name.hasPrefix("b32."), "D/\(info.name) \(same ? "unchanged" : "changed")")
        }
        let weight = "synthesis.b32.conv1.weight"
        #expect(try fineTuned.tensorInfo(network: "G", name: weight).sha256 != base.tensorInfo(network: "G", name: weight).sha256)
        withExtendedLifetime(folder) {}
    }

    @Test func aStopEndsTheFineTuningEarlyAndTheReportSaysSo() throws {
        let folder = try TemporaryDirectory()
        var job = DemoJob(base: demoBase, outdir: folder.url)
        job.kimg = 1
        job.cartoons = 32
        var checks = 0
        // Stops after the first training step has been taken (the session asks before every step).
        let steps = try job.run(shouldStop: { checks += 1; return checks > 2 })
        #expect(steps.count == 5)
        #expect(steps[2].detail.contains("stopped early by an interrupt; 1 were planned"))
        #expect(FileManager.default.fileExists(atPath: folder.path("sweep.png")))
        withExtendedLifetime(folder) {}
    }

    @Test func aMissingBaseIsNamed() throws {
        let folder = try TemporaryDirectory()
        let job = DemoJob(base: folder.file("nowhere.h5"), outdir: folder.file("out"))
        let error = try #require(throws: TrainingError.self) { try job.run() }
        #expect("\(error)".contains("nowhere.h5"))
    }
}

/// `toonkit compare` in CI size: three variants of a few steps each, FID with the stand-in Inception weights.
@Suite struct CompareTests {
    @Test func threeVariantsGetAFIDCurveATableAndAPlot() throws {
        let folder = try TemporaryDirectory()
        let dataset = try SyntheticDataset(kind: .cartoons, count: 16, resolution: 32, seed: 3)
        var options = TrainingOptions.capstoneFineTune(resolution: 32, kimg: 0.016, seed: 5)
        options.batch = 8
        options.kimgPerTick = 0.008
        options.snapTicks = 1
        let monitor = try FIDMonitor(inception: .formula(), dataset: dataset, images: 8, kid: false,
                                     cache: StatisticsCache(directory: folder.file("cache")))
        let report = try CompareJob(base: demoBase, dataset: dataset, outdir: folder.url, options: options, freezeD: 4).run(monitor: monitor)

        #expect(report.rows.map(\.variant.name) == ["StyleGAN2", "ADA", "ADA + FreezeD"])
        for row in report.rows {
            // The base, then one point per snapshot (two ticks of 8 images).
            #expect(row.fidOverKimg.map { $0[0] } == [0, 0.008, 0.016], "\(row.variant.name)")
            #expect(row.fidOverKimg.allSatisfy { $0[1].isFinite && $0[1] >= 0 })
            #expect(FileManager.default.fileExists(atPath: row.finalSnapshot))
        }
        // The variants really differ: no augmentation keeps p at 0; FreezeD keeps D's input block (b32) as
        // in the base, plain ADA trains it.
        let base = try CheckpointReader.open(demoBase.path)
        let snapshots = try report.rows.map { try CheckpointReader.open($0.finalSnapshot) }
        #expect(snapshots[0].trainingScalars["augment_p"]?.doubleValue == 0)
        #expect((snapshots[1].trainingScalars["augment_p"]?.doubleValue ?? 0) > 0)
        let inputBlock = "b32.conv0.weight"
        let baseHash = try base.tensorInfo(network: "D", name: inputBlock).sha256
        #expect(try snapshots[1].tensorInfo(network: "D", name: inputBlock).sha256 != baseHash)
        #expect(try snapshots[2].tensorInfo(network: "D", name: inputBlock).sha256 == baseHash)
        #expect(!report.comparableWithPublished && report.warning != nil)
        #expect(CompareJob.table(report).contains("NOTE:"))
        let plot = try PNG.read(URL(fileURLWithPath: report.plot))
        let defaults = LinePlot(title: "", xLabel: "", yLabel: "", series: [])
        #expect(plot.width == defaults.width && plot.height == defaults.height)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.file("compare.json"))) as? [String: Any]
        #expect((json?["rows"] as? [Any])?.count == 3)
        withExtendedLifetime(folder) {}
    }

    @Test func aDataSetOfAnotherResolutionIsRefusedBeforeAnyWork() throws {
        let folder = try TemporaryDirectory()
        let dataset = try SyntheticDataset(kind: .cartoons, count: 4, resolution: 16, seed: 3)
        let job = CompareJob(base: demoBase, dataset: dataset, outdir: folder.file("out"), options: TrainingOptions(), freezeD: 4)
        let error = try #require(throws: TrainingError.self) { try job.checkInputs() }
        #expect("\(error)".contains("16² images") && "\(error)".contains("generates 32²"))
        #expect(folder.contents.isEmpty)
    }
}
