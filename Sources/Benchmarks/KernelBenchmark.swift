import Engine
import Foundation

/// `toonkit bench kernels`: convolution throughput on StyleGAN2-256 layer shapes against the
/// machine's own sgemm, measured in the same run so the ratio survives a noisy, shared machine.
public enum KernelBenchmark {
    public struct Row: Codable, Sendable {
        public let layer: String
        public let pass: String
        public let seconds: Double
        public let gflops: Double
        public let ratioToSgemm: Double
    }

    public struct Report: Codable, Sendable {
        public let blasCore: String
        public let threads: Int
        public let sgemmGflops: Double
        public let rows: [Row]
    }

    /// One 3×3 convolution layer of a paper256 generator/discriminator: channels at a resolution.
    public struct Layer: Sendable {
        public let channelsIn: Int, channelsOut: Int, resolution: Int
        public var name: String { "3x3 \(channelsIn)->\(channelsOut) @\(resolution)x\(resolution)" }
    }

    /// paper256's channels per resolution (channel_base 16384, max 512).
    public static let paper256Layers: [Layer] = [8, 16, 32, 64, 128, 256].map { r in
        let c = min(16384 / r, 512)
        return Layer(channelsIn: c, channelsOut: c, resolution: r)
    }

    public static func run(batch: Int = 4, layers: [Layer] = paper256Layers, minimumSeconds: Double = 0.5,
                           progress: (String) -> Void = { _ in }) throws -> Report {
        let sgemm = try measureSgemm(size: 2048, minimumSeconds: minimumSeconds)
        progress(String(format: "sgemm 2048^3: %.1f GFLOP/s", sgemm))
        var rows: [Row] = []
        for layer in layers {
            let x = try randomTensor([batch, layer.channelsIn, layer.resolution, layer.resolution])
            let w = try randomTensor([layer.channelsOut, layer.channelsIn, 3, 3])
            let options = ConvOptions(padding: 1)
            let y = try Tensor.conv2d(x, w, options)
            let flops = 2.0 * Double(batch * layer.channelsOut * layer.resolution * layer.resolution * layer.channelsIn * 9)
            let passes: [(String, () throws -> Void)] = [
                ("forward", { _ = try Tensor.conv2d(x, w, options) }),
                ("backward data", { _ = try Tensor.convTranspose2d(y, w, options, outputSize: (layer.resolution, layer.resolution)) }),
                ("backward weight", { _ = try Tensor.conv2dWeightGradient(input: x, gradOutput: y, kernelSize: (3, 3), options) }),
            ]
            for (pass, body) in passes {
                let seconds = try timePerCall(minimumSeconds: minimumSeconds, body)
                let gflops = flops / seconds / 1e9
                rows.append(Row(layer: layer.name, pass: pass, seconds: seconds, gflops: gflops, ratioToSgemm: gflops / sgemm))
                progress(String(format: "%@ %@: %.2f ms, %.1f GFLOP/s, %.2f of sgemm", layer.name, pass, seconds * 1e3, gflops, gflops / sgemm))
            }
        }
        return Report(blasCore: EngineThreads.blasCoreName, threads: EngineThreads.count, sgemmGflops: sgemm, rows: rows)
    }

    /// sgemm through `Tensor.matmul`, which allocates its output as every convolution pass does, so the
    /// ratio compares like with like (the allocation is under 1% of a 2048³ product).
    static func measureSgemm(size n: Int, minimumSeconds: Double) throws -> Double {
        let a = try randomTensor([n, n]), b = try randomTensor([n, n])
        let seconds = try timePerCall(minimumSeconds: minimumSeconds) { _ = try Tensor.matmul(a, b) }
        return 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9
    }

    static func randomTensor(_ shape: [Int]) throws -> Tensor {
        var rng = RandomState(seed: 7)
        return try Tensor.generate(shape: shape) { buffer in
            for i in buffer.indices { buffer[i] = Float(rng.nextDouble()) - 0.5 }
        }
    }
}
