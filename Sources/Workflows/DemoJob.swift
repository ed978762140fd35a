import Checkpoint
import Foundation
import Generation
import Imaging
import Networks
import Surgery
import Training

/// `toonkit demo`: the whole toonify pipeline on embedded defaults, in minutes on a CPU.
/// A small base model trained by this project on procedural faces (fixtures/demo) is fine-tuned on
/// procedural cartoons with ADA and FreezeD, then blended with itself at each resolution; the result
/// is a sweep grid, blended checkpoints, sample grids and a REPORT.md of what was done.
public struct DemoJob {
    public var base: URL
    public var outdir: URL
    public var kimg: Double = 6
    public var cartoons = 1000
    public var seed: UInt32 = 7

    public init(base: URL, outdir: URL) {
        self.base = base
        self.outdir = outdir
    }

    public struct Step: Codable, Sendable {
        public var title: String
        public var detail: String
        public var seconds: Double
        public var files: [String]
    }

    /// Runs every step, rewriting REPORT.md after each. `shouldStop` (e.g. Ctrl-C) ends the fine-tuning
    /// early with a final snapshot; the sweep and blends, seconds of work, still follow from it.
    public func run(progress: (String) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> [Step] {
        guard FileManager.default.fileExists(atPath: base.path) else {
            throw TrainingError("\(base.path): the demo's base model is missing: run `toonkit demo` from the repository root, or pass --base")
        }
        // Read before anything is written, so a bad base leaves no output folder behind.
        let resolution = try CheckpointReader.open(base.path).architecture.resolution
        try FileManager.default.createDirectory(at: outdir, withIntermediateDirectories: true)
        var steps: [Step] = []
        func step(_ title: String, _ body: () throws -> (String, [URL])) throws {
            progress(title)
            let start = Date()
            let (detail, files) = try body()
            steps.append(Step(title: title, detail: detail, seconds: Date().timeIntervalSince(start), files: files.map(\.path)))
            try writeReport(steps)
        }
        try step("Sample the base model") { try sampleBase(resolution: resolution) }
        let dataURL = outdir.appendingPathComponent("cartoons.zip")
        try step("Draw the cartoon data set") { try drawCartoons(to: dataURL, resolution: resolution) }
        var fineTuned = base
        try step("Fine-tune with ADA and FreezeD") {
            let (snapshot, session) = try fineTune(dataset: PNGDataset(url: dataURL), progress: progress, shouldStop: shouldStop)
            fineTuned = snapshot
            let frozen = NetworkAnatomy(session.run.discriminator.network).freezeOrder.prefix(session.run.options.freezeD).map(\.layer)
            let stopped = session.run.kimg < kimg ? " (stopped early by an interrupt; \(String(format: "%g", kimg)) were planned)" : ""
            return ("\(String(format: "%g", session.run.kimg)) kimg\(stopped) from the base: ADA (bg, initial p 0.328), FreezeD on the discriminator's first \(frozen.count) layers (\(frozen.joined(separator: ", "))), x-flips, R1 γ scaled from the capstone's 50 at 256² to this resolution. Run folder: \(session.runDirectory.lastPathComponent).",
                    [snapshot, session.runDirectory.appendingPathComponent("log.jsonl")])
        }
        try step("Sweep the layer swap") { try sweep(style: fineTuned, resolution: resolution) }
        try step("Write blended checkpoints") { try blend(style: fineTuned, at: [8, 16].filter { $0 < resolution }) }
        return steps
    }

    private func sampleBase(resolution: Int) throws -> (String, [URL]) {
        let grid = outdir.appendingPathComponent("base-faces.png")
        try generateGrid(base, to: grid)
        return ("The bundled base (\(base.lastPathComponent), \(resolution)×\(resolution), trained by scripts/train-demo-base.sh on procedural faces), 16 seeds at ψ 0.7.", [grid])
    }

    private func drawCartoons(to dataURL: URL, resolution: Int) throws -> (String, [URL]) {
        let drawn = try SyntheticDataset(kind: .cartoons, count: cartoons, resolution: resolution, seed: seed)
        let summary = try drawn.write(to: dataURL)
        let preview = outdir.appendingPathComponent("cartoons-preview.png")
        try PNG.write(drawn.previewGrid(count: 16), to: preview)
        return ("\(summary.images) procedural cartoon faces at \(resolution)×\(resolution) (seed \(seed)), in the reference's dataset zip format.", [dataURL, preview])
    }

    private func sweep(style: URL, resolution: Int) throws -> (String, [URL]) {
        let sweep = outdir.appendingPathComponent("sweep.png")
        _ = try SweepJob(SweepRecipe(base: base.path, style: style.path, seeds: Array(0..<6), truncation: 0.7), output: sweep.path).run()
        return ("One row per seed; columns: the face model, swaps at 4…\(resolution / 2) (blocks up to that resolution from the face model, the rest from the cartoon model), the cartoon model.", [sweep])
    }

    private func blend(style: URL, at swaps: [Int]) throws -> (String, [URL]) {
        var files: [URL] = []
        for at in swaps {
            let output = outdir.appendingPathComponent("toon-swap\(at).h5")
            _ = try RecipeRunner.run(Recipe(action: .blend(BlendRecipe(base: base.path, style: style.path, schedule: .swap(at: at))), output: output.path))
            let grid = outdir.appendingPathComponent("toon-swap\(at).png")
            try generateGrid(output, to: grid)
            files += [output, grid]
        }
        return ("`toonkit swap --at R` for R = \(swaps.map(String.init).joined(separator: " and ")): structure from the faces, rendering from the cartoons; each with a 16-seed grid.", files)
    }

    private func fineTune(dataset: ImageDataset, progress: (String) -> Void, shouldStop: () -> Bool) throws -> (URL, TrainingSession) {
        var options = TrainingOptions.capstoneFineTune(resolution: dataset.resolution, kimg: kimg, seed: seed)
        options.kimgPerTick = 1
        options.snapTicks = 1000
        let run = try TrainingRun(resumeFrom: base, options: options, datasetCount: dataset.count, mode: .networksOnly)
        let session = try TrainingSession(run: run, dataset: dataset, outdir: outdir.appendingPathComponent("runs"), description: "cartoons-ada-freezed4")
        let snapshots = try session.train(progress: { step in
            progress(String(format: "fine-tuning: kimg %.2f/%.2f, %.0f s/kimg", Double(step.imagesSeen) / 1000, Double(step.totalImages) / 1000, step.secondsPerKimg))
        }, shouldStop: shouldStop)
        guard let final = snapshots.last else { throw TrainingError("fine-tuning wrote no snapshot in \(session.runDirectory.path)") }
        return (final, session)
    }

    private func generateGrid(_ checkpoint: URL, to output: URL) throws {
        var job = GenerateJob(checkpoint: checkpoint, source: .seeds(Array(0..<16)))
        job.truncation = Truncation(psi: 0.7)
        job.grid = output
        _ = try job.run()
    }

    private func writeReport(_ steps: [Step]) throws {
        var text = "# toonkit demo\n\nThe toonify pipeline on procedural data, run by `toonkit demo`.\n\n"
        for (index, step) in steps.enumerated() {
            text += "## \(index + 1). \(step.title) (\(String(format: "%.1f", step.seconds)) s)\n\n\(step.detail)\n\n"
            text += step.files.map { "- `\($0)`" }.joined(separator: "\n") + "\n\n"
        }
        text += "Next: `toonkit inspect` any checkpoint above, `toonkit blend --width 1 --at 8` for a smooth transition, or train longer with `toonkit train --resume`.\n"
        try text.write(to: outdir.appendingPathComponent("REPORT.md"), atomically: true, encoding: .utf8)
    }
}
