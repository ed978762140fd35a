import Checkpoint
import Engine
import Foundation
import Imaging
import Networks

/// Where a metric computation is, for progress bars; each phase starts with `done` = 0.
public struct MetricsProgress: Sendable {
    public enum Phase: String, Sendable {
        case hashingRealImages = "hashing real images"
        case realImages = "real images"
        case generatedImages = "generated images"
    }

    public let phase: Phase
    public let done: Int
    public let total: Int
}

/// How the generated half of FID is drawn.
public struct GeneratedImageOptions: Sendable, Codable, Equatable {
    public var count: Int
    public var truncationPsi: Float
    /// Image i uses z from seed `firstSeed + i`, drawn as `toonkit generate --seeds` draws it (numpy
    /// RandomState(seed).randn), so any generated image of a metric can be looked at again.
    public var firstSeed: UInt32
    /// Images per generator pass. Random noise is drawn per pass (seeded by firstSeed + the index of
    /// the pass's first image), so results depend on this value too; it is recorded in the results.
    public var generatorBatch: Int

    /// FID-5k: what `toonkit fid --num` and `train --fid-num` measure unless told otherwise.
    public static let defaultCount = 5000

    public init(count: Int = defaultCount, truncationPsi: Float = 1, firstSeed: UInt32 = 0, generatorBatch: Int = 8) {
        self.count = count
        self.truncationPsi = truncationPsi
        self.firstSeed = firstSeed
        self.generatorBatch = generatorBatch
    }

    enum CodingKeys: String, CodingKey {
        case count, truncationPsi = "truncation_psi", firstSeed = "first_seed", generatorBatch = "generator_batch"
    }
}

/// One FID (and optionally KID) measurement.
public struct FIDResult: Sendable, Codable {
    public var fid: Double
    public var kid: Double?
    public var terms: FrechetDistance.Terms
    public var realImages: Int
    public var generated: GeneratedImageOptions
    public var kidOptions: KIDOptions?
    /// The feature extractor (weights file hash, or the formula version).
    public var extractor: String
    /// How the extractor's convolutions rounded (`toonkit fid --rounding`).
    public var rounding: ConvRounding
    /// False unless the standard pytorch-fid weights file was used.
    public var comparableWithPublished: Bool
    /// Why the value is not comparable with published FIDs, in words (nil when it is).
    public var warning: String?
    public var realStatisticsFromCache: Bool
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case fid, kid, terms, generated, extractor, rounding, warning, seconds
        case realImages = "real_images", kidOptions = "kid_options", comparableWithPublished = "comparable_with_published"
        case realStatisticsFromCache = "real_statistics_from_cache"
    }
}

/// The generated images of a metric split over processes: rank r of R takes every R-th generator batch, and
/// the partial sums are added across processes by `sum` (an all-reduce; each process calls it in the same
/// order). Every image keeps its seed and noise, so only the order of the sums differs from one process.
public struct ProcessShare {
    public let share: BatchShare
    public let sum: (inout [Double]) throws -> Void
    public let sumFloats: (inout [Float]) throws -> Void

    public init(share: BatchShare, sum: @escaping (inout [Double]) throws -> Void, sumFloats: @escaping (inout [Float]) throws -> Void) {
        self.share = share
        self.sum = sum
        self.sumFloats = sumFloats
    }
}

/// Real-image statistics and where they came from.
public struct RealStatistics: Sendable {
    public let statistics: FeatureStatistics
    public let fromCache: Bool
    /// The cache file read or written (nil without a cache).
    public let cacheFile: URL?
}

/// Computes Inception features, their statistics, FID and KID. The training loop keeps one evaluator
/// and the real statistics, and calls `evaluate(generator:…)` per snapshot.
public final class FIDEvaluator {
    public let network: InceptionNetwork
    /// Images per Inception pass (memory grows by about 7 MB per image at 299×299).
    public var batchSize: Int

    /// `toonkit fid`'s images per pass, which `bench inception` and the FID rows of `bench kernels` time.
    public static let defaultBatchSize = 8

    public init(network: InceptionNetwork, batchSize: Int = defaultBatchSize) {
        self.network = network
        self.batchSize = max(1, batchSize)
    }

    public convenience init(inception weights: InceptionWeights, rounding: ConvRounding = InceptionNetwork.defaultRounding,
                            batchSize: Int = defaultBatchSize) throws {
        self.init(network: try InceptionNetwork(weights: weights, rounding: rounding), batchSize: batchSize)
    }

    /// Statistics of every image of `source`, in order (no mirroring).
    public func statistics(of source: ImageSource, keepFeatures: Bool = false,
                           progress: (MetricsProgress) -> Void = { _ in }) throws -> FeatureStatistics {
        var accumulator = FeatureAccumulator(dimension: InceptionArchitecture.featureDimension, keepFeatures: keepFeatures)
        progress(MetricsProgress(phase: .realImages, done: 0, total: source.count))
        for start in stride(from: 0, to: source.count, by: batchSize) {
            let batch = try source.batch(start..<min(start + batchSize, source.count))
            try accumulator.add(network.features(of: batch).scalars)
            progress(MetricsProgress(phase: .realImages, done: accumulator.count, total: source.count))
        }
        return try accumulator.statistics()
    }

    /// Real statistics through `cache` (keyed by the images' content hash and this network's identity):
    /// read when present (and holding features when `keepFeatures` asks for them), else computed and stored.
    public func realStatistics(of source: ImageSource, cache: StatisticsCache?, keepFeatures: Bool = false,
                               progress: (MetricsProgress) -> Void = { _ in }) throws -> RealStatistics {
        guard let cache else {
            return RealStatistics(statistics: try statistics(of: source, keepFeatures: keepFeatures, progress: progress), fromCache: false, cacheFile: nil)
        }
        progress(MetricsProgress(phase: .hashingRealImages, done: 0, total: source.count))
        let contentHash = try source.contentHash { progress(MetricsProgress(phase: .hashingRealImages, done: $0, total: source.count)) }
        let key = StatisticsCache.Key(contentHash: contentHash, extractor: network.identity, rounding: network.rounding)
        if let cached = try cache.load(key), cached.features != nil || !keepFeatures {
            return RealStatistics(statistics: cached, fromCache: true, cacheFile: cache.path(for: key))
        }
        let computed = try statistics(of: source, keepFeatures: keepFeatures, progress: progress)
        try cache.store(computed, key: key, source: source)
        return RealStatistics(statistics: computed, fromCache: false, cacheFile: cache.path(for: key))
    }

    /// Statistics of `options.count` images of `generator` (G_ema in the reference), with random noise.
    /// Conditional generators need `label(i)`, the label vector of generated image i (the reference
    /// draws labels of random real images).
    public func statistics(of generator: Generator, options: GeneratedImageOptions, label: ((Int) throws -> [Float])? = nil,
                           keepFeatures: Bool = false, processes: ProcessShare? = nil,
                           progress: (MetricsProgress) -> Void = { _ in }) throws -> FeatureStatistics {
        let source = try GeneratedImages(generator: generator, options: options, label: label)
        let ranks = processes?.share.ranks ?? 1, rank = processes?.share.rank ?? 0
        let batches = Array(stride(from: 0, to: options.count, by: options.generatorBatch)).enumerated()
            .filter { $0.offset % ranks == rank }.map { $0.element..<min($0.element + options.generatorBatch, options.count) }
        var accumulator: FeatureAccumulator?
        var keptRows: [(Range<Int>, [Float])] = []
        progress(MetricsProgress(phase: .generatedImages, done: 0, total: options.count))
        for range in batches {
            let features = try features(of: source.batch(range))
            if accumulator == nil { accumulator = try Self.accumulator(firstFeatures: features, keepFeatures: keepFeatures, processes: processes) }
            try accumulator!.add(features)
            if processes != nil && keepFeatures { keptRows.append((range, features)) }
            progress(MetricsProgress(phase: .generatedImages, done: accumulator!.count, total: options.count))
        }
        // A process with no batch still takes part in every sum.
        if accumulator == nil { accumulator = try Self.accumulator(firstFeatures: [], keepFeatures: keepFeatures, processes: processes) }
        if let processes {
            try accumulator!.merge(by: processes.sum)
            if keepFeatures {
                let dimension = InceptionArchitecture.featureDimension
                var all = [Float](repeating: 0, count: options.count * dimension)
                for (range, rows) in keptRows { all.replaceSubrange((range.lowerBound * dimension)..<(range.upperBound * dimension), with: rows) }
                try processes.sumFloats(&all)
                accumulator!.replaceKeptFeatures(all)
            }
        }
        return try accumulator!.statistics()
    }

    /// Inception features [images, 2048] of a generated batch, in evaluation batches.
    private func features(of images: ImageBatch) throws -> [Float] {
        var features: [Float] = []
        for offset in stride(from: 0, to: images.count, by: batchSize) {
            features += try network.features(of: images.slice(offset..<min(offset + batchSize, images.count))).scalars
        }
        return features
    }

    /// Alone, an accumulator centred on its first batch; across processes, all centred on rank 0's first
    /// batch (the others add zeros to that sum).
    private static func accumulator(firstFeatures: [Float], keepFeatures: Bool, processes: ProcessShare?) throws -> FeatureAccumulator {
        let dimension = InceptionArchitecture.featureDimension
        guard let processes else { return FeatureAccumulator(dimension: dimension, keepFeatures: keepFeatures) }
        let rows = firstFeatures.count / dimension
        var shift = [Double](repeating: 0, count: dimension)
        if processes.share.rank == 0 && rows > 0 {
            for j in 0..<dimension { shift[j] = (0..<rows).reduce(0.0) { $0 + Double(firstFeatures[$1 * dimension + j]) } / Double(rows) }
        }
        try processes.sum(&shift)
        // Features are gathered in image order after the merge, not kept batch by batch.
        return FeatureAccumulator(dimension: dimension, keepFeatures: false, shift: shift)
    }

    /// FID of `generator` against real statistics, plus KID when `kid` is given (the real statistics
    /// must then hold their features).
    public func evaluate(generator: Generator, options: GeneratedImageOptions, realStatistics: FeatureStatistics,
                         realStatisticsFromCache: Bool = false, kid: KIDOptions? = nil, label: ((Int) throws -> [Float])? = nil,
                         processes: ProcessShare? = nil, progress: (MetricsProgress) -> Void = { _ in }) throws -> FIDResult {
        let started = Date()
        if kid != nil && realStatistics.features == nil {
            throw MetricsError("KID needs the real features: compute the real statistics with keepFeatures")
        }
        let generated = try statistics(of: generator, options: options, label: label, keepFeatures: kid != nil, processes: processes, progress: progress)
        let terms = try FrechetDistance.terms(realStatistics, generated)
        let kidValue = try kid.map { try KernelInceptionDistance.distance(real: realStatistics, generated: generated, options: $0) }
        return FIDResult(fid: terms.distance, kid: kidValue, terms: terms, realImages: realStatistics.count, generated: options,
                         kidOptions: kid, extractor: network.identity, rounding: network.rounding, comparableWithPublished: network.comparabilityWarning == nil,
                         warning: network.comparabilityWarning, realStatisticsFromCache: realStatisticsFromCache,
                         seconds: Date().timeIntervalSince(started))
    }
}

/// The generated side as uint8 images, converted as the reference's metrics do: x·127.5 + 128,
/// clamped to [0, 255], truncated to uint8.
struct GeneratedImages {
    let generator: Generator
    let options: GeneratedImageOptions
    let label: ((Int) throws -> [Float])?

    init(generator: Generator, options: GeneratedImageOptions, label: ((Int) throws -> [Float])?) throws {
        guard options.count >= 2 else { throw MetricsError("FID needs at least 2 generated images, got \(options.count)") }
        guard options.generatorBatch >= 1 else { throw MetricsError("the generator batch must be at least 1") }
        guard options.truncationPsi.isFinite else { throw MetricsError("the truncation psi must be finite") }
        if generator.architecture.cDim > 0 && label == nil {
            throw MetricsError("this generator is conditional (c_dim = \(generator.architecture.cDim)): FID needs labels for the generated images")
        }
        self.generator = try generator.preparedForInference()
        self.options = options
        self.label = label
    }

    func batch(_ indices: Range<Int>) throws -> ImageBatch {
        let architecture = generator.architecture
        let seeds = indices.map { options.firstSeed &+ UInt32(truncatingIfNeeded: $0) }
        let z = try Latents.z(seeds: seeds, zDim: architecture.zDim)
        let c = try label.map { label in
            try Tensor(shape: [indices.count, architecture.cDim], values: indices.flatMap { try label($0) })
        }
        let images = try GradMode.withoutGrad {
            let ws = try generator.map(z: z, c: c, truncation: Truncation(psi: options.truncationPsi))
            return try generator.synthesize(ws: ws, noise: .random, noiseSeed: options.firstSeed &+ UInt32(truncatingIfNeeded: indices.lowerBound))
        }
        let pixels = images.withUnsafeBufferPointer { buffer in buffer.map(ImageConversion.toUInt8) }
        return try ImageBatch(count: indices.count, channels: images.shape[1], height: images.shape[2], width: images.shape[3], pixels: pixels)
    }
}

extension ImageBatch {
    func slice(_ range: Range<Int>) throws -> ImageBatch {
        let size = channels * height * width
        return try ImageBatch(count: range.count, channels: channels, height: height, width: width,
                              pixels: Array(pixels[(range.lowerBound * size)..<(range.upperBound * size)]))
    }
}
