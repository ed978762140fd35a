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
        /// The batch's multiply-adds against sgemm 2048³ measured in this process before the timing.
        public let arithmetic: SgemmShare
        /// With `against`: the same batch by another convolution algorithm, alternated with this process's call by call.
        public let against: AlgorithmComparison?
        public let profile: [ProfileLine]
    }

    public static func run(inputSize: Int, batch: Int, minimumSeconds: Double, against: ConvolutionAlgorithm? = nil,
                           rounding: ConvRounding = InceptionNetwork.defaultRounding) throws -> Report {
        let network = try InceptionNetwork(weights: .formula(), rounding: rounding)
        var random = RandomState(seed: 1)
        let pixels = (0..<(batch * 3 * inputSize * inputSize)).map { _ in UInt8(random.nextInt(below: 256)) }
        let images = try ImageBatch(count: batch, channels: 3, height: inputSize, width: inputSize, pixels: pixels)
        let sgemm = try SgemmShare.measureReference(minimumSeconds: minimumSeconds)
        let (seconds, comparison) = try timePerCall(minimumSeconds: minimumSeconds, against: against) {
            _ = try GradMode.withoutGrad { try network.features(of: images) }
        }
        let pass = try profileOnePass { _ = try GradMode.withoutGrad { try network.features(of: images) } }
        return Report(inputSize: inputSize, batch: batch, rounding: rounding, blasCore: EngineThreads.blasCoreName, threads: EngineThreads.count,
                      secondsPerBatch: seconds, imagesPerSecond: Double(batch) / seconds,
                      arithmetic: SgemmShare(multiplyAdds: pass.multiplyAdds, seconds: seconds, sgemmGflops: sgemm), against: comparison,
                      profile: pass.lines)
    }
}
