import Engine
import Metrics
import Foundation

/// `toonkit bench kernels`: convolution throughput on StyleGAN2-256 layer shapes against the
/// machine's own sgemm, measured in the same run so the ratio survives a noisy, shared machine; and the
/// engine's own vector kernels with each instruction set the CPU supports.
public enum KernelBenchmark {
    public struct Row: Codable, Sendable {
        public let layer: String
        public let pass: String
        public let batch: Int
        public let seconds: Double
        public let gflops: Double
        /// GFLOP/s over `sgemmGflops`.
        public let ratioToSgemm: Double
        /// sgemm 2048³'s rate timed beside this row, in turns with it (`timePerCall(…beside:…)`).
        public let sgemmGflops: Double
        /// With `against`: the same call by another algorithm, alternated with this row's call by call.
        public let against: Comparison?
        /// The CPUs' round trip measured after each turn of the sgemm beside the row; nil where it cannot be measured.
        public let cpuRoundTrip: CPURoundTrip?
        /// The kernels one more call of the row ran (`Profiler`), the largest own time first: which algorithm served it and
        /// where its time went.
        public let kernels: [ProfileLine]

        /// The kernels that took at least 5 % of the profiled call's time, with their shares: "sgemm 90%, col2im 9%".
        public var kernelSummary: String {
            let total = kernels.reduce(0) { $0 + $1.ownSeconds }
            guard total > 0 else { return "-" }
            return kernels.filter { $0.ownSeconds >= 0.05 * total }
                .map { String(format: "%@ %.0f%%", $0.kernel, 100 * $0.ownSeconds / total) }.joined(separator: ", ")
        }
    }

    /// One of the engine's own vector kernels (docs/engine-kernels.md) timed with one instruction set.
    public struct VectorKernelRow: Codable, Sendable {
        public let kernel: String
        public let instructionSet: String
        public let seconds: Double
        public let gflops: Double
    }

    public struct Report: Codable, Sendable {
        public let blasCore: String
        public let threads: Int
        /// The set the engine's vector kernels use in this process (KernelInstructionSet.rawValue).
        public let instructionSet: String
        /// OpenBLAS's sgemm 2048³ measured once before the table; each row's ratio is to the rate timed beside it
        /// (`Row.sgemmGflops`).
        public let sgemmGflops: Double
        /// The same product by the engine's blocked kernels, measured after it, where this set sends such products there
        /// (docs/engine-kernels.md "Blocked products"): the yardstick stays OpenBLAS's, and this says how far from the fastest
        /// product here it is.
        public let blockedGflops: Double?
        /// The CPUs' round trip measured after that sgemm.
        public let cpuRoundTrip: CPURoundTrip?
        public let rows: [Row]
        /// Every vector kernel with every set this CPU supports, so one run shows what the dispatch gains.
        public let vectorKernels: [VectorKernelRow]
    }

    /// One 3×3 convolution layer of a paper256 generator/discriminator: channels at a resolution.
    public struct Layer: Sendable {
        public let channelsIn: Int, channelsOut: Int, resolution: Int
        public var name: String { "3x3 \(channelsIn)->\(channelsOut) @\(resolution)x\(resolution)" }
        var upsamplingName: String { "up 3x3 \(channelsIn)->\(channelsOut) @\(resolution)x\(resolution)" }
        var downsamplingName: String { "down 3x3 \(channelsIn)->\(channelsOut) @\(resolution)x\(resolution)" }
    }

    /// The discriminator's down-sampling layers out of the listed resolutions into half of them, from 16² up:
    /// (paper256: 64 → 128 into 128², 128 → 256 into 64², 256 → 512 into 32², 512 → 512 into 16²).
    static func downsamplingLayers(of layers: [Layer]) -> [Layer] {
        zip(layers, layers.dropFirst()).filter { $0.0.resolution >= 16 }.map {
            Layer(channelsIn: $0.1.channelsIn, channelsOut: $0.0.channelsOut, resolution: $0.0.resolution)
        }.reversed()
    }

    /// The generator's up-sampling layers into the listed resolutions from 16² up: from the previous layer's
    /// channels at half the resolution (paper256: 512 → 256 into 64², 256 → 128 into 128², 128 → 64 into 256²).
    static func upsamplingLayers(of layers: [Layer]) -> [Layer] {
        zip(layers, layers.dropFirst()).filter { $0.1.resolution >= 16 }.map {
            Layer(channelsIn: $0.0.channelsOut, channelsOut: $0.1.channelsIn, resolution: $0.1.resolution)
        }
    }

    /// paper256's channels per resolution (channel_base 16384, max 512).
    public static let paper256Layers: [Layer] = [8, 16, 32, 64, 128, 256].map { r in
        let c = min(16384 / r, 512)
        return Layer(channelsIn: c, channelsOut: c, resolution: r)
    }

    /// One stride-1 layer of FID's Inception-v3 (pytorch-fid's network on 299² inputs), timed forward only, with the
    /// rounding the network's convolutions take (`InceptionNetwork.defaultRounding`) and its weight's transforms kept.
    public struct InceptionLayer: Sendable {
        public let channelsIn: Int, channelsOut: Int, inputSize: Int
        public let kernel: (height: Int, width: Int), padding: (height: Int, width: Int)

        init(channelsIn: Int, channelsOut: Int, inputSize: Int, kernel: (Int, Int) = (3, 3), padding: (Int, Int)) {
            self.channelsIn = channelsIn
            self.channelsOut = channelsOut
            self.inputSize = inputSize
            self.kernel = kernel
            self.padding = padding
        }

        public var outputHeight: Int { inputSize + 2 * padding.height - kernel.height + 1 }
        public var outputWidth: Int { inputSize + 2 * padding.width - kernel.width + 1 }
        public var name: String {
            let pad = padding.height == padding.width ? "\(padding.height)" : "\(padding.height),\(padding.width)"
            return "FID \(kernel.height)x\(kernel.width) \(channelsIn)->\(channelsOut) @\(outputHeight)x\(outputWidth) pad \(pad)"
        }
    }

    /// Conv2d_2a, 2b and 4a and the 35² double-3×3 branch's two: planes that are not whole vectors wide, with and
    /// without padding (docs/engine-kernels.md "Winograd"); Mixed_6e's 1×7 and 7×1 and Mixed_7b's 1×3 and 3×1 ("Winograd
    /// along one axis"); Mixed_7b's 3×3 at 8² ("Narrow planes") and Mixed_5b's 5×5 ("Winograd F(4×4, 5×5)").
    public static let inceptionLayers: [InceptionLayer] = [
        InceptionLayer(channelsIn: 32, channelsOut: 32, inputSize: 149, padding: (0, 0)),
        InceptionLayer(channelsIn: 32, channelsOut: 64, inputSize: 147, padding: (1, 1)),
        InceptionLayer(channelsIn: 80, channelsOut: 192, inputSize: 73, padding: (0, 0)),
        InceptionLayer(channelsIn: 64, channelsOut: 96, inputSize: 35, padding: (1, 1)),
        InceptionLayer(channelsIn: 96, channelsOut: 96, inputSize: 35, padding: (1, 1)),
        InceptionLayer(channelsIn: 192, channelsOut: 192, inputSize: 17, kernel: (1, 7), padding: (0, 3)),
        InceptionLayer(channelsIn: 192, channelsOut: 192, inputSize: 17, kernel: (7, 1), padding: (3, 0)),
        InceptionLayer(channelsIn: 384, channelsOut: 384, inputSize: 8, kernel: (1, 3), padding: (0, 1)),
        InceptionLayer(channelsIn: 384, channelsOut: 384, inputSize: 8, kernel: (3, 1), padding: (1, 0)),
        InceptionLayer(channelsIn: 448, channelsOut: 384, inputSize: 8, padding: (1, 1)),
        InceptionLayer(channelsIn: 48, channelsOut: 64, inputSize: 35, kernel: (5, 5), padding: (2, 2)),
    ]

    /// The StyleGAN2 rows' batch unless the caller sets one: `bench train --network paper256`'s.
    public static let defaultBatch = 4

    /// `batch`: every row's batch; by default `defaultBatch` for the StyleGAN2 rows and `FIDEvaluator.defaultBatchSize` for the
    /// FID rows, each as it runs (at FID's 8 the 8² layers take Winograd, at 4 im2col).
    /// `only`: time just the rows whose "layer pass" or vector kernel name contains this text (case-insensitive).
    /// `against`: also time every row with this convolution algorithm, alternating call by call with the process's own.
    public static func run(batch: Int? = nil, layers: [Layer] = paper256Layers, minimumSeconds: Double = 0.5, only: String? = nil,
                           against: ConvolutionAlgorithm? = nil, progress: (String) -> Void = { _ in }) throws -> Report {
        let (styleBatch, inceptionBatch) = (batch ?? defaultBatch, batch ?? FIDEvaluator.defaultBatchSize)
        let selected = { (name: String) in only.map { name.localizedCaseInsensitiveContains($0) } ?? true }
        let reference = try sgemmCall(size: 2048)
        let sgemm = try measureSgemm(reference, minimumSeconds: minimumSeconds)
        progress(String(format: "sgemm 2048^3: %.1f GFLOP/s", sgemm))
        let blocked = try blockedRate(minimumSeconds: minimumSeconds)
        if let blocked { progress(String(format: "the engine's blocked products 2048^3: %.1f GFLOP/s", blocked)) }
        let startingRoundTrip = RoundTripProbe()
        startingRoundTrip.sample()
        progress(startingRoundTrip.line)
        var rows: [Row] = []
        func time(_ layer: String, _ pass: String, batch: Int, flops: Double, _ body: @escaping () throws -> Void) throws {
            guard selected("\(layer) \(pass)") else { return }
            // Each row times its layer as it runs in a process that repeats it, with its own buffers recycled: a pool
            // full of earlier rows' buffers made later rows map and fault in theirs on every call (up 128->64 into 256²,
            // AVX-512: 0.65–0.67 of sgemm after the whole table without the drain, 0.83–0.87 with it).
            ProcessMemory.releaseHeldBuffers()
            let roundTrips = RoundTripProbe()
            let (seconds, comparison, sgemmSeconds) = try timePerCall(minimumSeconds: minimumSeconds, variant: against?.rawValue,
                                                                      beside: reference.call, roundTrips: roundTrips,
                                                                      variantCall(against) { _ in try body() })
            let gflops = flops / seconds / 1e9, besideGflops = reference.flops / sgemmSeconds / 1e9
            let row = Row(layer: layer, pass: pass, batch: batch, seconds: seconds, gflops: gflops, ratioToSgemm: gflops / besideGflops,
                          sgemmGflops: besideGflops, against: comparison, cpuRoundTrip: roundTrips.result,
                          kernels: try profileOnePass(body).lines)
            rows.append(row)
            progress(String(format: "%@ %@: %.2f ms, %.1f GFLOP/s, %.2f of sgemm (%.1f GFLOP/s beside it)", layer, pass, seconds * 1e3, gflops,
                            gflops / besideGflops, besideGflops) + (comparison?.summary(unit: "ms") ?? "") + "; " + roundTrips.line
                     + "; kernels: " + row.kernelSummary)
        }
        try timeConvolutions(layers: layers, styleBatch: styleBatch, inceptionBatch: inceptionBatch, time: time)
        let vectorKernels = try measureVectorKernels(minimumSeconds: minimumSeconds, selected: selected, progress: progress)
        return Report(blasCore: EngineThreads.blasCoreName, threads: EngineThreads.count, instructionSet: KernelInstructionSet.active.rawValue,
                      sgemmGflops: sgemm, blockedGflops: blocked, cpuRoundTrip: startingRoundTrip.result, rows: rows, vectorKernels: vectorKernels)
    }

    /// Times (through `time`: layer, pass, batch, FLOPs, call) every row of the table: each stride-1 layer's three passes,
    /// the generator's up-sampling layers, the discriminator's down-sampling layers' three passes, and FID's layers.
    private static func timeConvolutions(layers: [Layer], styleBatch: Int, inceptionBatch: Int,
                                         time: (String, String, Int, Double, @escaping () throws -> Void) throws -> Void) throws {
        for layer in layers {
            let flops = 2.0 * Double(styleBatch * layer.channelsOut * layer.resolution * layer.resolution * layer.channelsIn * 9)
            try timePasses(layer.name, input: [styleBatch, layer.channelsIn, layer.resolution, layer.resolution], outChannels: layer.channelsOut,
                           options: ConvOptions(padding: 1), flops: flops, time: time)
        }
        for layer in upsamplingLayers(of: layers) {
            // The generator's up-sampling convolution: conv_transpose2d with stride 2 from half the resolution.
            let half = layer.resolution / 2
            let x = Operand { try randomTensor([styleBatch, layer.channelsIn, half, half]) }
            let w = Operand { try randomTensor([layer.channelsIn, layer.channelsOut, 3, 3]) }
            let flops = 2.0 * Double(styleBatch * layer.channelsIn * layer.channelsOut * 9 * half * half)
            try time(layer.upsamplingName, "forward", styleBatch, flops) {
                _ = try Tensor.convTranspose2d(x.tensor(), w.tensor(), ConvOptions(stride: 2, padding: 0))
            }
        }
        for layer in downsamplingLayers(of: layers) {
            // The discriminator's down-sampling convolution, stride 2 on its FIR's (2R + 1)² output, in the three passes
            // training runs (its backward data is the up-sampling's kernels).
            let flops = 2.0 * Double(styleBatch * layer.channelsIn * layer.channelsOut * 9 * layer.resolution * layer.resolution)
            try timePasses(layer.downsamplingName, input: [styleBatch, layer.channelsIn, 2 * layer.resolution + 1, 2 * layer.resolution + 1],
                           outChannels: layer.channelsOut, options: ConvOptions(stride: 2, padding: 0), flops: flops, time: time)
        }
        for layer in inceptionLayers {
            let x = Operand { try randomTensor([inceptionBatch, layer.channelsIn, layer.inputSize, layer.inputSize]) }
            // Kept, as `InceptionNetwork` keeps every weight's transforms: FID never remakes them per call. The StyleGAN2
            // rows stand for training too, whose weights change every step, so they keep none.
            let w = Operand {
                try randomTensor([layer.channelsOut, layer.channelsIn, layer.kernel.height, layer.kernel.width]).keepingConvolutionTransforms()
            }
            let flops = 2.0 * Double(inceptionBatch * layer.channelsIn * layer.channelsOut * layer.kernel.height * layer.kernel.width
                                     * layer.outputHeight * layer.outputWidth)
            let options = ConvOptions(stride: 1, padding: layer.padding, rounding: InceptionNetwork.defaultRounding)
            try time(layer.name, "forward", inceptionBatch, flops) { _ = try Tensor.conv2d(x.tensor(), w.tensor(), options) }
        }
    }

    /// Times a 3×3 convolution's three passes on `input`'s shape (batch, channels, height, width), each row named "`name`
    /// pass": forward, backward data (to the input's size) and backward weight.
    private static func timePasses(_ name: String, input shape: [Int], outChannels: Int, options: ConvOptions, flops: Double,
                                   time: (String, String, Int, Double, @escaping () throws -> Void) throws -> Void) throws {
        let x = Operand { try randomTensor(shape) }, w = Operand { try randomTensor([outChannels, shape[1], 3, 3]) }
        let y = Operand { try Tensor.conv2d(x.tensor(), w.tensor(), options) }
        try time(name, "forward", shape[0], flops) { _ = try Tensor.conv2d(x.tensor(), w.tensor(), options) }
        try time(name, "backward data", shape[0], flops) {
            _ = try Tensor.convTranspose2d(y.tensor(), w.tensor(), options, outputSize: (shape[2], shape[3]))
        }
        try time(name, "backward weight", shape[0], flops) {
            _ = try Tensor.conv2dWeightGradient(input: x.tensor(), gradOutput: y.tensor(), kernelSize: (3, 3), options)
        }
    }

    /// A row's operand, made on first use (the row's untimed warm-up call), so that the rows `only` leaves out make none:
    /// before, a run of one FID row made every StyleGAN2 layer's tensors and outputs first, about 3.5 s.
    private final class Operand {
        private let make: () throws -> Tensor
        private var made: Tensor?

        init(_ make: @escaping () throws -> Tensor) { self.make = make }

        func tensor() throws -> Tensor {
            if let made { return made }
            let tensor = try make()
            made = tensor
            return tensor
        }
    }

    /// The skinny products of a 3×3 convolution with 32 channels at 64×64 (forward, backward data, backward
    /// weight, as tiny64 trains), a G_ema-sized lerp and biasAct, with each supported instruction set.
    static func measureVectorKernels(minimumSeconds: Double, selected: (String) -> Bool, progress: (String) -> Void) throws -> [VectorKernelRow] {
        let (channels, patch, pixels) = (32, 32 * 9, 64 * 64)
        let weights = try randomTensor([channels, patch]), columns = try randomTensor([patch, pixels])
        let gradient = try randomTensor([channels, pixels]), output = try Tensor.zeros([max(patch * pixels, 1 << 22)])
        let (start, end) = (try randomTensor([1 << 22]), try Tensor.full(1, shape: [1 << 22]))
        let productFlops = 2.0 * Double(channels * patch * pixels)
        typealias Kernel = (name: String, flops: Double, body: (KernelInstructionSet) -> Void)
        let kernels: [Kernel] = [
            ("skinny forward \(channels)x\(patch) * \(patch)x\(pixels)", productFlops, { set in
                set.skinnyProduct(weights, columns, into: output)
            }),
            ("skinny backward data (\(channels)x\(patch))T * \(channels)x\(pixels)", productFlops, { set in
                set.skinnyProduct(weights, gradient, transposeA: true, into: output)
            }),
            ("skinny backward weight \(channels)x\(pixels) * (\(patch)x\(pixels))T", productFlops, { set in
                set.skinnyProduct(gradient, columns, transposeB: true, into: output)
            }),
            ("lerp 4M", 3.0 * Double(start.count), { set in _ = set.lerp(start, end, weight: 0.999) }),
            // One thread, as each worker runs it on its rows: scale, noise, bias, lrelu, gain and clamp per element.
            ("biasAct 4M (one thread)", 7.0 * Double(start.count), { set in
                set.biasActRow(start, scale: 1.5, addend: end, bias: 0.1, slope: 0.2, gain: 1.41, clamp: 256, into: output)
            }),
        ]
        var rows: [VectorKernelRow] = []
        for kernel in kernels where selected(kernel.name) {
            for set in KernelInstructionSet.supported {
                let seconds = try timePerCall(minimumSeconds: minimumSeconds) { kernel.body(set) }
                let row = VectorKernelRow(kernel: kernel.name, instructionSet: set.rawValue, seconds: seconds, gflops: kernel.flops / seconds / 1e9)
                rows.append(row)
                progress(String(format: "%@ with %@: %.3f ms, %.1f GFLOP/s", row.kernel, row.instructionSet, seconds * 1e3, row.gflops))
            }
        }
        return rows
    }

    private static func measureSgemm(_ reference: (call: () throws -> Void, flops: Double), minimumSeconds: Double) throws -> Double {
        try reference.flops / timePerCall(minimumSeconds: minimumSeconds, reference.call) / 1e9
    }

    /// The blocked kernels' rate on a 2048³ product where the active set sends op(A)·B to them, else nil.
    private static func blockedRate(minimumSeconds: Double) throws -> Double? {
        guard ProductKernel.sendsLargeProductsToBlockedKernels else { return nil }
        return try measureSgemm(sgemmCall(size: 2048, kernel: .blocked), minimumSeconds: minimumSeconds)
    }

    /// One n³ product per call, and its FLOPs: by default OpenBLAS's sgemm (named, not where the engine would send the
    /// shape: the yardstick stays OpenBLAS's) through `Tensor.matmul`, which allocates its output as every convolution pass
    /// does, so the ratio compares like with like (the allocation is under 1% of a 2048³ product).
    static func sgemmCall(size n: Int, kernel: ProductKernel = .openBLAS) throws -> (call: () throws -> Void, flops: Double) {
        let a = try randomTensor([n, n]), b = try randomTensor([n, n])
        return ({ _ = try Tensor.matmul(a, b, kernel: kernel) }, 2 * Double(n) * Double(n) * Double(n))
    }

    static func randomTensor(_ shape: [Int]) throws -> Tensor {
        var rng = RandomState(seed: 7)
        return try Tensor.generate(shape: shape) { buffer in
            for i in buffer.indices { buffer[i] = Float(rng.nextDouble()) - 0.5 }
        }
    }
}
