/// im2col and its adjoint col2im: the column matrices ConvKernels' GEMMs read and write.
extension ConvKernels {
    /// cols[(c·kh + i)·kw + j, column] = x[c, oy·s + i − ph, ox·s + j − pw] (zero outside the image).
    static func im2col(_ g: ConvGeometry, _ block: ConvGeometry.Block, _ group: Int,
                       input: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>) {
        let columns = block.columns(g)
        parallelChunks(g.patch, minimumPerThread: max(1, 8192 / max(columns, 1))) { range in
            for row in range {
                let c = row / g.kernelArea
                let i = (row % g.kernelArea) / g.kernelWidth
                let j = row % g.kernelWidth
                let (xStart, xEnd) = validOutputRange(offset: j - g.padWidth, stride: g.stride, inSize: g.inWidth, outSize: g.outWidth)
                for s in 0..<block.samples {
                    let plane = input + ((block.sample + s) * g.inChannels + group * g.inPerGroup + c) * g.inPlane
                    var out = cols + row * columns + s * block.rows * g.outWidth
                    for oy in block.rowStart..<(block.rowStart + block.rows) {
                        let iy = oy * g.stride + i - g.padHeight
                        if iy < 0 || iy >= g.inHeight || xStart >= xEnd {
                            out.update(repeating: 0, count: g.outWidth)
                        } else {
                            let line = plane + iy * g.inWidth + j - g.padWidth
                            for ox in 0..<xStart { out[ox] = 0 }
                            if g.stride == 1 {
                                (out + xStart).update(from: line + xStart, count: xEnd - xStart)
                            } else {
                                for ox in xStart..<xEnd { out[ox] = line[ox * g.stride] }
                            }
                            for ox in xEnd..<g.outWidth { out[ox] = 0 }
                        }
                        out += g.outWidth
                    }
                }
            }
        }
    }

    /// Input channels per band of backwardData's product: bands of 2–5 MB of columns (so col2im reads them from the L2 or
    /// L3 cache the product just wrote them to), no more of them than products about 1024 rows tall, which OpenBLAS
    /// still splits across threads well. At least 1, so a geometry without input channels still steps.
    static func col2imBandChannels(_ g: ConvGeometry, columns: Int) -> Int {
        let bytes = 4 * g.patch * columns
        let bands = max(1, min(bytes / (2 << 20), g.patch / 1024))
        return max(1, (g.inPerGroup + bands - 1) / bands)
    }

    /// The adjoint of im2col: adds every column entry back to its input pixel, for the input channels `channels` of
    /// `group`, whose rows `cols` holds from row 0. Each input row is gathered from every kernel tap that reaches it into
    /// one buffer per stride phase (pixels ≡ p mod stride), where a tap's row is a contiguous run, and added to the
    /// image once. Taps reach each pixel in the order a tap-by-tap scatter adds them, so where one block covers the
    /// image col2im's sums are the scatter's to the bit. Parallel over channels, so no two workers write the same pixel.
    static func col2im(_ g: ConvGeometry, _ block: ConvGeometry.Block, _ group: Int, channels: Range<Int>,
                       columns cols: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        let columns = block.columns(g)
        let phaseWidth = (g.inWidth + g.stride - 1) / g.stride
        let firstRow = max(0, block.rowStart * g.stride - g.padHeight)
        let endRow = min(g.inHeight, (block.rowStart + block.rows - 1) * g.stride - g.padHeight + g.kernelHeight)
        guard firstRow < endRow else { return }
        let taps = (0..<g.kernelWidth).map { GatheredTap(g, column: $0, phaseWidth: phaseWidth) }
        parallelChunks(channels.count * block.samples) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: g.stride * phaseWidth) { phases in
                let phases = phases.baseAddress!
                for task in range {
                    let s = task / channels.count
                    let c = task % channels.count
                    let plane = output + ((block.sample + s) * g.inChannels + group * g.inPerGroup + channels.lowerBound + c) * g.inPlane
                    let sample = cols + c * g.kernelArea * columns + s * block.rows * g.outWidth
                    for iy in firstRow..<endRow {
                        phases.update(repeating: 0, count: g.stride * phaseWidth)
                        // The kernel rows i ≡ iy + padHeight (mod stride) reach input row iy, from output row oy.
                        var i = (iy + g.padHeight) % g.stride
                        while i < g.kernelHeight {
                            let oy = (iy + g.padHeight - i) / g.stride
                            if oy >= block.rowStart && oy < block.rowStart + block.rows {
                                let row = sample + i * g.kernelWidth * columns + (oy - block.rowStart) * g.outWidth
                                for (j, tap) in taps.enumerated() {
                                    let source = row + j * columns + tap.start
                                    let target = phases + tap.firstTarget
                                    for x in 0..<tap.count { target[x] += source[x] }
                                }
                            }
                            i += g.stride
                        }
                        let line = plane + iy * g.inWidth
                        if g.stride == 1 {
                            for x in 0..<g.inWidth { line[x] += phases[x] }
                        } else {
                            for phase in 0..<min(g.stride, g.inWidth) {
                                let gathered = phases + phase * phaseWidth
                                for m in 0..<((g.inWidth - phase + g.stride - 1) / g.stride) { line[m * g.stride + phase] += gathered[m] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Where kernel column j's entries land in col2im's phase buffers: the `count` output columns from `start` reach input
    /// pixels ox·stride + j − padWidth, which lie one after another in one phase's buffer from entry `firstTarget` on
    /// (the buffers laid phase after phase).
    private struct GatheredTap {
        let start: Int, count: Int, firstTarget: Int

        init(_ g: ConvGeometry, column j: Int, phaseWidth: Int) {
            let offset = j - g.padWidth
            let (start, end) = validOutputRange(offset: offset, stride: g.stride, inSize: g.inWidth, outSize: g.outWidth)
            let phase = ((offset % g.stride) + g.stride) % g.stride
            self.start = start
            count = end - start
            firstTarget = count == 0 ? 0 : phase * phaseWidth + (start * g.stride + offset - phase) / g.stride
        }
    }

    /// Output columns ox with 0 ≤ ox·stride + offset < inSize.
    @inline(__always)
    private static func validOutputRange(offset: Int, stride: Int, inSize: Int, outSize: Int) -> (Int, Int) {
        let start = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let limit = inSize - offset
        let end = limit <= 0 ? 0 : min(outSize, (limit + stride - 1) / stride)
        return (min(start, outSize), max(min(start, outSize), end))
    }
}
