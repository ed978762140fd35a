import Engine
import Foundation
import Networks
import TestSupport
import Testing
@testable import Training

/// Training's Collective over thread ranks.
enum ThreadRanks {
    final class Member: Collective {
        let group: ThreadSums
        let share: BatchShare
        init(_ group: ThreadSums, rank: Int) {
            self.group = group
            share = BatchShare(rank: rank, ranks: group.ranks)
        }
        var hostName: String { "thread \(share.rank)" }
        // Floats are summed as doubles here; MPI sums them as floats. Both are exact enough for the test's 1e-5.
        func allReduceSum(_ values: inout [Float]) throws { values = group.sum(values.map(Double.init), rank: share.rank).map(Float.init) }
        func allReduceSum(_ values: inout [Double]) throws { values = group.sum(values, rank: share.rank) }
        var communicationSeconds: Double { 0 }
        var bytesReduced: Int { 0 }
    }
}

/// What the rank threads leave behind.
final class RankOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var runs: [Int: TrainingRun] = [:], trajectories: [Int: [Double]] = [:], failures: [String] = []

    func record(rank: Int, run: TrainingRun, trajectory: [Double]) {
        lock.withLock { runs[rank] = run; trajectories[rank] = trajectory }
    }

    func fail(_ message: String) { lock.withLock { failures.append(message) } }

    var results: (runs: [TrainingRun], trajectories: [[Double]], failures: [String]) {
        lock.withLock {
            let ranks = runs.keys.sorted()
            return (ranks.map { runs[$0]! }, ranks.map { trajectories[$0]! }, failures)
        }
    }
}

@Suite struct DataParallelTests {
    /// The acceptance on threads instead of processes: 2 ranks × 2 images against 1 × 4 with
    /// minibatch-std groups of 2, ADA moving p, style mixing, path-length and R1 regularisation all on.
    @Test func twoRanksOfTwoImagesTrainAsOneOfFour() throws {
        let dataset = BlobDataset(count: 12, resolution: 16)
        var options = TrainingLoopTests.options(kimg: 0.04)
        options.augmentation = .ada
        options.augmentP = 0.3
        let architecture = TrainingLoopTests.smallArchitecture()
        let steps = 10

        var single = try TrainingRun(options: options, architecture: architecture, datasetCount: dataset.count)
        var singleP: [Double] = []
        for _ in 0..<steps { _ = try single.step(dataset: dataset); singleP.append(single.augmentation.p) }

        let group = ThreadSums(ranks: 2), outcomes = RankOutcomes(), shared = options
        group.run { rank in
                do {
                    var run = try TrainingRun(options: shared, architecture: architecture, datasetCount: dataset.count)
                    try run.distribute(over: ThreadRanks.Member(group, rank: rank))
                    var p: [Double] = []
                    for _ in 0..<steps { _ = try run.step(dataset: dataset); p.append(run.augmentation.p) }
                    outcomes.record(rank: rank, run: run, trajectory: p)
                } catch {
                    outcomes.fail("rank \(rank): \(error)")
                }
        }
        let (runs, trajectories, failures) = outcomes.results
        #expect(failures.isEmpty, "\(failures)")
        let ranks = runs
        try #require(ranks.count == 2)
        #expect(singleP != Array(repeating: 0.3, count: steps), "ADA should have moved p")
        #expect(trajectories[0] == singleP && trajectories[1] == singleP, "p: \(trajectories) vs \(singleP)")
        for rank in ranks {
            for (a, b) in [(rank.generator.parameters, single.generator.parameters), (rank.generatorEMA.parameters, single.generatorEMA.parameters),
                           (rank.discriminator.parameters, single.discriminator.parameters)] {
                for name in b.names {
                    let (x, y) = (try a.tensor(name).scalars, try b.tensor(name).scalars)
                    let scale = max(y.map(abs).max() ?? 0, 1e-12)
                    let difference = zip(x, y).map { abs($0 - $1) }.max() ?? 0
                    #expect(difference <= 1e-5 * scale, "\(b.network).\(name): max difference \(difference) against max |value| \(scale)")
                }
            }
        }
    }

    /// Ranks started with different seeds (or files) would silently train different things.
    @Test func ranksThatDisagreeAreRefused() throws {
        let group = ThreadSums(ranks: 2), outcomes = RankOutcomes()
        group.run { rank in
                var options = TrainingLoopTests.options(kimg: 0.01)
                options.seed = UInt32(rank)
                do {
                    var run = try TrainingRun(options: options, architecture: TrainingLoopTests.smallArchitecture(), datasetCount: 12)
                    try run.distribute(over: ThreadRanks.Member(group, rank: rank))
                    outcomes.record(rank: rank, run: run, trajectory: [])
                } catch {
                    outcomes.fail("\(error)")
                }
        }
        let failures = outcomes.results.failures
        #expect(failures.count == 2 && failures.allSatisfy { $0.contains("the ranks do not hold the same networks") }, "\(failures)")
    }

    @Test func aBatchThatDoesNotSplitIsRefused() throws {
        var run = try TrainingRun(options: TrainingLoopTests.options(kimg: 0.01), architecture: TrainingLoopTests.smallArchitecture(), datasetCount: 12)
        let error = #expect(throws: TrainingError.self) { try run.distribute(over: ThreadRanks.Member(ThreadSums(ranks: 3), rank: 0)) }
        #expect(error?.description.contains("does not split over 3 ranks") == true, "\(String(describing: error))")
    }
}
