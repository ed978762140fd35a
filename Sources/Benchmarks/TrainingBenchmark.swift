import Checkpoint
import Engine
import Foundation
import Networks
import Training

/// `toonkit bench train`: seconds per training iteration averaged over 16 iterations, which contain
/// exactly the issue's "Gmain + Dmain + Greg/4 + Dreg/16", with ADA bg at p = 0.328 and a kernel profile; and
/// the share of the machine's sgemm rate the whole step reaches, counting the direct multiply-adds of every
/// convolution and matrix product it ran (forward, backward and the regularisers as often as they ran).
public enum TrainingBenchmark {
    public struct Report: Codable, Sendable {
        public let network: String
        public let batch: Int
        public let blasCore: String
        public let threads: Int
        public let iterations: Int
        public let secondsPerIteration: Double
        /// Training images per hour / 1000 at this batch.
        public let kimgPerHour: Double
        /// Multiply-adds of every convolution and matrix product per step (averaged over the iterations) against sgemm
        /// 2048³ timed once before the first step and once after every step (`WorkloadReference`).
        public let arithmetic: SgemmShare
        /// The CPUs' round trip measured after each of those sgemm products; nil where it cannot be measured.
        public let cpuRoundTrip: CPURoundTrip?
        public let profile: [ProfileLine]
    }

    public static func run(network: String, batch: Int, iterations: Int = 16, progress: (String) -> Void = { _ in }) throws -> Report {
        let architecture = try BenchmarkNetwork.architecture(named: network)
        var options = TrainingOptions()
        options.batch = batch
        options.augmentation = .fixed
        options.augmentPreset = .bg
        options.augmentP = 0.328
        options.kimg = 1e9
        let dataset = try SyntheticDataset(kind: .cartoons, count: max(batch * 2, 16), resolution: architecture.resolution, seed: 1)
        var run = try TrainingRun(options: options, architecture: architecture, datasetCount: dataset.count)
        _ = try run.step(dataset: dataset)
        var reference = try WorkloadReference()
        let roundTrips = RoundTripProbe()
        try reference.call()
        try reference.sample()
        roundTrips.sample()
        var stepSeconds = 0.0
        let pass = try profileOnePass {
            for i in 0..<iterations {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try run.step(dataset: dataset)
                stepSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                try reference.sample()
                roundTrips.sample()
                progress("\(network) batch \(batch): iteration \(i + 1)/\(iterations), \(String(format: "%.2f", stepSeconds / Double(i + 1))) s per iteration")
            }
        }
        let seconds = stepSeconds / Double(iterations)
        let multiplyAdds = pass.multiplyAdds / Double(iterations)
        let profile = pass.lines.map { $0.divided(by: iterations) }
        return Report(network: network, batch: batch, blasCore: EngineThreads.blasCoreName, threads: EngineThreads.count,
                      iterations: iterations, secondsPerIteration: seconds, kimgPerHour: Double(batch) / seconds * 3.6,
                      arithmetic: SgemmShare(multiplyAdds: multiplyAdds, seconds: seconds, sgemmGflops: reference.medianGflops),
                      cpuRoundTrip: roundTrips.result, profile: profile)
    }
}
