import ArgumentParser
import Dispatch
import Distributed
import Engine
import Foundation
import Networks
import Training
import Workflows

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train or fine-tune StyleGAN2-ADA (ADA augmentation, FreezeD, lazy R1 and path-length regularisation).",
        discussion: """
        Writes into a new run folder <outdir>/NNNNN-<description>/: snapshot-<images seen>.h5 every --snap \
        ticks and at the end (checkpoint v1 with G, G_ema, D and the full training state), grid-*.png of fixed \
        seeds from G_ema, and log.jsonl (one line per tick: kimg, losses, R1, path length, p, r_t, sec/kimg, \
        memory). Ctrl-C stops after the current step and writes a final snapshot.

        --resume a toonkit snapshot continues exactly (add --fine-tune to start a new run from its networks instead) (weights, Adam moments, EMA, p, step, kimg, data order, \
        random state; the snapshot's options win except --kimg/--snap/--tick). --resume any other checkpoint \
        (e.g. `toonkit import ffhq-256.pkl`) fine-tunes it: the architecture comes from the checkpoint, no EMA \
        ramp-up and ada_kimg 100, as the reference's --resume; p comes from the file unless --p is given (the \
        reference restarts p at 0 on --resume; --p 0 does the same). Tensors the \
        checkpoint marks non-trainable (`toonkit freeze`) are never updated.

        Example (the capstone's fine-tuning):
          toonkit train --data cartoons.zip --resume ffhq.h5 --cfg auto --gamma 50 --aug ada --augpipe bg \\
                        --p 0.328 --mirror --freezed 4 --kimg 50 --outdir runs/

        Several processes or machines (Open MPI): `mpirun -np N toonkit train …` splits every minibatch of \
        --batch images over N ranks (batch/N each, which the minibatch-std group must divide), sums gradients, \
        ADA statistics and logged losses over them, and trains as one process with the whole batch would (up \
        to float rounding): every rank draws the whole batch's random inputs from the same seeds and keeps its \
        share. Every rank reads --data and --resume itself; rank 0 writes the run folder and prints progress \
        with the share of time spent communicating. A rank that fails ends the job with an error naming its \
        rank and host; the last snapshot stays valid, and --resume continues it with any number of ranks. \
        --threads defaults to the cores divided by the ranks on each host. Under mpirun, Ctrl-C ends the job \
        at once (mpirun does not pass SIGINT on): to stop with a final snapshot, send SIGUSR1 to mpirun \
        (`kill -USR1 <pid of mpirun>`), which passes it to every rank.
        """)

    @Option(help: "Training data: a zip or folder made by `toonkit dataset`.") var data: String
    @Option(help: "Output folder; each run gets a numbered subfolder.") var outdir: String
    @Option(help: "Checkpoint to resume or fine-tune from.") var resume: String?
    @Flag(name: .customLong("fine-tune"), help: "With --resume of a toonkit snapshot: take only its networks (and p) and start a new run, e.g. on other data.")
    var fineTune = false
    @Option(help: "Config (sets batch, gamma, lr, EMA; architecture of new networks).") var cfg: TrainingOptions.Config = .auto
    @Option(help: "Total batch size (overrides the config).") var batch: Int?
    @Option(help: "R1 weight gamma (overrides the config).") var gamma: Double?
    @Option(help: "Learning rate (overrides the config).") var lr: Double?
    @Option(help: "Length in thousands of real images shown to D; fractions allowed (0.032 = 32 images).") var kimg: Double = 25
    @Option(help: "Snapshot every N ticks.") var snap: Int = 50
    @Option(help: "Thousands of images per tick.") var tick: Double = 4
    @Option(help: "Random seed.") var seed: UInt32 = 0
    @Flag(help: "Add x-flipped copies of every image.") var mirror = false
    @Option(help: "Augmentation: ada (adaptive p), fixed (constant --p) or noaug.") var aug: TrainingOptions.Augmentation = .ada
    @Option(help: "Augmentations, as train.py names them: blit (integer moves and flips), geom (+ rotation, scale, fractional moves), color, bg (blit + geom) or bgc (bg + color).")
    var augpipe: AugmentPreset = .bgc
    @Option(help: "Augmentation probability: the constant p (fixed) or the initial p (ada; overrides a resumed p).") var p: Double?
    @Option(help: "ADA target for E[sign(D(real))].") var target: Double = 0.6
    @Option(help: "FreezeD: freeze the first N discriminator layers from the input.") var freezed: Int = 0
    @OptionGroup var threadOptions: ThreadOptions
    @Option(help: "Metrics measured at every snapshot: fid (needs --inception or --formula-weights) or none.") var metrics: SnapshotMetrics = .none
    @OptionGroup var inceptionOptions: InceptionOptions
    @Option(name: .customLong("channel-base"), help: "New networks only: channel_base (channels at resolution r: min(base/r, max)).") var channelBase: Int?
    @Option(name: .customLong("channel-max"), help: "New networks only: channel_max.") var channelMax: Int?
    @Option(help: "New networks only: mapping layers.") var map: Int?
    @Option(name: .customLong("latent-dim"), help: "New networks only: z and w dimension.") var latentDim: Int?
    @Option(name: .customLong("mbstd-group"), help: "New networks only: minibatch-std group size (the config's otherwise, 4).") var mbstdGroup: Int?

    func validate() throws {
        try requestedOptions.validateAsArguments()
        if aug == .fixed && p == nil { throw ValidationError("--aug fixed needs --p") }
        if aug == .noaug && p != nil { throw ValidationError("--p has no effect with --aug noaug") }
        let shapeOptions = [("--channel-base", channelBase), ("--channel-max", channelMax), ("--map", map), ("--latent-dim", latentDim),
                            ("--mbstd-group", mbstdGroup)].filter { $0.1 != nil }.map(\.0)
        if resume != nil && !shapeOptions.isEmpty {
            throw ValidationError("\(shapeOptions.joined(separator: ", ")) shape new networks only; with --resume the architecture is the checkpoint's")
        }
        try inceptionOptions.validateChoice(measures: metrics == .fid, needsWeights: metrics == .fid)
    }

    func run() throws {
        let ranks = try MPICollective.launched()
        threadOptions.apply(default: ranks.map { _ in Self.coresPerLocalRank() } ?? nil)
        do {
            try train(ranks: ranks)
            ranks?.finish()
        } catch {
            guard let ranks else { throw error }
            ranks.abort(String(describing: error))
        }
    }

    /// mpirun's ranks on this host share its cores.
    static func coresPerLocalRank() -> Int {
        max(1, ProcessInfo.processInfo.activeProcessorCount / HostShare.localProcesses)
    }

    /// The options as given on the command line.
    private var requestedOptions: TrainingOptions {
        var options = TrainingOptions()
        options.config = cfg
        options.batch = batch
        options.gamma = gamma
        options.learningRate = lr
        options.kimg = kimg
        options.snapTicks = snap
        options.kimgPerTick = tick
        options.seed = seed
        options.mirror = mirror
        options.augmentation = aug
        options.augmentPreset = augpipe
        options.augmentP = p
        options.adaTarget = target
        options.freezeD = freezed
        options.networkShape = NetworkShape(channelBase: channelBase, channelMax: channelMax, mappingLayers: map, latentDimension: latentDim,
                                            minibatchStdGroup: mbstdGroup)
        return options
    }

    private func train(ranks: MPICollective?) throws {
        let options = requestedOptions
        let dataset = try PNGDataset(url: URL(fileURLWithPath: data))
        var run: TrainingRun
        if let resume {
            run = try TrainingRun(resumeFrom: URL(fileURLWithPath: resume), options: options, datasetCount: dataset.count,
                                  mode: fineTune ? .networksOnly : .exact)
            let ignored = run.isExactResume ? run.options.settingsDiffering(from: options) : []
            if !ignored.isEmpty {
                Console.warn("\(resume) resumes exactly with its own settings: \(ignored.joined(separator: ", ")); use --fine-tune to train its networks with new settings")
            }
        } else {
            let architecture = options.networkShape.architecture(config: options.config, resolution: dataset.resolution, labels: dataset.labelDimension)
            run = try TrainingRun(options: options, architecture: architecture, datasetCount: dataset.count)
        }
        if let ranks { try run.distribute(over: ranks) }
        // One voice: the other ranks hold the same state and only report failures.
        let speaks = (ranks?.share.rank ?? 0) == 0
        let effective = run.options
        let description = [URL(fileURLWithPath: data).deletingPathExtension().lastPathComponent, effective.config.rawValue, effective.augmentation.rawValue]
            + (effective.freezeD > 0 ? ["freezed\(effective.freezeD)"] : [])
        let session = try TrainingSession(run: run, dataset: dataset, outdir: URL(fileURLWithPath: outdir), description: description.joined(separator: "-"))
        if metrics == .fid { session.snapshotMetric = try inceptionOptions.monitor(dataset: dataset).snapshotMetric }
        let interrupt = ranks == nil
            ? InterruptFlag(message: "interrupt: finishing the current step, then writing a final snapshot (Ctrl-C again to quit now)")
            : InterruptFlag(message: speaks ? "SIGUSR1: every rank finishes the current step, then rank 0 writes a final snapshot (send it again to quit now)" : nil,
                            signals: [SIGINT, SIGUSR1])
        let spread = ranks.map { ", \($0.share.ranks) ranks of \(run.localBatch)" } ?? ""
        let banner = "training into \(session.runDirectory.path) (batch \(run.hyperparameters.batch)\(spread), gamma \(run.hyperparameters.gamma), \(dataset.count) images\(effective.mirror ? " ×2 mirrored" : ""))"
        // Announced once the first step has read its batch: a data set that fails at once gives its error alone.
        var announced = false
        let snapshots = try session.train(progress: { progress in
            guard speaks else { return }
            if !announced { Console.info(banner); announced = true }
            let percent = 100 * Double(progress.imagesSeen) / Double(max(progress.totalImages, 1))
            let losses = ["loss_G", "loss_D", "augment_p"].compactMap { key in progress.values[key].map { "\(key) \(String(format: "%.4f", $0))" } }
            let communication = ranks == nil ? "" : String(format: "  comm %.0f%%", 100 * progress.communicationShare)
            Console.progress(String(format: "kimg %.3f/%.3f (%.1f%%)  %.1f s/kimg  ", Double(progress.imagesSeen) / 1000,
                                    Double(progress.totalImages) / 1000, percent, progress.secondsPerKimg) + losses.joined(separator: "  ") + communication)
        }, shouldStop: { interrupt.isSet })
        Console.finishProgress()
        guard speaks else { return }
        session.warnings.forEach(Console.warn)
        if interrupt.isSet { Console.info("interrupted: wrote a final snapshot") }
        Console.info("snapshots: " + snapshots.map(\.lastPathComponent).joined(separator: ", "))
        print(snapshots.last?.path ?? "")
    }
}
