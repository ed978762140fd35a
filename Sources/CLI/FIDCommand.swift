import ArgumentParser
import Checkpoint
import Engine
import Foundation
import Metrics
import Networks
import Training
import Workflows

struct FIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fid",
        abstract: "Fréchet inception distance (and KID) of a checkpoint's generator against a data set.",
        discussion: """
        Features come from pytorch-fid's FID Inception-v3 (2048-d pool3; inputs resized to 299×299 \
        bilinearly), rebuilt on toonkit's engine with the weights of --inception: pytorch-fid's \
        pt_inception-2015-12-05-6726825d.pth, from \
        https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth \
        (toonkit neither bundles nor downloads it). --formula-weights uses deterministic stand-in weights \
        instead: such FIDs only compare runs measured the same way, never published numbers.

        Real statistics cover every image of --data, without mirroring, and are cached in --cache (one HDF5 \
        file per image content hash, weights file and --rounding). Generated images come from G_ema with random noise; \
        image i uses z of seed --seed + i, as `toonkit generate --seeds` draws it. FID uses the unbiased \
        covariance (np.cov, as pytorch-fid); KID is StyleGAN2-ADA's (100 subsets of at most 1000, seeded). \
        See schemas/fid-inception.md.

        Output: one line, or with --json one JSON document on stdout. Progress goes to stderr; errors too, \
        as `toonkit: error: …` with exit status 2.

        Examples:
          toonkit fid toon.h5 --data cartoons.zip --inception pt_inception-2015-12-05-6726825d.pth
          toonkit fid toon.h5 --data cartoons.zip --inception pt_inception.pth --num 1000 --kid --json
        """)

    @Argument(help: "Checkpoint (.h5).") var checkpoint: String
    @Option(help: "Real images: a zip or folder of PNGs (made by `toonkit dataset`).") var data: String
    @Option(help: "pytorch-fid's weights file pt_inception-2015-12-05-6726825d.pth.") var inception: String?
    @Flag(name: .customLong("formula-weights"), help: "Use formula weights instead of --inception (results not comparable with published FIDs).")
    var formulaWeights = false
    @Option(help: "Number of generated images.") var num = GeneratedImageOptions.defaultCount
    @Option(help: "Truncation psi (1 = none, as the reference's metrics).") var trunc: Float = 1
    @Option(help: "First z seed; generated image i uses seed + i. Also seeds the KID subsets.") var seed: UInt32 = 0
    @Option(help: "Images per Inception pass.") var batch = FIDEvaluator.defaultBatchSize
    @Flag(help: "Also compute KID (kernel inception distance; keeps all features in memory and in the cache).") var kid = false
    @Option(name: .customLong("kid-subsets"), help: "KID: number of subsets.") var kidSubsets = 100
    @Option(name: .customLong("kid-subset-size"), help: "KID: largest subset size.") var kidSubsetSize = 1000
    @Option(help: "Statistics cache folder (default: $XDG_CACHE_HOME/toonkit/fid or ~/.cache/toonkit/fid).") var cache: String?
    @Flag(name: .customLong("no-cache"), help: "Neither read nor write cached real statistics.") var noCache = false
    @Option(help: "Generator network.") var network = "G_ema"
    @OptionGroup var inceptionRounding: InceptionRoundingOption
    @OptionGroup var threadOptions: ThreadOptions
    @Flag(help: "Print one JSON document instead of a line.") var json = false

    func validate() throws {
        if (inception == nil) == !formulaWeights { throw ValidationError("give either --inception FILE.pth or --formula-weights") }
        if num < 2 { throw ValidationError("--num must be at least 2") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
        if !trunc.isFinite { throw ValidationError("--trunc must be a finite number") }
        if kid && (kidSubsets < 1 || kidSubsetSize < 2) { throw ValidationError("--kid-subsets must be ≥ 1 and --kid-subset-size ≥ 2") }
    }

    struct Report: Encodable {
        var checkpoint: String
        var data: String
        var statisticsCache: String?
        var result: FIDResult

        enum CodingKeys: String, CodingKey { case checkpoint, data, statisticsCache = "statistics_cache", result }
    }

    func run() throws {
        threadOptions.apply()
        let weights = try inception.map { try InceptionWeights.load(from: URL(fileURLWithPath: $0)) } ?? .formula()
        if let warning = weights.comparabilityWarning { Console.warn(warning) }
        let evaluator = try FIDEvaluator(inception: weights, rounding: inceptionRounding.chosen, batchSize: batch)
        let dataset = try PNGDataset(url: URL(fileURLWithPath: data))
        let reader = try CheckpointReader(path: checkpoint)
        let generator = try Generator(reader: reader, network: network)
        let cacheFolder = noCache ? nil : StatisticsCache(directory: cache.map { URL(fileURLWithPath: $0) } ?? StatisticsCache.defaultDirectory)

        var bar = ProgressBar()
        let real = try evaluator.realStatistics(of: dataset.imageSource, cache: cacheFolder, keepFeatures: kid) { bar.update($0) }
        let options = GeneratedImageOptions(count: num, truncationPsi: trunc, firstSeed: seed)
        let labels = dataset.labelDimension > 0 ? dataset.randomLabels(seed: seed) : nil
        let result = try evaluator.evaluate(generator: generator, options: options, realStatistics: real.statistics,
                                            realStatisticsFromCache: real.fromCache,
                                            kid: kid ? KIDOptions(subsets: kidSubsets, maxSubsetSize: kidSubsetSize, seed: seed) : nil,
                                            label: labels) { bar.update($0) }
        bar.finish()
        if json {
            print(JSONText.encode(Report(checkpoint: checkpoint, data: data, statisticsCache: real.cacheFile?.path, result: result), pretty: true))
        } else {
            print(Self.line(result))
        }
    }

    static func line(_ r: FIDResult) -> String {
        var text = String(format: "FID %.4f", r.fid)
        if let kid = r.kid { text += String(format: "  KID %.4f ×10⁻³", kid * 1000) }
        text += "  (\(r.generated.count) generated, psi \(r.generated.truncationPsi), seeds \(r.generated.firstSeed)…; "
        text += "\(r.realImages) real\(r.realStatisticsFromCache ? " from cache" : ""); \(r.rounding.rawValue) rounding; "
        text += "\(String(format: "%.0f", r.seconds)) s)"
        if let warning = r.warning { text += "\nNOTE: \(warning)." }
        return text
    }
}

/// A one-line progress bar on stderr: redrawn at most twice a second on a terminal, every 10 % otherwise.
struct ProgressBar {
    private var phase: MetricsProgress.Phase?
    private var phaseStarted = Date()
    private var lastDrawn = Date.distantPast
    private var lastTenth = -1

    mutating func update(_ progress: MetricsProgress) {
        let now = Date()
        if progress.phase != phase {
            if phase != nil { Console.finishProgress() }
            phase = progress.phase
            phaseStarted = now
            lastTenth = -1
        }
        let fraction = Double(progress.done) / Double(max(progress.total, 1))
        let tenth = Int(fraction * 10)
        let finished = progress.done == progress.total
        guard Console.isTerminal ? (now.timeIntervalSince(lastDrawn) >= 0.5 || finished) : (tenth != lastTenth) else { return }
        lastDrawn = now
        lastTenth = tenth
        var line = Console.bar(fraction) + " \(progress.phase.rawValue) \(progress.done)/\(progress.total)"
        if progress.done > 0 {
            let rate = Double(progress.done) / max(now.timeIntervalSince(phaseStarted), 1e-3)
            line += String(format: "  %.1f img/s  %.0f s left", rate, Double(progress.total - progress.done) / rate)
        }
        Console.progress(line)
    }

    func finish() {
        if phase != nil { Console.finishProgress() }
    }
}
