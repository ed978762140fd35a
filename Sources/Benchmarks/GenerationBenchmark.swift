import Checkpoint
import Engine
import Foundation
import Networks

/// `toonkit bench generate`: images per second of a randomly initialised generator (mapping +
/// synthesis, const noise), at each batch size, with a per-kernel profile of one batch.
public enum GenerationBenchmark {
    public struct Row: Codable, Sendable {
        public let batch: Int
        public let secondsPerBatch: Double
        public let imagesPerSecond: Double
    }

    public struct Report: Codable, Sendable {
        public let network: String
        public let blasCore: String
        public let threads: Int
        public let rows: [Row]
        public let profile: [ProfileLine]
    }

    public static func run(architecture: Architecture, name: String, batches: [Int], minimumSeconds: Double,
                           progress: (String) -> Void = { _ in }) throws -> Report {
        let generator = try Generator(architecture: architecture, parameters: NetworkInitializer.generator(architecture, seed: 1))
        var rows: [Row] = []
        for batch in batches {
            let z = try Latents.z(seeds: (0..<batch).map { UInt32($0) }, zDim: architecture.zDim)
            let seconds = try timePerCall(minimumSeconds: minimumSeconds) {
                _ = try GradMode.withoutGrad { try generator.generate(z: z, noise: .const) }
            }
            rows.append(Row(batch: batch, secondsPerBatch: seconds, imagesPerSecond: Double(batch) / seconds))
            progress(String(format: "%@ batch %d: %.3f s per batch, %.2f img/s", name, batch, seconds, Double(batch) / seconds))
        }
        let z = try Latents.z(seeds: (0..<(batches.last ?? 1)).map { UInt32($0) }, zDim: architecture.zDim)
        Profiler.reset()
        Profiler.isEnabled = true
        defer { Profiler.isEnabled = false }
        _ = try GradMode.withoutGrad { try generator.generate(z: z, noise: .const) }
        let profile = Profiler.report
        return Report(network: name, blasCore: EngineThreads.blasCoreName, threads: EngineThreads.count, rows: rows, profile: profile)
    }
}
