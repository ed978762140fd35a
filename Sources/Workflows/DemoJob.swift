import Checkpoint
import Foundation
import Generation
import Imaging
import Metrics
import Networks
import Surgery
import Training

/// `toonkit demo`: the whole toonify pipeline on embedded defaults, in minutes on a CPU.
/// Two bundled models, both trained by this project's scripts (their provenance logs are inside the
/// files): a small face model, and that model fine-tuned on procedural cartoons for much longer than a
/// demo can wait. The demo fine-tunes the face model briefly itself (training from an imported
/// checkpoint, as the real workflow does), swaps layers between the face and the cartoon model, and
/// measures where each swap lies between faces and cartoons; it writes pictures, blended checkpoints
/// and a REPORT.md of what was done and which model came from where.
public struct DemoJob {
    /// The bundled models, relative to the repository root (written by scripts/train-demo-base.sh and
    /// scripts/train-demo-cartoon.sh).
    public static let bundledBase = "fixtures/demo/base-faces32.h5"
    public static let bundledCartoonModel = "fixtures/demo/cartoon-faces32.h5"
    /// The face set the base was trained on (scripts/train-demo-base.sh draws it with this seed).
    static let faceDataSeed: UInt32 = 1
    /// Pictures show each generated image at least this large (nearest neighbour), so 32² networks can be judged.
    public static let minimumCellSize = 128
    static let truncation = 0.7
    static let sweepSeeds: [UInt32] = Array(0..<6)

    public var base: URL
    public var cartoonModel: URL
    public var outdir: URL
    public static let defaultKimg = 2.0
    public static let defaultEffectImages = 32

    /// Length of the live fine-tune, in thousands of images.
    public var kimg = Self.defaultKimg
    public var cartoons = 1000
    public var seed: UInt32 = 7
    /// Images per row of the effect measurement (real and generated).
    public var effectImages = Self.defaultEffectImages
    public var inception = InceptionWeights.formula()

    public init(base: URL, cartoonModel: URL, outdir: URL) {
        self.base = base
        self.cartoonModel = cartoonModel
        self.outdir = outdir
    }

    public struct Step: Codable, Sendable {
        public var title: String
        public var detail: String
        public var seconds: Double
        public var files: [String]
    }

    /// Where the demo is: the fraction of its planned work done (for a bar and an ETA) and what it does now.
    public struct Progress: Sendable {
        public var fraction: Double
        public var line: String
    }

    /// What a finished demo produced: its steps (as REPORT.md lists them) and the effect measurement.
    public struct Outcome: Sendable {
        public var steps: [Step]
        public var effect: ToonifyEffect.Report
    }

    /// Runs every step, rewriting REPORT.md after each. `shouldStop` (e.g. Ctrl-C) ends the live
    /// fine-tuning early with a final snapshot; everything after it still follows.
    public func run(progress: @escaping (Progress) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> Outcome {
        for (model, name) in [(base, "base model"), (cartoonModel, "cartoon model")] where !FileManager.default.fileExists(atPath: model.path) {
            throw TrainingError("\(model.path): the demo's bundled \(name) is missing: run `toonkit demo` from the repository root, or pass its path")
        }
        // Read before anything is written, so a bad model leaves no output folder behind.
        let baseReader = try CheckpointReader.open(base.path)
        let resolution = try baseReader.architecture.resolution
        guard try CheckpointArchitecture.resolution(of: cartoonModel) == resolution else {
            throw TrainingError("\(cartoonModel.path) does not generate \(resolution)² images as \(base.path) does")
        }
        try TrainingRun.requireFineTunable(baseReader, url: base, freezeD: fineTuneOptions(resolution: resolution).freezeD)
        try FileManager.default.createDirectory(at: outdir, withIntermediateDirectories: true)
        var plan = DemoPlan(kimg: kimg, effectRows: ToonifyEffect.rowCount(resolution: resolution, others: 1), effectImages: effectImages,
                            report: progress)
        var steps: [Step] = []
        func step(_ title: String, _ body: (_ report: (Double, String) -> Void) throws -> (String, [URL])) throws {
            plan.begin(title)
            let start = Date()
            let (detail, files) = try body { plan.report(within: $0, $1) }
            steps.append(Step(title: title, detail: detail, seconds: Date().timeIntervalSince(start), files: files.map { $0.path }))
            try writeReport(steps, effect: nil)
        }
        try step(DemoPlan.sampleModels) { _ in try sampleModels(resolution: resolution) }
        let dataURL = outdir.appendingPathComponent("cartoons.zip")
        try step(DemoPlan.drawCartoons) { _ in try drawCartoons(to: dataURL, resolution: resolution) }
        var liveModel = base
        try step(DemoPlan.fineTune) { report in
            let (snapshot, detail, files) = try fineTune(dataset: PNGDataset(url: dataURL), report: report, shouldStop: shouldStop)
            liveModel = snapshot
            return (detail, files)
        }
        try step(DemoPlan.sweep) { _ in try sweep(live: liveModel, resolution: resolution) }
        try step(DemoPlan.blend) { _ in try blend(at: [8, 16].filter { $0 < resolution }) }
        var effect: ToonifyEffect.Report?
        try step(DemoPlan.measure) { report in
            let (measured, detail, files) = try measureEffect(cartoons: PNGDataset(url: dataURL), live: liveModel, resolution: resolution, report: report)
            effect = measured
            return (detail, files)
        }
        guard let effect else { throw TrainingError("the effect measurement returned nothing") }
        try writeReport(steps, effect: effect)
        return Outcome(steps: steps, effect: effect)
    }

    private func sampleModels(resolution: Int) throws -> (String, [URL]) {
        let baseGrid = outdir.appendingPathComponent("base-faces.png")
        let cartoonGrid = outdir.appendingPathComponent("cartoon-model.png")
        try generateGrid(base, title: "face model (bundled base)", to: baseGrid)
        try generateGrid(cartoonModel, title: "cartoon model (bundled)", to: cartoonGrid)
        return ("The two bundled \(resolution)×\(resolution) models, 16 seeds each at ψ \(Self.truncation): the face model `\(base.lastPathComponent)` "
                + "(trained from scratch on procedural faces by scripts/train-demo-base.sh) and the cartoon model `\(cartoonModel.lastPathComponent)` "
                + "(the face model fine-tuned on procedural cartoons by scripts/train-demo-cartoon.sh; see \"Where the models come from\").",
                [baseGrid, cartoonGrid])
    }

    private func drawCartoons(to dataURL: URL, resolution: Int) throws -> (String, [URL]) {
        let drawn = try SyntheticDataset(kind: .cartoons, count: cartoons, resolution: resolution, seed: seed)
        let summary = try drawn.write(to: dataURL)
        let preview = outdir.appendingPathComponent("cartoons-preview.png")
        let pictures = try (0..<min(16, cartoons)).map { try drawn.picture(at: $0) }
        try PNG.write(ImageGrid.captioned(pictures, title: "cartoon data", magnification: magnification(resolution)), to: preview)
        return ("\(summary.images) procedural cartoon faces at \(resolution)×\(resolution) (seed \(seed)), in the reference's dataset zip format.", [dataURL, preview])
    }

    /// The live fine-tune's settings: the capstone's, one tick per kimg, no snapshot but the last.
    private func fineTuneOptions(resolution: Int) -> TrainingOptions {
        var options = TrainingOptions.capstoneFineTune(resolution: resolution, kimg: kimg, seed: seed)
        options.kimgPerTick = 1
        options.snapTicks = 1000
        return options
    }

    private func fineTune(dataset: ImageDataset, report: (Double, String) -> Void, shouldStop: () -> Bool) throws -> (URL, String, [URL]) {
        let options = fineTuneOptions(resolution: dataset.resolution)
        let run = try TrainingRun(resumeFrom: base, options: options, datasetCount: dataset.count, mode: .networksOnly)
        let session = try TrainingSession(run: run, dataset: dataset, outdir: outdir.appendingPathComponent("runs"),
                                          description: "cartoons-ada-freezed\(options.freezeD)")
        let snapshots = try session.train(progress: { step in
            report(Double(step.imagesSeen) / Double(max(step.totalImages, 1)),
                   String(format: "fine-tuning: kimg %.2f/%.2f, %.0f s/kimg", Double(step.imagesSeen) / 1000, Double(step.totalImages) / 1000, step.secondsPerKimg))
        }, shouldStop: shouldStop)
        guard let final = snapshots.last else { throw TrainingError("fine-tuning wrote no snapshot in \(session.runDirectory.path)") }
        let grid = outdir.appendingPathComponent("live-finetune.png")
        try generateGrid(final, title: String(format: "live fine-tune, %g kimg", session.run.kimg), to: grid)
        let frozen = NetworkAnatomy(session.run.discriminator.network).freezeOrder.prefix(session.run.options.freezeD).map(\.layer)
        let stopped = session.run.kimg < kimg ? " (stopped early by an interrupt; \(String(format: "%g", kimg)) were planned)" : ""
        let detail = "\(String(format: "%g", session.run.kimg)) kimg\(stopped) from the face model, live: ADA (bg, initial p 0.328), FreezeD on the discriminator's first "
            + "\(frozen.count) layers (\(frozen.joined(separator: ", "))), x-flips, R1 γ scaled from the capstone's 50 at 256² to this resolution. "
            + "This shows training from an imported checkpoint; a few kimg only begin to move the style (compare `live-finetune.png` with the bundled "
            + "cartoon model, fine-tuned with the same recipe at batch 8 for much longer). Run folder: \(session.runDirectory.lastPathComponent)."
        return (final, detail, [final, session.runDirectory.appendingPathComponent("log.jsonl"), grid])
    }

    private func sweep(live: URL, resolution: Int) throws -> (String, [URL]) {
        var files: [URL] = []
        for (style, name) in [(cartoonModel, "sweep.png"), (live, "sweep-live.png")] {
            let output = outdir.appendingPathComponent(name)
            let job = try SweepJob(SweepRecipe(base: base.path, style: style.path, seeds: Self.sweepSeeds, truncation: Self.truncation), output: output.path)
            job.magnification = magnification(resolution)
            _ = try job.run()
            files.append(output)
        }
        return ("One row per seed; columns: the face model, swaps at 4…\(resolution / 2) (blocks up to that resolution from the face model, the rest "
                + "from the cartoon model), the cartoon model; every cell \(magnification(resolution) * resolution) px (nearest neighbour). `sweep.png` "
                + "swaps with the bundled cartoon model, `sweep-live.png` with this run's short fine-tune.", files)
    }

    private func blend(at swaps: [Int]) throws -> (String, [URL]) {
        var files: [URL] = []
        for at in swaps {
            let output = outdir.appendingPathComponent("toon-swap\(at).h5")
            _ = try RecipeRunner.run(Recipe(action: .blend(BlendRecipe(base: base.path, style: cartoonModel.path, schedule: .swap(at: at))), output: output.path))
            let grid = outdir.appendingPathComponent("toon-swap\(at).png")
            try generateGrid(output, title: "swap at \(at)", to: grid)
            files += [output, grid]
        }
        return ("`toonkit swap --at R` of the face and the bundled cartoon model for R = \(swaps.map(String.init).joined(separator: " and ")): "
                + "structure from the faces, rendering from the cartoons; each with a 16-seed grid.", files)
    }

    private func measureEffect(cartoons: ImageDataset, live: URL, resolution: Int,
                               report: (Double, String) -> Void) throws -> (ToonifyEffect.Report, String, [URL]) {
        let faces = try SyntheticDataset(kind: .faces, count: effectImages, resolution: resolution, seed: Self.faceDataSeed)
        var effect = ToonifyEffect(base: base, style: cartoonModel, cartoons: cartoons, faces: faces, images: effectImages, truncation: Self.truncation)
        effect.others = [(Self.liveLabel, live)]
        let measured = try effect.run(inception: inception, progress: report)
        let json = outdir.appendingPathComponent("effect.json")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(measured).write(to: json, options: .atomic)
        return (measured, "KID and rendering statistics of \(effectImages) images per row; the table is under \"The effect, measured\".", [json])
    }

    static let liveLabel = "live fine-tune"

    func magnification(_ resolution: Int) -> Int { Image8.magnification(from: resolution, toAtLeast: Self.minimumCellSize) }

    private func generateGrid(_ checkpoint: URL, title: String, to output: URL) throws {
        var job = GenerateJob(checkpoint: checkpoint, source: .seeds(Array(0..<16)))
        job.truncation = Truncation(psi: Float(Self.truncation))
        job.grid = output
        job.gridCaption = "\(title), psi \(Self.truncation)"
        job.gridMagnification = magnification(try CheckpointArchitecture.resolution(of: checkpoint))
        _ = try job.run()
    }

    private func writeReport(_ steps: [Step], effect: ToonifyEffect.Report?) throws {
        let text = try DemoReport(job: self, steps: steps, effect: effect).markdown()
        try text.write(to: outdir.appendingPathComponent("REPORT.md"), atomically: true, encoding: .utf8)
    }
}
