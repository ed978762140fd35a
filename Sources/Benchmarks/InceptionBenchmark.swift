import Engine
import Foundation
import Metrics

/// `toonkit bench inception`: images per second through the FID feature extractor (pytorch-fid's
/// Inception-v3, resized to 299² inside, 2048 pool features), with formula weights: the arithmetic does
/// not depend on the weights' values.
public enum InceptionBenchmark {
    public struct Report: Codable, Sendable {
        public let inputSize: Int
        public let batch: Int
        /// The network's convolution rounding (`InceptionNetwork.defaultRounding` unless asked otherwise).
        public let rounding: ConvRounding
        public let blasCore: String
        public let threads: Int
        public let secondsPerBatch: Double
        public let imagesPerSecond: Double
        /// The batch's multiply-adds against sgemm 2048³ timed beside the batches (`WorkloadReference`).
        public let arithmetic: SgemmShare
        /// With `against`, `againstRounding` or `againstUnkeptTransforms`: the same batch by another convolution algorithm, with
        /// the other rounding or without kept convolution transforms, alternated with this process's own call by call.
        public let against: Comparison?
        /// The CPUs' round trip measured after each sgemm beside the batches; nil where it cannot be measured.
        public let cpuRoundTrip: CPURoundTrip?
        public let profile: [ProfileLine]
    }

    /// At most one of `against`, `againstRounding` and `againstUnkeptTransforms` (a network whose weights keep no convolution
    /// transforms).
    public static func run(inputSize: Int, batch: Int, minimumSeconds: Double, against: ConvolutionAlgorithm? = nil,
                           rounding: ConvRounding = InceptionNetwork.defaultRounding, againstRounding: ConvRounding? = nil,
                           againstUnkeptTransforms: Bool = false) throws -> Report {
        precondition([against != nil, againstRounding != nil, againstUnkeptTransforms].filter { $0 }.count <= 1, "one comparison at a time")
        let network = try InceptionNetwork(weights: .formula(), rounding: rounding)
        let other = try againstRounding.map { try InceptionNetwork(weights: .formula(), rounding: $0) }
            ?? (againstUnkeptTransforms ? InceptionNetwork(weights: .formula(), rounding: rounding, keepingConvolutionTransforms: false) : nil)
        var random = RandomState(seed: 1)
        let pixels = (0..<(batch * 3 * inputSize * inputSize)).map { _ in UInt8(random.nextInt(below: 256)) }
        let images = try ImageBatch(count: batch, channels: 3, height: inputSize, width: inputSize, pixels: pixels)
        let reference = try WorkloadReference()
        let variant = against?.rawValue ?? againstRounding.map { "\($0.rawValue) rounding" } ?? (againstUnkeptTransforms ? "unkept transforms" : nil)
        let slice = WorkloadReference.slice(minimumSeconds: minimumSeconds)
        let roundTrips = RoundTripProbe()
        let (seconds, comparison, sgemmSeconds) = try timePerCall(minimumSeconds: minimumSeconds, variant: variant, beside: reference.call,
                                                                  slice: slice, referenceSlice: 0, roundTrips: roundTrips, variantCall(against) { isVariant in
            _ = try GradMode.withoutGrad { try (isVariant ? other ?? network : network).features(of: images) }
        })
        let pass = try profileOnePass { _ = try GradMode.withoutGrad { try network.features(of: images) } }
        return Report(inputSize: inputSize, batch: batch, rounding: rounding, blasCore: EngineThreads.blasCoreName, threads: EngineThreads.count,
                      secondsPerBatch: seconds, imagesPerSecond: Double(batch) / seconds,
                      arithmetic: SgemmShare(multiplyAdds: pass.multiplyAdds, seconds: seconds, sgemmGflops: reference.gflops(seconds: sgemmSeconds)),
                      against: comparison, cpuRoundTrip: roundTrips.result,
                      profile: pass.lines)
    }
}
