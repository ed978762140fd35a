import Foundation
import Networks
import Training

/// `toonkit bench allreduce` (under mpirun): what a data-parallel step of a network sends, how long the
/// all-reduces take here, and what that projects to for more ranks over a given link
/// (docs/training-loop.md §12).
public enum AllReduceBenchmark {
    public struct Report: Codable, Sendable {
        public let network: String
        public let ranks: Int
        public let generatorParameters: Int
        public let discriminatorParameters: Int
        /// Gradient bytes all-reduced per step: G after Gmain and every 4th Greg, D after Dmain and every 16th Dreg.
        public let bytesPerStep: Double
        public let secondsPerGeneratorReduce: Double
        public let secondsPerDiscriminatorReduce: Double
        public let secondsPerStep: Double
        public let projection: Projection?
    }

    /// A ring all-reduce sends and receives 2(R − 1)/R of the buffer per rank; latency is ignored.
    public struct Projection: Codable, Sendable {
        public let ranks: Int
        public let gigabitsPerSecond: Double
        public let communicationSeconds: Double
        public let computeSeconds: Double?
        public var stepSeconds: Double? { computeSeconds.map { $0 + communicationSeconds } }
    }

    public static func run(network: String, collective: any Collective, repeats: Int,
                           projectedRanks: Int, gigabitsPerSecond: Double, computeSeconds: Double?) throws -> Report {
        let architecture = try BenchmarkNetwork.architecture(named: network)
        let hyper = Hyperparameters(options: TrainingOptions(), resolution: architecture.resolution, resuming: false)
        let g = parameterCount(GeneratorNetwork(architecture).tensors), d = parameterCount(DiscriminatorNetwork(architecture).tensors)
        let gSeconds = try medianSeconds(count: g, collective: collective, repeats: repeats)
        let dSeconds = try medianSeconds(count: d, collective: collective, repeats: repeats)
        let gPerStep = 1 + 1 / Double(hyper.gRegInterval), dPerStep = 1 + 1 / Double(hyper.dRegInterval)
        let bytes = 4 * (Double(g) * gPerStep + Double(d) * dPerStep)
        let ring = 2 * Double(projectedRanks - 1) / Double(projectedRanks)
        let projection = Projection(ranks: projectedRanks, gigabitsPerSecond: gigabitsPerSecond,
                                    communicationSeconds: ring * bytes * 8 / (gigabitsPerSecond * 1e9), computeSeconds: computeSeconds)
        return Report(network: network, ranks: collective.share.ranks, generatorParameters: g, discriminatorParameters: d,
                      bytesPerStep: bytes, secondsPerGeneratorReduce: gSeconds, secondsPerDiscriminatorReduce: dSeconds,
                      secondsPerStep: gSeconds * gPerStep + dSeconds * dPerStep, projection: projection)
    }

    static func parameterCount(_ declarations: [TensorDeclaration]) -> Int {
        declarations.filter { $0.kind == .parameter }.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    /// The median over `repeats` all-reduces of `count` floats, after one warm-up. Every rank makes the same
    /// number of calls (a time limit could end them at different counts and leave a rank waiting).
    static func medianSeconds(count: Int, collective: any Collective, repeats: Int) throws -> Double {
        var buffer = [Float](repeating: 1, count: count)
        return try timePerCall(minimumSeconds: 0, minimumCalls: repeats) { try collective.allReduceSum(&buffer) }
    }
}
