/// Convolution kernels: im2col / col2im around a matrix product (`sgemm`: OpenBLAS or the engine's own kernels).
///
/// The 3×3 convolutions DirectConvolution serves (Winograd, direct and stride-2 kernels; its `Path`) go there instead,
/// unless TOONKIT_CONV=im2col; under `auto` so do the forward passes of the 1×r and r×1 ones LineWinograd serves, and
/// with relaxed rounding those of the 5×5 ones WinogradFiveByFive serves.
/// The three passes below share one geometry. "Input space" is [N, C, H, W], "output space" is
/// [N, O, Ho, Wo], weights are [O, C/groups, kh, kw]:
///   forward:      input space → output space   (conv2d)
///   backwardData: output space → input space   (conv_transpose2d, the adjoint of forward)
///   weightGrad:   (input, output-space gradient) → weight gradient
/// The GEMM columns are processed in blocks: several whole samples when planes are small (so the
/// GEMM stays wide), a band of output rows when planes are large (so im2col buffers stay in cache).
struct ConvGeometry: Equatable {
    let batch: Int
    let inChannels: Int, inHeight: Int, inWidth: Int
    let outChannels: Int, outHeight: Int, outWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    let stride: Int, padHeight: Int, padWidth: Int
    let groups: Int

    var inPerGroup: Int { inChannels / groups }
    var outPerGroup: Int { outChannels / groups }
    /// Taps per channel: im2col's rows per input channel.
    var kernelArea: Int { kernelHeight * kernelWidth }
    var patch: Int { inPerGroup * kernelArea }
    var inPlane: Int { inHeight * inWidth }
    var outPlane: Int { outHeight * outWidth }
    var inputShape: [Int] { [batch, inChannels, inHeight, inWidth] }
    var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }
    var weightShape: [Int] { [outChannels, inPerGroup, kernelHeight, kernelWidth] }
    var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padHeight == 0 && padWidth == 0 }
    /// Multiply-adds of one forward pass (each backward pass costs the same).
    var multiplyAdds: Int { batch * outChannels * outPlane * patch }

    struct Block {
        let sample: Int
        let samples: Int
        let rowStart: Int
        let rows: Int
        func columns(_ g: ConvGeometry) -> Int { samples * rows * g.outWidth }
    }

    /// The forward pass's and the weight gradient's column blocks: their im2col buffer, written whole, stays near 8 MB.
    var blocks: [Block] { blocks(columnBytes: 8 << 20) }

    /// backwardData's column blocks. Its product writes the columns in bands of channels (`col2imBandChannels`, up to one
    /// per 1024 rows of the patch), so a block can hold about 5 MB per band it can be cut into (at least the other passes'
    /// 8 MB, at most 32 MB) without its columns leaving the cache: the up-sampling into 32² (512 channels, batch 4) as one
    /// product 1024 columns wide in 4 bands took 0.92–0.97 of the time of four products 256 wide in 2 bands each in the
    /// fast state and 0.84 in the slow one (docs/engine-kernels.md "im2col's backward data").
    var backwardDataBlocks: [Block] { blocks(columnBytes: min(32 << 20, max(8 << 20, (patch / 1024) * (5 << 20)))) }

    /// Column blocks covering the whole batch, each with about `columnBytes` of columns. Pointwise convolutions
    /// take one sample per block, which GEMM reads and writes in place: packing several samples' columns and unpacking
    /// the product cost more than the wider product gains (measured on the forward pass, which now takes all samples in
    /// place as one batch of products, `pointwiseForward`: Inception's 1×1 layers at batch 8 on a Zen 1, 768 → 192
    /// channels at 17² 15.1 → 12.6 ms, 768 → 128 9.7 → 7.8, 192 → 64 at 35² 10.8 → 9.8, 1280 → 320 at 8² 8.2 → 7.3,
    /// 2048 → 448 at 8² level; medians of 60 interleaved calls).
    private func blocks(columnBytes: Int) -> [Block] {
        let budgetColumns = max(outWidth, columnBytes / (4 * max(patch, 1)))
        if outPlane >= budgetColumns || batch == 1 || isPointwise {
            let rowsPerBlock = max(1, min(outHeight, budgetColumns / max(outWidth, 1)))
            return (0..<batch).flatMap { n in
                Swift.stride(from: 0, to: outHeight, by: rowsPerBlock).map { Block(sample: n, samples: 1, rowStart: $0, rows: min(rowsPerBlock, outHeight - $0)) }
            }
        }
        let samplesPerBlock = max(1, budgetColumns / max(outPlane, 1))
        return Swift.stride(from: 0, to: batch, by: samplesPerBlock).map {
            Block(sample: $0, samples: min(samplesPerBlock, batch - $0), rowStart: 0, rows: outHeight)
        }
    }

    /// Whether a block's output-space columns can be addressed in place (one sample) or need packing.
    func isDirect(_ block: Block) -> Bool { block.samples == 1 }
}

enum ConvKernels {
    /// `kept`: the weight's kept transforms (`Tensor.keepingConvolutionTransforms`), which the direct, Winograd and line
    /// Winograd kernels (and F(4×4, 5×5)) take instead of making them; im2col + GEMM reads the weight as it is.
    static func forward(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                        algorithm: ConvolutionAlgorithm = .current, rounding: ConvRounding = .standard, kept: KeptTransforms? = nil) {
        if let path = DirectConvolution.Path(g, backwardData: false, algorithm: algorithm, rounding: rounding) {
            return Profiler.measure(path.rawValue) {
                DirectConvolution.forward(g, input: input, weight: weight, output: output, winograd: path.winogradTile, kept: kept)
            }
        }
        if algorithm.usesWinograd && rounding == .relaxed, let fiveByFive = WinogradFiveByFive(g) {
            return Profiler.measure("conv5x5 winograd F(4x4)") { fiveByFive.forward(input: input, weight: weight, output: output, kept: kept) }
        }
        if algorithm.usesWinograd, let line = LineWinograd(g, rounding: rounding) {
            return Profiler.measure(line.profileName) { line.forward(input: input, weight: weight, output: output, kept: kept) }
        }
        if g.isPointwise { return pointwiseForward(g, input: input, weight: weight, output: output) }
        var cols = ScratchBuffer()
        var packed = ScratchBuffer()
        for block in g.blocks {
            let columns = block.columns(g)
            for group in 0..<g.groups {
                let source = columnsSource(g, block, group, input: input, scratch: &cols)
                let w = weight + group * g.outPerGroup * g.patch
                if g.isDirect(block) {
                    let y = output + (block.sample * g.outChannels + group * g.outPerGroup) * g.outPlane + block.rowStart * g.outWidth
                    sgemm(transposeA: false, transposeB: false, m: g.outPerGroup, n: columns, k: g.patch,
                          a: w, lda: g.patch, b: source.pointer, ldb: source.leading, c: y, ldc: g.outPlane)
                } else {
                    let tmp = packed.reserve(g.outPerGroup * columns)
                    sgemm(transposeA: false, transposeB: false, m: g.outPerGroup, n: columns, k: g.patch,
                          a: w, lda: g.patch, b: source.pointer, ldb: source.leading, c: tmp, ldc: columns)
                    unpackOutputSpace(g, block, group, from: tmp, to: output)
                }
            }
        }
    }

    /// A 1×1 convolution reads and writes the samples' planes in place: per group, one product per sample, all of them in
    /// one batch, which the engine's kernels split across the threads at once (Inception's 1×1 layers on 8² planes are one
    /// panel of columns per sample, docs/engine-kernels.md "Blocked products"); OpenBLAS takes them one by one.
    private static func pointwiseForward(_ g: ConvGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                         output: UnsafeMutablePointer<Float>) {
        let samples = ProductBatch(count: g.batch, aStride: 0, bStride: g.inChannels * g.inPlane, cStride: g.outChannels * g.outPlane)
        for group in 0..<g.groups {
            sgemm(transposeA: false, transposeB: false, m: g.outPerGroup, n: g.outPlane, k: g.patch, a: weight + group * g.outPerGroup * g.patch,
                  lda: g.patch, b: input + group * g.inPerGroup * g.inPlane, ldb: g.inPlane, c: output + group * g.outPerGroup * g.outPlane,
                  ldc: g.outPlane, batch: samples)
        }
    }

    /// `output` (input space) is overwritten. `kept` as in `forward`.
    static func backwardData(_ g: ConvGeometry, gradOutput: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                             algorithm: ConvolutionAlgorithm = .current, kept: KeptTransforms? = nil) {
        if let path = DirectConvolution.Path(g, backwardData: true, algorithm: algorithm) {
            return Profiler.measure(path.rawValue) {
                DirectConvolution.backwardData(g, gradOutput: gradOutput, weight: weight, output: output, winograd: path == .winograd, kept: kept)
            }
        }
        // col2im adds every column back to its pixel; one block covering the image writes every pixel instead.
        let blocks = g.backwardDataBlocks
        let overwriting = blocks.count == 1
        if !overwriting { output.update(repeating: 0, count: g.batch * g.inChannels * g.inPlane) }
        var cols = ScratchBuffer()
        var packed = ScratchBuffer()
        for block in blocks {
            let columns = block.columns(g)
            for group in 0..<g.groups {
                let (gy, ldGy) = outputSpaceSource(g, block, group, gradOutput, scratch: &packed)
                let w = weight + group * g.outPerGroup * g.patch
                if g.isPointwise && g.isDirect(block) {
                    let x = output + (block.sample * g.inChannels + group * g.inPerGroup) * g.inPlane + block.rowStart * g.outWidth
                    sgemm(transposeA: true, transposeB: false, m: g.patch, n: columns, k: g.outPerGroup,
                          a: w, lda: g.patch, b: gy, ldb: ldGy, beta: overwriting ? 0 : 1, c: x, ldc: g.inPlane)
                    continue
                }
                // The product in bands of input channels, each added back while it is still in cache: 512 channels
                // into 17² at batch 4 (`bench kernels`, up 512->512 @16x16) wrote 4.7 MB of columns in one product.
                let band = col2imBandChannels(g, columns: columns), layout = g.backwardDataColumnLayout(columns: columns)
                let dcols = cols.reserve(band * g.kernelArea * columns)
                for first in Swift.stride(from: 0, to: g.inPerGroup, by: band) {
                    let channels = first..<min(g.inPerGroup, first + band), rows = channels.count * g.kernelArea
                    switch layout {
                    case .channelMajor:
                        sgemm(transposeA: true, transposeB: false, m: rows, n: columns, k: g.outPerGroup,
                              a: w + first * g.kernelArea, lda: g.patch, b: gy, ldb: ldGy, c: dcols, ldc: columns)
                    case .pixelMajor:
                        sgemm(transposeA: true, transposeB: false, m: columns, n: rows, k: g.outPerGroup,
                              a: gy, lda: ldGy, b: w + first * g.kernelArea, ldb: g.patch, c: dcols, ldc: rows)
                    }
                    Profiler.measure("col2im") {
                        col2im(g, block, group, channels: channels, columns: dcols, layout: layout, into: output, overwriting: overwriting)
                    }
                }
            }
        }
    }

    /// `output` (weight shaped) is overwritten.
    static func weightGrad(_ g: ConvGeometry, input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                           algorithm: ConvolutionAlgorithm = .current) {
        if let path = DirectConvolution.Path(weightGradient: g, algorithm: algorithm) {
            return Profiler.measure(path.rawValue) {
                DirectConvolution.weightGradient(g, input: input, gradOutput: gradOutput, output: output, winograd: path == .winograd)
            }
        }
        var cols = ScratchBuffer()
        var packed = ScratchBuffer()
        // The first block's products overwrite the gradient and the others add onto it (zeroing it first took 0.4 ms of
        // 6.8 for 512 channels at 8², batch 4, one block). Without columns (an empty batch or image) no product writes it.
        let blocks = g.blocks
        if blocks.isEmpty || blocks[0].columns(g) == 0 { output.update(repeating: 0, count: g.outChannels * g.patch) }
        for (index, block) in blocks.enumerated() {
            let columns = block.columns(g)
            for group in 0..<g.groups {
                let source = columnsSource(g, block, group, input: input, scratch: &cols)
                let (gy, ldGy) = outputSpaceSource(g, block, group, gradOutput, scratch: &packed)
                sgemm(transposeA: false, transposeB: true, m: g.outPerGroup, n: g.patch, k: columns,
                      a: gy, lda: ldGy, b: source.pointer, ldb: source.leading, beta: index == 0 ? 0 : 1,
                      c: output + group * g.outPerGroup * g.patch, ldc: g.patch)
            }
        }
    }

    // MARK: - Column sources

    private struct Columns {
        let pointer: UnsafePointer<Float>
        let leading: Int
    }

    /// The im2col matrix [patch, columns] of a block: the input itself for pointwise convs of one sample.
    private static func columnsSource(_ g: ConvGeometry, _ block: ConvGeometry.Block, _ group: Int,
                                      input: UnsafePointer<Float>, scratch: inout ScratchBuffer) -> Columns {
        if g.isPointwise && g.isDirect(block) {
            let x = input + (block.sample * g.inChannels + group * g.inPerGroup) * g.inPlane + block.rowStart * g.outWidth
            return Columns(pointer: x, leading: g.inPlane)
        }
        let columns = block.columns(g)
        let cols = scratch.reserve(g.patch * columns)
        Profiler.measure("im2col") { im2col(g, block, group, input: input, into: cols) }
        return Columns(pointer: cols, leading: columns)
    }

    /// The output-space matrix [outPerGroup, columns] of a block, packed when the block spans samples.
    private static func outputSpaceSource(_ g: ConvGeometry, _ block: ConvGeometry.Block, _ group: Int,
                                          _ data: UnsafePointer<Float>, scratch: inout ScratchBuffer) -> (UnsafePointer<Float>, Int) {
        if g.isDirect(block) {
            return (data + (block.sample * g.outChannels + group * g.outPerGroup) * g.outPlane + block.rowStart * g.outWidth, g.outPlane)
        }
        let columns = block.columns(g)
        let packed = scratch.reserve(g.outPerGroup * columns)
        for s in 0..<block.samples {
            for o in 0..<g.outPerGroup {
                let source = data + ((block.sample + s) * g.outChannels + group * g.outPerGroup + o) * g.outPlane
                (packed + o * columns + s * g.outPlane).update(from: source, count: g.outPlane)
            }
        }
        return (UnsafePointer(packed), columns)
    }

    private static func unpackOutputSpace(_ g: ConvGeometry, _ block: ConvGeometry.Block, _ group: Int,
                                          from packed: UnsafePointer<Float>, to output: UnsafeMutablePointer<Float>) {
        let columns = block.columns(g)
        for s in 0..<block.samples {
            for o in 0..<g.outPerGroup {
                let target = output + ((block.sample + s) * g.outChannels + group * g.outPerGroup + o) * g.outPlane
                target.update(from: packed + o * columns + s * g.outPlane, count: g.outPlane)
            }
        }
    }
}

/// A reusable scratch allocation that grows as needed and is freed with its owner.
struct ScratchBuffer {
    private var storage: TensorStorage?

    mutating func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if let storage, storage.count >= count { return storage.pointer }
        let fresh = TensorStorage(count: count)
        storage = fresh
        return fresh.pointer
    }
}
