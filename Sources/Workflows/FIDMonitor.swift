import Checkpoint
import Engine
import Foundation
import Metrics
import Networks
import Training

extension ImageDataset {
    /// The data set as the metrics module reads it (every image once, no mirroring).
    public var imageSource: ImageSource {
        ImageSource(count: count, channels: channels, height: resolution, width: resolution, description: source) { [self] in
            try image(at: $0)
        }
    }

    /// Labels of random real images for conditional generators, as the reference's metrics draw them;
    /// generated image i gets the label of image RandomState(seed + i).randint(count).
    public func randomLabels(seed: UInt32) -> (Int) throws -> [Float] {
        { [self] index in
            var rng = RandomState(seed: seed &+ UInt32(truncatingIfNeeded: index))
            return try label(at: rng.nextInt(below: count))
        }
    }
}

/// FID (and optionally KID) of a generator against one data set, with the real statistics computed
/// once (and cached on disk when a cache is given): what `train --metrics fid` runs at every snapshot.
public final class FIDMonitor {
    public let evaluator: FIDEvaluator
    public let dataset: ImageDataset
    public let options: GeneratedImageOptions
    public let kid: KIDOptions?
    public let real: RealStatistics

    public init(inception: InceptionWeights, rounding: ConvRounding, dataset: ImageDataset,
                images: Int, kid: Bool, cache: StatisticsCache?, progress: (MetricsProgress) -> Void = { _ in }) throws {
        evaluator = try FIDEvaluator(inception: inception, rounding: rounding)
        self.dataset = dataset
        options = GeneratedImageOptions(count: images)
        self.kid = kid ? KIDOptions() : nil
        real = try evaluator.realStatistics(of: dataset.imageSource, cache: cache, keepFeatures: kid, progress: progress)
    }

    /// With `collective`, every rank generates and measures its share of the images and the sums are
    /// reduced, so all ranks return the same result.
    public func measure(_ generator: Generator, collective: (any Collective)? = nil,
                        progress: (MetricsProgress) -> Void = { _ in }) throws -> FIDResult {
        let processes = collective.flatMap { collective in
            collective.share.isWhole ? nil : ProcessShare(share: collective.share, sum: { try collective.allReduceSum(&$0) },
                                                          sumFloats: { try collective.allReduceSum(&$0) })
        }
        return try evaluator.evaluate(generator: generator, options: options, realStatistics: real.statistics,
                                      realStatisticsFromCache: real.fromCache, kid: kid,
                                      label: dataset.labelDimension > 0 ? dataset.randomLabels(seed: options.firstSeed) : nil,
                                      processes: processes, progress: progress)
    }

    /// The hook a training session calls at each snapshot, on every rank: FID (and KID) of its G_ema.
    public var snapshotMetric: TrainingSession.SnapshotMetric {
        { [self] _, run in Self.values(try measure(run.generatorEMA, collective: run.collective)) }
    }

    /// A result as the named values of a `metrics.jsonl` line, with what makes two lines comparable: the Inception
    /// weights, how its convolutions rounded, how many images were read and generated, and from which seeds, ψ and
    /// generator batch (random noise is drawn per batch).
    public static func values(_ result: FIDResult) -> [String: JSONValue] {
        let generated = result.generated
        var values: [String: JSONValue] = [
            "fid": .number(result.fid), "extractor": .string(result.extractor), "rounding": .string(result.rounding.rawValue),
            "real_images": .number(Double(result.realImages)), "generated_images": .number(Double(generated.count)),
            "first_seed": .number(Double(generated.firstSeed)), "truncation_psi": .number(Double(generated.truncationPsi)),
            "generator_batch": .number(Double(generated.generatorBatch)),
        ]
        if let kid = result.kid { values["kid"] = .number(kid) }
        return values
    }
}

/// Small facts about a checkpoint without reading its tensors.
public enum CheckpointArchitecture {
    public static func resolution(of url: URL) throws -> Int {
        try CheckpointReader.open(url.path).architecture.resolution
    }
}
