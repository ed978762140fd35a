import Checkpoint
import Engine
import Foundation
import Networks

/// `toonkit bench generate`: images per second of a randomly initialised generator (mapping +
/// synthesis, const noise), at each batch size, with its share of sgemm's rate and a per-kernel profile of one batch.
public enum GenerationBenchmark {
    public struct Row: Codable, Sendable {
        public let batch: Int
        public let secondsPerBatch: Double
        public let imagesPerSecond: Double
        /// The batch's multiply-adds against sgemm 2048³ timed beside the batches (`WorkloadReference`).
        public let arithmetic: SgemmShare
        /// With `against`: the same batch by another convolution algorithm; with `againstUnkeptTransforms`, by a generator
        /// whose weights keep no convolution transforms; alternated with this process's call by call.
        public let against: Comparison?
        /// The CPUs' round trip measured after each sgemm beside the batches; nil where it cannot be measured.
        public let cpuRoundTrip: CPURoundTrip?
    }

    public struct Report: Codable, Sendable {
        public let network: String
        public let blasCore: String
        public let threads: Int
        public let rows: [Row]
        public let profile: [ProfileLine]
    }

    /// At most one of `against` and `againstUnkeptTransforms`.
    public static func run(architecture: Architecture, name: String, batches: [Int], minimumSeconds: Double,
                           against: ConvolutionAlgorithm? = nil, againstUnkeptTransforms: Bool = false,
                           progress: (String) -> Void = { _ in }) throws -> Report {
        precondition(against == nil || !againstUnkeptTransforms, "one comparison at a time")
        // Prepared as generate, sweep and fid prepare theirs: a run of many batches derives from the weights once.
        let unprepared = try Generator(architecture: architecture, parameters: NetworkInitializer.generator(architecture, seed: 1))
        let generator = try unprepared.preparedForInference()
        let unkept = try againstUnkeptTransforms ? unprepared.preparedForInference(keepingConvolutionTransforms: false) : nil
        let variant = against?.rawValue ?? (againstUnkeptTransforms ? "unkept transforms" : nil)
        let reference = try WorkloadReference()
        var rows: [Row] = []
        var profile: [ProfileLine] = []
        for batch in batches {
            let z = try Latents.z(seeds: (0..<batch).map { UInt32($0) }, zDim: architecture.zDim)
            func generate(by generator: Generator) throws { _ = try GradMode.withoutGrad { try generator.generate(z: z, noise: .const) } }
            let slice = WorkloadReference.slice(minimumSeconds: minimumSeconds)
            let roundTrips = RoundTripProbe()
            let (seconds, comparison, sgemmSeconds) = try timePerCall(minimumSeconds: minimumSeconds, variant: variant, beside: reference.call,
                                                                      slice: slice, referenceSlice: 0, roundTrips: roundTrips,
                                                                      variantCall(against) { try generate(by: $0 ? unkept ?? generator : generator) })
            let pass = try profileOnePass { try generate(by: generator) }
            profile = pass.lines
            let arithmetic = SgemmShare(multiplyAdds: pass.multiplyAdds, seconds: seconds, sgemmGflops: reference.gflops(seconds: sgemmSeconds))
            rows.append(Row(batch: batch, secondsPerBatch: seconds, imagesPerSecond: Double(batch) / seconds, arithmetic: arithmetic,
                            against: comparison, cpuRoundTrip: roundTrips.result))
            progress(String(format: "%@ batch %d: %.3f s per batch, %.2f img/s", name, batch, seconds, Double(batch) / seconds)
                     + (comparison?.summary(unit: "s") ?? "") + "; " + roundTrips.line)
        }
        return Report(network: name, blasCore: EngineThreads.blasCoreName, threads: EngineThreads.count, rows: rows, profile: profile)
    }
}
