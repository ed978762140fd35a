import ArgumentParser
import Engine
import Foundation
import Metrics
import Training
import Workflows

/// The Inception weights options shared by every command that measures FID.
struct InceptionOptions: ParsableArguments {
    @Option(help: "pytorch-fid's weights file pt_inception-2015-12-05-6726825d.pth (see `toonkit fid --help`).") var inception: String?
    @Flag(name: .customLong("formula-weights"), help: "Use deterministic stand-in Inception weights (FIDs then only compare runs measured the same way, never published numbers).")
    var formulaWeights = false
    @Option(name: .customLong("fid-num"), help: "Generated images per FID measurement (default: \(GeneratedImageOptions.defaultCount)).") var fidNum: Int?
    @Flag(help: "Also measure KID.") var kid = false
    @OptionGroup var inceptionRounding: InceptionRoundingOption

    func weights() throws -> InceptionWeights {
        let weights = try inception.map { try InceptionWeights.load(from: URL(fileURLWithPath: $0)) } ?? .formula()
        if let warning = weights.comparabilityWarning { Console.warn(warning) }
        return weights
    }

    var images: Int { fidNum ?? GeneratedImageOptions.defaultCount }

    /// `measures`: whether the command measures FID at all (`train` only with `--metrics fid`), so that options it would
    /// ignore are refused; `needsWeights`: whether it must be told which Inception weights to use.
    func validateChoice(measures: Bool, needsWeights: Bool) throws {
        if !measures {
            let given = [("--inception", inception != nil), ("--formula-weights", formulaWeights), ("--fid-num", fidNum != nil),
                         ("--kid", kid), ("--rounding", inceptionRounding.rounding != nil)].filter(\.1).map(\.0)
            if !given.isEmpty { throw ValidationError("\(given.joined(separator: ", ")): no FID is measured without --metrics fid") }
        }
        if inception != nil && formulaWeights { throw ValidationError("give --inception FILE.pth or --formula-weights, not both") }
        if needsWeights && inception == nil && !formulaWeights { throw ValidationError("give --inception FILE.pth (or --formula-weights)") }
        if images < 2 { throw ValidationError("--fid-num must be at least 2") }
    }

    func monitor(dataset: ImageDataset) throws -> FIDMonitor {
        var bar = ProgressBar()
        defer { bar.finish() }
        return try FIDMonitor(inception: weights(), rounding: inceptionRounding.chosen, dataset: dataset, images: images, kid: kid,
                              cache: StatisticsCache(directory: StatisticsCache.defaultDirectory)) { bar.update($0) }
    }
}

extension TrainingOptions {
    /// `validate()`'s error as a command-line one for `train`, `compare` and `demo` (ArgumentParser prints it with the
    /// command's usage; any other error thrown while validating reaches the user wrapped in its parser's description).
    func validateAsArguments() throws {
        do { try validate() } catch let error as TrainingError { throw ValidationError(error.description) }
    }
}

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Fine-tune one base three ways (StyleGAN2 without augmentation, ADA, ADA + FreezeD) and compare FID over kimg.",
        discussion: """
        The 2023 capstone's study in one command. Each variant trains from --base on --data for the same \
        --kimg with the same options; FID (and KID with --kid) of G_ema is measured at the start and at every \
        snapshot. Prints a table, and writes compare-fid.png (FID over kimg) and compare.json into --outdir, \
        next to the three run folders. Without --inception the demo's stand-in weights are used and the \
        output says so: such FIDs are not comparable with published ones.

        Cost: Inception runs at 3–4 images/s on 2 cores, so one FID-5k (the default --fid-num) takes ~25 \
        minutes, and the defaults (4 kimg, a snapshot per kimg, three variants plus the base) take hours. \
        Fewer images make FID biased upwards, but equally for all variants of one run.

        Example (CI-sized, on the bundled base and procedural cartoons):
          toonkit compare --outdir runs/compare --kimg 0.032 --snap 1 --tick 0.016 --fid-num 32
        """)

    @Option(help: "Base checkpoint (default: the demo's base model).") var base = DemoJob.bundledBase
    @Option(help: "Training data (default: procedural cartoons at the base's resolution).") var data: String?
    @Option(help: "Output folder.") var outdir: String
    @Option(help: "Length of every fine-tuning run, in thousands of images.") var kimg: Double = 4
    @Option(help: "Thousands of images per tick.") var tick: Double = 1
    @Option(help: "Snapshot (and measure) every N ticks.") var snap: Int = 1
    @Option(help: "Batch size.") var batch: Int = 16
    @Option(help: "R1 gamma (default: the capstone's 50 at 256², scaled by area to the base's resolution).") var gamma: Double?
    @Option(help: "FreezeD layers of the third variant.") var freezed: Int = 4
    @Option(help: "Initial p of the ADA variants.") var p: Double = 0.328
    @Option(help: "Random seed (same for all variants).") var seed: UInt32 = 0
    @Option(name: .customLong("synthetic-images"), help: "Size of the default procedural cartoon set (when --data is not given).") var syntheticImages = 1000
    @OptionGroup var inceptionOptions: InceptionOptions
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        try inceptionOptions.validateChoice(measures: true, needsWeights: false)
        // The resolution sets only the default R1 gamma, positive at every resolution.
        try options(resolution: 256).validateAsArguments()
    }

    /// The fine-tuning options every variant starts from, for a base of `resolution`².
    private func options(resolution: Int) -> TrainingOptions {
        var options = TrainingOptions.capstoneFineTune(resolution: resolution, kimg: kimg, freezeD: freezed, seed: seed)
        (options.batch, options.augmentP, options.kimgPerTick, options.snapTicks) = (batch, p, tick, snap)
        if let gamma { options.gamma = gamma }
        return options
    }

    func run() throws {
        threadOptions.apply()
        let baseURL = URL(fileURLWithPath: base)
        let dataset: ImageDataset = try data.map { try PNGDataset(url: URL(fileURLWithPath: $0)) }
            ?? SyntheticDataset(kind: .cartoons, count: syntheticImages, resolution: CheckpointArchitecture.resolution(of: baseURL), seed: seed)
        let job = CompareJob(base: baseURL, dataset: dataset, outdir: URL(fileURLWithPath: outdir), options: options(resolution: dataset.resolution),
                             freezeD: freezed)
        try job.checkInputs()
        let interrupt = InterruptFlag(message: "interrupt: finishing the current variant's step and snapshot, then writing the table and plot (Ctrl-C again to quit now)")
        let report = try job.run(monitor: inceptionOptions.monitor(dataset: dataset), progress: { Console.progress($0) }, shouldStop: { interrupt.isSet })
        Console.finishProgress()
        if interrupt.isSet { Console.warn("interrupted: \(report.rows.count) of \(job.variants.count) variants in the table (the last one stopped early)") }
        print(CompareJob.table(report))
        print("plot: \(report.plot)")
    }
}

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole toonify pipeline on embedded defaults: swap layers between a bundled face and cartoon model, fine-tune live, measure.",
        discussion: """
        Uses two small StyleGAN2 models bundled in fixtures/demo, both trained by this project's scripts \
        (provenance inside the files: `toonkit inspect FILE`): a face model trained from scratch on procedural \
        faces (scripts/train-demo-base.sh) and that model fine-tuned on procedural cartoons for much longer than \
        a demo can wait (scripts/train-demo-cartoon.sh). The demo draws a cartoon data set, fine-tunes the face \
        model on it briefly with ADA (bg, p 0.328) and FreezeD (--kimg), writes layer-swap sweeps (sweep.png: \
        face vs cartoon model; sweep-live.png: face model vs the live fine-tune), blended checkpoints and sample \
        grids (each image enlarged to at least 128 px), then measures every model and swap against the cartoon \
        and the face data (KID and edge density) and writes it all, with which model came from \
        where, into --outdir/REPORT.md. About 2 minutes on 2 cores.

        KID uses deterministic stand-in Inception weights unless --inception gives pytorch-fid's weights file; \
        stand-in KIDs only compare the rows of one table.
        """)

    @Option(help: "The face model.") var base = DemoJob.bundledBase
    @Option(name: .customLong("cartoon-model"), help: "The cartoon model swapped with the face model.") var cartoonModel = DemoJob.bundledCartoonModel
    @Option(help: "Output folder.") var outdir = "demo-output"
    @Option(help: "Length of the live fine-tune in thousands of images.") var kimg = DemoJob.defaultKimg
    @Option(name: .customLong("effect-images"), help: "Images per row of the effect measurement (≥ 2; Inception takes ~0.25 s per image).")
    var effectImages = DemoJob.defaultEffectImages
    @Option(help: "pytorch-fid's weights file pt_inception-2015-12-05-6726825d.pth (default: stand-in weights).") var inception: String?
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        var options = TrainingOptions()
        options.kimg = kimg
        try options.validateAsArguments()
        guard effectImages >= 2 else { throw ValidationError("--effect-images must be at least 2") }
    }

    func run() throws {
        threadOptions.apply()
        var job = DemoJob(base: URL(fileURLWithPath: base), cartoonModel: URL(fileURLWithPath: cartoonModel), outdir: URL(fileURLWithPath: outdir))
        job.kimg = kimg
        job.effectImages = effectImages
        if let inception { job.inception = try InceptionWeights.load(from: URL(fileURLWithPath: inception)) }
        let interrupt = InterruptFlag(message: "interrupt: ending the live fine-tuning early with a final snapshot; the sweeps, blends and measurements follow (Ctrl-C again to quit now)")
        var bar = EstimatingProgress()
        let outcome = try job.run(progress: { bar.update(fraction: $0.fraction, $0.line) }, shouldStop: { interrupt.isSet })
        Console.finishProgress()
        for (index, step) in outcome.steps.enumerated() {
            print("\(index + 1). \(step.title) (\(String(format: "%.0f", step.seconds)) s): \(step.detail)")
            for file in step.files { print("   \(file)") }
        }
        print(ToonifyEffect.table(outcome.effect))
        print("Report: \(URL(fileURLWithPath: outdir).appendingPathComponent("REPORT.md").path)")
    }
}
