import Checkpoint
import Networks
import Foundation
import Imaging
import Metrics
import TestSupport
import Testing
import Training
@testable import Workflows

/// The models the project ships for the demo (written by scripts/train-demo-base.sh and scripts/train-demo-cartoon.sh).
let demoBase = Fixtures.repository.appendingPathComponent(DemoJob.bundledBase)
let demoCartoonModel = Fixtures.repository.appendingPathComponent(DemoJob.bundledCartoonModel)

/// `toonkit demo` end to end on the shipped models, shortened to a few training steps and few measured images.
@Suite struct DemoTests {
    @Test func theDemoFineTunesSweepsBlendsMeasuresAndReports() throws {
        let folder = try TemporaryDirectory()
        var job = DemoJob(base: demoBase, cartoonModel: demoCartoonModel, outdir: folder.url)
        job.kimg = 0.032
        job.cartoons = 48
        job.effectImages = 8
        var fractions: [Double] = []
        let outcome = try job.run(progress: { fractions.append($0.fraction) })
        let steps = outcome.steps
        #expect(steps.map(\.title) == ["Sample the bundled models", "Draw the cartoon data set", "Fine-tune live with ADA and FreezeD",
                                       "Sweep the layer swap", "Write blended checkpoints", "Measure the effect"])
        #expect(fractions.first == 0 && zip(fractions, fractions.dropFirst()).allSatisfy { $0 <= $1 } && fractions.last! > 0.95)
        let report = try String(contentsOf: folder.file("REPORT.md"), encoding: .utf8)
        for file in steps.flatMap(\.files) {
            #expect(FileManager.default.fileExists(atPath: file), "\(file) listed but missing")
            #expect(report.contains(file))
        }
        #expect(report.contains("Where the models come from") && report.contains(ToonifyEffect.table(outcome.effect)))

        // Six seeds by base + swaps at 4, 8, 16 + style, each enlarged to 128 px, under a header; 4×4 grids likewise.
        for name in ["sweep.png", "sweep-live.png"] {
            let sweep = try PNG.read(folder.file(name))
            #expect(sweep.width >= 5 * 128 && sweep.width < 5 * 128 + 160 && sweep.height >= 6 * 128 && sweep.height < 6 * 128 + 120, "\(name)")
        }
        for name in ["base-faces.png", "cartoon-model.png", "cartoons-preview.png", "live-finetune.png", "toon-swap8.png"] {
            let grid = try PNG.read(folder.file(name))
            #expect(grid.width >= 4 * 128 && grid.height >= 4 * 128, "\(name)")
        }
        for blended in ["toon-swap8.h5", "toon-swap16.h5"] {
            #expect(CheckpointValidator.validate(path: folder.path(blended)).status == .valid, "\(blended)")
        }
        try checkTheEffect(outcome.effect)
        try checkFreezeD(liveSnapshot: steps[2].files[0])
        withExtendedLifetime(folder) {}
    }

    /// The acceptance of the demo on a CI-sized measurement: the cartoon model is at most half as far
    /// from the cartoon data as the face model, every swap lies between, and edge density says the same.
    func checkTheEffect(_ effect: ToonifyEffect.Report) throws {
        #expect(effect.rows.map(\.label) == [ToonifyEffect.cartoonData, ToonifyEffect.faceData, ToonifyEffect.baseLabel, "swap at 4", "swap at 8",
                                             "swap at 16", ToonifyEffect.styleLabel, "live fine-tune"])
        let ratio = try #require(effect.cartoonToBaseRatio)
        #expect(ratio <= 0.5, "cartoon model / face model KID to the cartoon data: \(ratio)")
        #expect(effect.swapsBetween.count == 3 && effect.swapsBetween.allSatisfy(\.between), "\(effect.swapsBetween)")
        let edges = { (label: String) in effect.row(label)!.rendering.edgeDensity }
        #expect(edges(ToonifyEffect.cartoonData) > 2 * edges(ToonifyEffect.faceData), "the data sets differ in outlines")
        #expect(edges(ToonifyEffect.styleLabel) > 2 * edges(ToonifyEffect.baseLabel), "the cartoon model draws outlines, the face model does not")
        #expect(effect.warning != nil, "stand-in Inception weights are announced")
    }

    /// FreezeD 4 keeps D's input block bit-identical; the generator moves.
    func checkFreezeD(liveSnapshot: String) throws {
        let fineTuned = try CheckpointReader.open(liveSnapshot)
        let base = try CheckpointReader.open(demoBase.path)
        for info in try base.tensorInfos(network: "D") where info.kind == .parameter {
            let same = try fineTuned.tensorInfo(network: "D", name: info.name).sha256 == info.sha256
            #expect(same == info.name.hasPrefix("b32."), "D/\(info.name) \(same ? "unchanged" : "changed")")
        }
        let weight = "synthesis.b32.conv1.weight"
        #expect(try fineTuned.tensorInfo(network: "G", name: weight).sha256 != base.tensorInfo(network: "G", name: weight).sha256)
    }

    @Test func aStopEndsTheFineTuningEarlyAndTheReportSaysSo() throws {
        let folder = try TemporaryDirectory()
        var job = DemoJob(base: demoBase, cartoonModel: demoCartoonModel, outdir: folder.url)
        job.kimg = 1
        job.cartoons = 32
        job.effectImages = 2
        var checks = 0
        // Stops after the first training step has been taken (the session asks before every step).
        let steps = try job.run(shouldStop: { checks += 1; return checks > 2 }).steps
        #expect(steps.count == 6)
        #expect(steps[2].detail.contains("stopped early by an interrupt; 1 were planned"))
        #expect(FileManager.default.fileExists(atPath: folder.path("sweep.png")))
        withExtendedLifetime(folder) {}
    }

    /// A face model without a discriminator (a generator-only export) cannot be fine-tuned: refused before the output
    /// folder is made, naming the file.
    @Test func aBaseWithoutADiscriminatorIsRefusedBeforeAnyWork() throws {
        let folder = try TemporaryDirectory()
        let generatorOnly = folder.file("generator-only.h5")
        let reader = try CheckpointReader.open(demoBase.path)
        let writer = try CheckpointWriter(path: generatorOnly.path, architectureDocument: reader.architectureDocument, durable: false)
        try writer.copyContents(of: reader, networks: ["G_ema"])
        try writer.commit()
        let job = DemoJob(base: generatorOnly, cartoonModel: demoCartoonModel, outdir: folder.file("out"))
        let error = try #require(throws: TrainingError.self) { try job.run() }
        #expect("\(error)".hasPrefix("\(generatorOnly.path) has no discriminator (networks: G_ema)"))
        #expect(folder.contents == ["generator-only.h5"])
    }

    @Test func missingModelsAreNamed() throws {
        let folder = try TemporaryDirectory()
        for (base, cartoon) in [(folder.file("nowhere.h5"), demoCartoonModel), (demoBase, folder.file("nowhere.h5"))] {
            let job = DemoJob(base: base, cartoonModel: cartoon, outdir: folder.file("out"))
            let error = try #require(throws: TrainingError.self) { try job.run() }
            #expect("\(error)".contains("nowhere.h5"))
        }
        #expect(folder.contents.isEmpty)
    }

    @Test func renderingStatisticsSeeOutlines() throws {
        let cartoons = try SyntheticDataset(kind: .cartoons, count: 8, resolution: 32, seed: 3)
        let faces = try SyntheticDataset(kind: .faces, count: 8, resolution: 32, seed: 3)
        let cartoonEdges = try RenderingStatistics(of: cartoons.imageSource).edgeDensity
        #expect(try cartoonEdges > 2 * RenderingStatistics(of: faces.imageSource).edgeDensity)
        let flat = ImageSource(count: 1, channels: 3, height: 4, width: 4, description: "flat") { _ in [UInt8](repeating: 90, count: 48) }
        #expect(try RenderingStatistics(of: flat).edgeDensity == 0)
        // A checkerboard steps at every pixel except the last one (no right or lower neighbour).
        let board = ImageSource(count: 1, channels: 1, height: 4, width: 4, description: "board") { _ in (0..<16).map { ($0 / 4 + $0 % 4) % 2 == 0 ? 0 : 255 } }
        #expect(try RenderingStatistics(of: board).edgeDensity == 15.0 / 16)
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
        let monitor = try FIDMonitor(inception: .formula(), rounding: .standard, dataset: dataset, images: 8, kid: false,
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
        // Each snapshot's metrics.jsonl line says what its FID was measured with.
        let lines = try String(contentsOfFile: report.rows[0].runDirectory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let line = try JSONValue.parse(String(lines[0]), what: "metrics.jsonl")
        guard case .object(let values) = line else { Issue.record("metrics.jsonl line is not an object: \(line)"); return }
        #expect(values["rounding"] == .string("standard") && values["first_seed"] == .number(0) && values["truncation_psi"] == .number(1))
        #expect(values["extractor"] == .string(InceptionWeights.formula().identity))
        #expect(values["generated_images"] == .number(8) && values["real_images"] == .number(16) && values["kimg"] == .number(0.008))
        #expect(values["fid"].map { if case .number(let fid) = $0 { fid.isFinite } else { false } } == true)
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

    /// The third variant's FreezeD is checked against the base's discriminator before anything is measured or written:
    /// all of its layers may be frozen, one more is refused naming the base.
    @Test func aFreezeDDeeperThanTheBaseIsRefusedBeforeAnyWork() throws {
        let folder = try TemporaryDirectory()
        let dataset = try SyntheticDataset(kind: .cartoons, count: 4, resolution: 32, seed: 3)
        let layers = try NetworkAnatomy.of(CheckpointReader.open(demoBase.path), network: "D").freezeOrder.count
        try CompareJob(base: demoBase, dataset: dataset, outdir: folder.file("out"), options: TrainingOptions(), freezeD: layers).checkInputs()
        let job = CompareJob(base: demoBase, dataset: dataset, outdir: folder.file("out"), options: TrainingOptions(), freezeD: layers + 1)
        let error = try #require(throws: TrainingError.self) { try job.checkInputs() }
        #expect("\(error)" == "\(demoBase.path): --freezed \(layers + 1): network D has \(layers) freezable layers (0…\(layers))")
        #expect(folder.contents.isEmpty)
    }
}
