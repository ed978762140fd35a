import Checkpoint
import Engine
import Foundation
import Interop
@testable import Metrics
import Networks
import Testing
import TestSupport

/// The evaluator end to end with the formula network (so on CI): the real-statistics cache, and FID
/// of a small generator from the shared StyleGAN2 fixtures. Images are few (2–3 at 299×299, about
/// 0.4 s each in a release build).
@Suite(.serialized) struct EvaluatorTests {
    static func source(indices: [Int], size: Int = 32, tweak: Bool = false) -> ImageSource {
        ImageSource(count: indices.count, channels: 3, height: size, width: size, description: "formula images \(indices)") { index in
            var pixels = MetricsFixtures.image(index: indices[index], size: size)
            if tweak && index == 0 { pixels[0] ^= 1 }
            return pixels
        }
    }

    @Test func realStatisticsAreCachedByImageContent() throws {
        let folder = try TemporaryDirectory()
        let cache = StatisticsCache(directory: folder.url.appendingPathComponent("fid"))
        let evaluator = FIDEvaluator(network: MetricsFixtures.formulaNetwork, batchSize: 2)
        let first = try evaluator.realStatistics(of: Self.source(indices: [0, 1]), cache: cache)
        #expect(!first.fromCache)
        let file = try #require(first.cacheFile)
        #expect(FileManager.default.fileExists(atPath: file.path))
        // The cache is a valid toonkit checkpoint (opening validates the schema).
        #expect(try CheckpointReader(path: file.path, layout: UnlaidOutTensors()).architectureDocument == .object(["kind": .string("fid-statistics")]))

        let again = try evaluator.realStatistics(of: Self.source(indices: [0, 1]), cache: cache)
        #expect(again.fromCache && again.cacheFile == file)
        #expect(again.statistics.mean == first.statistics.mean && again.statistics.covariance == first.statistics.covariance)

        // One changed pixel is other data: a new entry.
        let tweaked = try evaluator.realStatistics(of: Self.source(indices: [0, 1], tweak: true), cache: cache)
        #expect(!tweaked.fromCache && tweaked.cacheFile != file)

        // KID needs the features, which the first entry lacks: computed again and stored with them.
        let withFeatures = try evaluator.realStatistics(of: Self.source(indices: [0, 1]), cache: cache, keepFeatures: true)
        #expect(!withFeatures.fromCache && withFeatures.statistics.features?.count == 2 * InceptionArchitecture.featureDimension)
        let cachedFeatures = try evaluator.realStatistics(of: Self.source(indices: [0, 1]), cache: cache, keepFeatures: true)
        #expect(cachedFeatures.fromCache && cachedFeatures.statistics.features == withFeatures.statistics.features)
    }

    @Test func aCacheFileOfOtherStatisticsIsRefused() throws {
        let folder = try TemporaryDirectory()
        let cache = StatisticsCache(directory: folder.url)
        let statistics = try FeatureStatistics(features: FormulaWeights.uniform(seed: 5, count: 3 * 4), dimension: 4)
        let stored = StatisticsCache.Key(contentHash: "a", extractor: "x"), asked = StatisticsCache.Key(contentHash: "b", extractor: "x")
        try cache.store(statistics, key: stored, source: Self.source(indices: [0]))
        try FileManager.default.moveItem(at: cache.path(for: stored), to: cache.path(for: asked))
        #expect(throws: MetricsError.self) { try cache.load(asked) }
        #expect(try cache.load(stored) == nil)
    }

    static let generatorFixture = Fixtures.available ? Fixtures.url("tiny32.pkl") : nil

    /// tiny32's generator, an evaluator with the formula network and the real statistics (with features) of three images.
    static func tiny32Evaluation() throws -> (Generator, FIDEvaluator, RealStatistics) {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("tiny32.h5")
        try ModelImporter.importCheckpoint(from: generatorFixture!, to: checkpoint)
        let generator = try Generator(reader: CheckpointReader(path: checkpoint.path))
        let evaluator = FIDEvaluator(network: MetricsFixtures.formulaNetwork, batchSize: 2)
        return (generator, evaluator, try evaluator.realStatistics(of: source(indices: [0, 1, 2]), cache: nil, keepFeatures: true))
    }

    @Test(.enabled(if: Fixtures.available, Fixtures.missing))
    func fidOfAGeneratorIsDeterministicAndFlagged() throws {
        let (generator, evaluator, real) = try Self.tiny32Evaluation()
        // Three images in generator passes of two: the second pass holds one image.
        let options = GeneratedImageOptions(count: 3, truncationPsi: 0.7, firstSeed: 5, generatorBatch: 2)
        var phases: Set<String> = []
        let result = try evaluator.evaluate(generator: generator, options: options, realStatistics: real.statistics,
                                            kid: KIDOptions(subsets: 3, maxSubsetSize: 3, seed: 1),
                                            progress: { phases.insert($0.phase.rawValue) })
        #expect(result.fid.isFinite && result.fid > 0)
        #expect(result.kid?.isFinite == true)
        #expect(phases == [MetricsProgress.Phase.generatedImages.rawValue])
        #expect(!result.comparableWithPublished && result.warning?.contains("NOT comparable") == true)
        #expect(result.generated == options && result.realImages == 3)

        // The Inception batch size does not change the measurement (beyond float32 rounding).
        evaluator.batchSize = 3
        let rebatched = try evaluator.evaluate(generator: generator, options: options, realStatistics: real.statistics)
        #expect(abs(rebatched.fid - result.fid) <= 1e-6 * result.fid)
        #expect(rebatched.kid == nil)

        let json = JSONText.encode(result, pretty: false)
        #expect(json.contains("\"comparable_with_published\":false"))
        #expect(result.rounding == InceptionNetwork.defaultRounding && json.contains("\"rounding\":\"relaxed\""))

        // With standard rounding (`toonkit fid --rounding standard`) the result says so and hardly moves.
        let standard = FIDEvaluator(network: try InceptionNetwork(weights: .formula(), rounding: .standard), batchSize: 2)
        let standardReal = try standard.realStatistics(of: Self.source(indices: [0, 1, 2]), cache: nil)
        let standardResult = try standard.evaluate(generator: generator, options: options, realStatistics: standardReal.statistics)
        #expect(standardResult.rounding == .standard)
        #expect(abs(standardResult.fid - result.fid) <= 1e-3 * result.fid, "standard \(standardResult.fid), relaxed \(result.fid)")
    }

    /// Two thread ranks each generating every other batch give the one-process FID and KID (only the order
    /// of the sums differs); with five batches over two ranks the shares are uneven.
    @Test(.enabled(if: Fixtures.available, Fixtures.missing))
    func fidSharedByTwoProcessesEqualsOneProcess() throws {
        let (generator, evaluator, real) = try Self.tiny32Evaluation()
        let options = GeneratedImageOptions(count: 9, truncationPsi: 0.7, firstSeed: 5, generatorBatch: 2)
        let kid = KIDOptions(subsets: 3, maxSubsetSize: 3, seed: 1)
        let alone = try evaluator.evaluate(generator: generator, options: options, realStatistics: real.statistics, kid: kid)
        let sums = ThreadSums(ranks: 2)
        let results = SharedResults()
        sums.run { rank in
            let processes = ProcessShare(share: BatchShare(rank: rank, ranks: 2), sum: { $0 = sums.sum($0, rank: rank) },
                                         sumFloats: { $0 = sums.sum($0.map(Double.init), rank: rank).map(Float.init) })
            results.add(Result { try FIDEvaluator(network: MetricsFixtures.formulaNetwork, batchSize: 2)
                .evaluate(generator: generator, options: options, realStatistics: real.statistics, kid: kid, processes: processes) })
        }
        let shared = try results.values.map { try $0.get() }
        #expect(shared.count == 2)
        for result in shared {
            #expect(abs(result.fid - alone.fid) <= 1e-9 * alone.fid, "FID \(result.fid) vs \(alone.fid)")
            #expect(abs((result.kid ?? .nan) - (alone.kid ?? .nan)) <= 1e-9 * abs(alone.kid ?? 1), "KID \(String(describing: result.kid)) vs \(String(describing: alone.kid))")
        }
    }

    @Test func statisticsOfOneImageAreRefused() throws {
        #expect(throws: MetricsError.self) {
            try FIDEvaluator(network: MetricsFixtures.formulaNetwork).statistics(of: Self.source(indices: [0]))
        }
    }
}

/// Results handed back from rank threads.
final class SharedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Result<FIDResult, Error>] = []
    func add(_ result: Result<FIDResult, Error>) { lock.withLock { stored.append(result) } }
    var values: [Result<FIDResult, Error>] { lock.withLock { stored } }
}
