/// im2col and its adjoint col2im: the column matrices ConvKernels' GEMMs read and write.
extension ConvGeometry {
    /// Stride 1 on a plane as wide as the output: a tap's columns are the plane shifted by (i − ph, j − pw), which im2col
    /// copies and col2im adds as one run (`copyShiftedPlane`, `sumShiftedTaps`) instead of row by row, unless the plane
    /// is 8 wide with a 3×3 kernel (`isThreeByThreeOnEightWidePlanes`).
    var tapsAreShiftedPlanes: Bool { stride == 1 && inWidth == outWidth }
    /// A 3×3 kernel with padding 1 at stride 1 on planes one 8-lane vector wide: the 8² layers, whose im2col and col2im
    /// move each row as one vector (`copyEightWidePlane`, `sumEightWideRows`).
    var isThreeByThreeOnEightWidePlanes: Bool {
        tapsAreShiftedPlanes && kernelHeight == 3 && kernelWidth == 3 && padHeight == 1 && padWidth == 1 && inWidth == Vector8.lanes
    }
    /// A 3×3 kernel at stride 2 without padding on an image 2·W + 1 wide for W output columns: the generator's up-sampling
    /// and the discriminator's down-sampling, whose col2im sums its rows from straight lines (the C kernel
    /// `col2im_stride_two_rows`).
    var isUnpaddedThreeByThreeStrideTwo: Bool {
        stride == 2 && kernelHeight == 3 && kernelWidth == 3 && padHeight == 0 && padWidth == 0 && outWidth > 0 && inWidth == 2 * outWidth + 1
    }
    /// Whether col2im can read pixel-major columns: the up-sampling from 8-wide inputs (into 17²).
    var readsPixelMajorColumns: Bool { isUnpaddedThreeByThreeStrideTwo && outWidth == Vector8.lanes }
    /// How backwardData's product lays out a block of `columns` columns: pixel-major where col2im reads it and the block
    /// is at most 256 columns wide (4 samples into 17²), where the product Wᵀ·gy is narrow beside its 9 rows per input
    /// channel, channel-major otherwise (docs/engine-kernels.md "Pixel-major columns"). Per block: the last block of a
    /// large batch can take the other layout than the ones before it.
    func backwardDataColumnLayout(columns: Int) -> ColumnLayout {
        readsPixelMajorColumns && columns <= Self.pixelMajorColumnLimit ? .pixelMajor : .channelMajor
    }
    /// The widest block that backward data computes pixel-major.
    static let pixelMajorColumnLimit = 256
}

/// The order of a band's column matrix, which backwardData's product writes and col2im reads.
enum ColumnLayout {
    /// Row (c·kh + i)·kw + j holds tap (i, j) of channel c at every column (pixel of the block): im2col's order, from the
    /// product Wᵀ·gy.
    case channelMajor
    /// Row `column` holds every tap of the band's channels at that pixel: the transposed order, from the product gyᵀ·W.
    case pixelMajor
}

extension ConvKernels {
    /// cols[(c·kh + i)·kw + j, column] = x[c, oy·s + i − ph, ox·s + j − pw] (zero outside the image).
    static func im2col(_ g: ConvGeometry, _ block: ConvGeometry.Block, _ group: Int,
                       input: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>) {
        let columns = block.columns(g), shifted = g.tapsAreShiftedPlanes, eightWide = g.isThreeByThreeOnEightWidePlanes
        parallelChunks(g.patch, minimumPerThread: max(1, 8192 / max(columns, 1))) { range in
            for row in range {
                let c = row / g.kernelArea
                let i = (row % g.kernelArea) / g.kernelWidth
                let j = row % g.kernelWidth
                for s in 0..<block.samples {
                    let plane = input + ((block.sample + s) * g.inChannels + group * g.inPerGroup + c) * g.inPlane
                    let out = cols + row * columns + s * block.rows * g.outWidth
                    if eightWide {
                        copyEightWidePlane(g, block, tap: (i, j), plane: plane, into: out)
                    } else if shifted {
                        copyShiftedPlane(g, block, tap: (i, j), plane: plane, into: out)
                    } else {
                        copyTapRows(g, block, tap: (i, j), plane: plane, into: out)
                    }
                }
            }
        }
    }

    /// One tap's columns of one sample, output row by output row.
    @inline(__always)
    private static func copyTapRows(_ g: ConvGeometry, _ block: ConvGeometry.Block, tap: (i: Int, j: Int), plane: UnsafePointer<Float>,
                                    into out: UnsafeMutablePointer<Float>) {
        let (xStart, xEnd) = validOutputRange(offset: tap.j - g.padWidth, stride: g.stride, inSize: g.inWidth, outSize: g.outWidth)
        var out = out
        for oy in block.rowStart..<(block.rowStart + block.rows) {
            let iy = oy * g.stride + tap.i - g.padHeight
            if iy < 0 || iy >= g.inHeight || xStart >= xEnd {
                out.update(repeating: 0, count: g.outWidth)
            } else {
                let line = plane + iy * g.inWidth + tap.j - g.padWidth
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

    /// The block's output rows oy whose input row oy + dy lies in the image (stride 1): where a tap shifted by dy rows reads.
    @inline(__always)
    private static func shiftedRows(_ g: ConvGeometry, _ block: ConvGeometry.Block, dy: Int) -> Range<Int> {
        let blockEnd = block.rowStart + block.rows
        let first = min(max(block.rowStart, -dy), blockEnd)
        return first..<max(first, min(blockEnd, g.inHeight - dy))
    }

    /// One tap's columns of one sample at stride 1 on a plane as wide as the output: the block's rows are the plane shifted
    /// by (i − ph) rows and (j − pw) columns, so the rows that exist copy as one run, and the columns the shift carried
    /// over from the neighbouring row are zeroed after. Row by row, 512 channels at 8² (batch 4) made 147,456 copies of 8
    /// floats (docs/engine-kernels.md "im2col on small planes").
    @inline(__always)
    private static func copyShiftedPlane(_ g: ConvGeometry, _ block: ConvGeometry.Block, tap: (i: Int, j: Int), plane: UnsafePointer<Float>,
                                         into out: UnsafeMutablePointer<Float>) {
        let width = g.outWidth, dy = tap.i - g.padHeight, dx = tap.j - g.padWidth
        let rows = shiftedRows(g, block, dy: dy)
        let above = (rows.lowerBound - block.rowStart) * width, count = rows.count * width
        out.update(repeating: 0, count: above)
        (out + above + count).update(repeating: 0, count: block.rows * width - above - count)
        let target = out + above
        guard count > 0, abs(dx) < width else { return target.update(repeating: 0, count: count) }
        // Entry k of the run reads source[k]: with dx > 0 the run's last dx entries would read past the plane's last row,
        // with dx < 0 its first −dx before the run's first row, so those are left out (and zeroed with the other edges).
        let source = plane + (rows.lowerBound + dy) * width + dx
        let skipped = max(0, -dx), cut = max(0, dx)
        (target + skipped).update(from: source + skipped, count: count - skipped - cut)
        for row in Swift.stride(from: 0, to: count, by: width) {
            let edge = target + row + (dx > 0 ? width - dx : 0)
            for x in 0..<abs(dx) { edge[x] = 0 }
        }
    }

    /// One tap's columns of one sample for `isThreeByThreeOnEightWidePlanes`: output row oy is input row oy + i − 1 as one
    /// vector, moved one pixel right for kernel column 0 and left for column 2 (zero in the lane they vacate), or zeros
    /// above and below the plane. `copyShiftedPlane` copied a run and zeroed its edges pixel by pixel.
    @inline(__always)
    private static func copyEightWidePlane(_ g: ConvGeometry, _ block: ConvGeometry.Block, tap: (i: Int, j: Int), plane: UnsafePointer<Float>,
                                           into out: UnsafeMutablePointer<Float>) {
        let width = Vector8.lanes
        for row in 0..<block.rows {
            let iy = block.rowStart + row + tap.i - 1
            var line = SIMD8<Float>(repeating: 0)
            if iy >= 0 && iy < g.inHeight {
                let pixels = Vector8.load(plane + iy * width)
                line = tap.j == 0 ? Vector8.movedRight(pixels) : tap.j == 1 ? pixels : Vector8.movedLeft(pixels)
            }
            Vector8.store(line, out + row * width)
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
    /// `group`, whose rows `cols` holds from row 0. Each input pixel's taps are summed apart from the image, in the order a
    /// tap-by-tap scatter adds them, and the sum added to the image once: where one block covers the image, col2im's sums
    /// are the scatter's to the bit. `overwriting`: the block covers the whole image, so the sums are written instead of
    /// added and the rows no tap reaches are zeroed; the image need not be zeroed first (for 512 channels into 33² at
    /// batch 4, that zeroing took 1.3 ms of 34.6). Parallel over channels, so no two workers write the same pixel.
    /// `layout` `.pixelMajor` (where `readsPixelMajorColumns` only): each task first transposes its channel's
    /// taps of one sample into channel-major rows (`gatherTaps`), then sums them as it sums channel-major columns.
    static func col2im(_ g: ConvGeometry, _ block: ConvGeometry.Block, _ group: Int, channels: Range<Int>,
                       columns cols: UnsafePointer<Float>, layout: ColumnLayout = .channelMajor, into output: UnsafeMutablePointer<Float>,
                       overwriting: Bool = false) {
        precondition(!overwriting || (block.rowStart == 0 && block.rows == g.outHeight && block.samples == g.batch),
                     "col2im overwrites only with the one block that covers the image")
        precondition(layout == .channelMajor || g.readsPixelMajorColumns, "col2im reads pixel-major columns into 17² only")
        let columns = block.columns(g), samplePixels = block.rows * g.outWidth, bandRows = channels.count * g.kernelArea
        let firstRow = min(g.inHeight, max(0, block.rowStart * g.stride - g.padHeight))
        let endRow = max(firstRow, min(g.inHeight, (block.rowStart + block.rows - 1) * g.stride - g.padHeight + g.kernelHeight))
        let rows = firstRow..<endRow, rowFloats = rows.count * g.inWidth
        let path = Col2imPath(g, block), kernels = KernelInstructionSet.active.kernels
        // None for 8-wide planes, the taps of pixel-major columns gathered channel-major at stride 2 (none otherwise),
        // the shifted taps' sums of the rows and the edges they set aside, or the gathered rows' phase buffers.
        let scratchFloats = switch path {
        case .eightWide: 0
        case .strideTwo: layout == .pixelMajor ? g.kernelArea * samplePixels : 0
        case .shifted: rowFloats + g.inHeight * g.kernelWidth
        case .gathered(let gather): gather.scratch
        }
        parallelChunks(channels.count * block.samples) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, scratchFloats)) { scratch in
                for task in range {
                    let s = task / channels.count
                    let c = task % channels.count
                    let plane = output + ((block.sample + s) * g.inChannels + group * g.inPerGroup + channels.lowerBound + c) * g.inPlane
                    let sample = layout == .channelMajor ? cols + c * g.kernelArea * columns + s * samplePixels
                                                         : cols + s * samplePixels * bandRows + c * g.kernelArea
                    if overwriting {
                        plane.update(repeating: 0, count: firstRow * g.inWidth)
                        (plane + endRow * g.inWidth).update(repeating: 0, count: (g.inHeight - endRow) * g.inWidth)
                    }
                    switch path {
                    case .eightWide:
                        sumEightWideRows(g, block, sample, columns: columns, rows: rows, into: plane, overwriting: overwriting)
                    case .strideTwo where layout == .pixelMajor:
                        gatherTaps(sample, pixelStride: bandRows, pixels: samplePixels, into: scratch.baseAddress!)
                        kernels.col2im_stride_two_rows(g.outWidth, samplePixels, scratch.baseAddress!, block.rowStart, block.rowStart + block.rows,
                                                       rows.lowerBound, rows.upperBound, plane, overwriting)
                    case .strideTwo:
                        kernels.col2im_stride_two_rows(g.outWidth, columns, sample, block.rowStart, block.rowStart + block.rows,
                                                       rows.lowerBound, rows.upperBound, plane, overwriting)
                    case .gathered(let gather):
                        gather.add(sample, columns: columns, rows: rows, into: plane, phases: scratch.baseAddress!, overwriting: overwriting)
                    case .shifted:
                        let sums = scratch.baseAddress!, image = plane + firstRow * g.inWidth
                        sumShiftedTaps(g, block, sample, columns: columns, rows: rows, into: sums, kept: sums + rowFloats)
                        if overwriting { image.update(from: sums, count: rowFloats) } else { for x in 0..<rowFloats { image[x] += sums[x] } }
                    }
                }
            }
        }
    }

    /// How col2im sums a channel's rows, from the geometry alone; the first property that holds chooses.
    private enum Col2imPath {
        case eightWide, strideTwo, shifted, gathered(GatheredRows)

        init(_ g: ConvGeometry, _ block: ConvGeometry.Block) {
            self = g.isThreeByThreeOnEightWidePlanes ? .eightWide : g.isUnpaddedThreeByThreeStrideTwo ? .strideTwo
                : g.tapsAreShiftedPlanes ? .shifted : .gathered(GatheredRows(g, block))
        }
    }

    /// col2im at stride 1 on a plane as wide as the output, one channel of one sample: the input rows `rows`' sums, each tap
    /// added as one run over its rows (the plane shifted by (i − ph, j − pw), as `copyShiftedPlane` reads it). The entries
    /// a run carries past a row's end would land on the neighbouring row's edge, whose sums are set aside in `kept` and put
    /// back. Row by row, 512 channels at 8² (batch 4) took 9 runs of 8 floats or fewer per input row
    /// (docs/engine-kernels.md "im2col on small planes").
    @inline(__always)
    private static func sumShiftedTaps(_ g: ConvGeometry, _ block: ConvGeometry.Block, _ sample: UnsafePointer<Float>, columns: Int,
                                       rows: Range<Int>, into sums: UnsafeMutablePointer<Float>, kept: UnsafeMutablePointer<Float>) {
        let width = g.inWidth
        sums.update(repeating: 0, count: rows.count * width)
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
                let dy = i - g.padHeight, dx = j - g.padWidth
                let taken = shiftedRows(g, block, dy: dy), first = taken.lowerBound, end = taken.upperBound
                guard first < end, abs(dx) < width else { continue }
                let source = sample + (i * g.kernelWidth + j) * columns + (first - block.rowStart) * width
                let runStart = sums + (first + dy - rows.lowerBound) * width, target = runStart + dx
                let count = (end - first) * width, skipped = max(0, -dx), cut = max(0, dx)
                // The neighbouring rows' edges: with dx > 0 the first dx pixels of the run's rows after its first, with
                // dx < 0 the last −dx pixels of its rows before its last.
                let edge = abs(dx), edgeRows = dx > 0 ? 1..<(end - first) : 0..<(end - first - 1), edgeOffset = dx > 0 ? 0 : width + dx
                if edge > 0 { for (n, r) in edgeRows.enumerated() { for x in 0..<edge { kept[n * edge + x] = runStart[r * width + edgeOffset + x] } } }
                for x in skipped..<(count - cut) { target[x] += source[x] }
                if edge > 0 { for (n, r) in edgeRows.enumerated() { for x in 0..<edge { runStart[r * width + edgeOffset + x] = kept[n * edge + x] } } }
            }
        }
    }

    /// col2im for `isThreeByThreeOnEightWidePlanes`, one channel of one sample: input row iy takes kernel row i from output
    /// row iy + 1 − i, and pixel ix kernel column j from output column ix + 1 − j, so each kernel row adds its three taps'
    /// rows as whole vectors, the first moved one pixel left and the last one right (zero in the lane they vacate). The
    /// sums run in `sumShiftedTaps`' order onto zero, and a zero added changes no sum (none is −0), so they are its sums
    /// to the bit. The shifted runs spent most of their time on 9 runs of 64 floats per channel and the edges they set
    /// aside (docs/engine-kernels.md "im2col on small planes").
    @inline(__always)
    private static func sumEightWideRows(_ g: ConvGeometry, _ block: ConvGeometry.Block, _ sample: UnsafePointer<Float>, columns: Int,
                                         rows: Range<Int>, into plane: UnsafeMutablePointer<Float>, overwriting: Bool) {
        let width = Vector8.lanes, blockEnd = block.rowStart + block.rows
        for iy in rows {
            var sum = SIMD8<Float>(repeating: 0)
            for i in 0..<3 {
                let oy = iy + 1 - i
                guard oy >= block.rowStart && oy < blockEnd else { continue }
                let row = sample + 3 * i * columns + (oy - block.rowStart) * width
                sum += Vector8.movedLeft(Vector8.load(row))
                sum += Vector8.load(row + columns)
                sum += Vector8.movedRight(Vector8.load(row + 2 * columns))
            }
            let image = plane + iy * width
            Vector8.store(overwriting ? sum : Vector8.load(image) + sum, image)
        }
    }

    /// One channel's 3×3 taps of one sample from pixel-major columns (pixel p's nine at `source` + p·`pixelStride`) into
    /// channel-major rows (tap t's pixels at `taps` + t·`pixels`), eight pixels at a time: taps 0–7 as one vector per
    /// pixel, transposed, and tap 8 lane by lane. `pixels` is a multiple of 8.
    @inline(__always)
    private static func gatherTaps(_ source: UnsafePointer<Float>, pixelStride: Int, pixels: Int, into taps: UnsafeMutablePointer<Float>) {
        for first in Swift.stride(from: 0, to: pixels, by: Vector8.lanes) {
            let p = source + first * pixelStride, s = pixelStride
            Vector8.transpose(p, sourceStride: s, into: taps + first, targetStride: pixels)
            Vector8.store(SIMD8(p[8], p[s + 8], p[2 * s + 8], p[3 * s + 8], p[4 * s + 8], p[5 * s + 8], p[6 * s + 8], p[7 * s + 8]),
                          taps + 8 * pixels + first)
        }
    }

    /// col2im row by row, for any stride: each input row gathered from every kernel tap that reaches it into one buffer
    /// per stride phase (pixels ≡ p mod stride), where a tap's row is a contiguous run, and added to the image once.
    private struct GatheredRows {
        let g: ConvGeometry, block: ConvGeometry.Block
        let phaseWidth: Int
        let taps: [GatheredTap]
        /// The phase buffers' floats.
        var scratch: Int { g.stride * phaseWidth }

        init(_ g: ConvGeometry, _ block: ConvGeometry.Block) {
            self.g = g
            self.block = block
            phaseWidth = (g.inWidth + g.stride - 1) / g.stride
            taps = (0..<g.kernelWidth).map { [phaseWidth] in GatheredTap(g, column: $0, phaseWidth: phaseWidth) }
        }

        /// One channel of one sample: `sample` its columns, `plane` its image.
        func add(_ sample: UnsafePointer<Float>, columns: Int, rows: Range<Int>, into plane: UnsafeMutablePointer<Float>,
                 phases: UnsafeMutablePointer<Float>, overwriting: Bool) {
            for iy in rows {
                phases.update(repeating: 0, count: scratch)
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
                if g.stride == 2 {
                    interleavePairs(into: line, width: g.inWidth, overwriting: overwriting, even: phases, odd: phases + phaseWidth)
                    continue
                }
                for phase in 0..<min(g.stride, g.inWidth) {
                    let gathered = phases + phase * phaseWidth
                    let pixels = (g.inWidth - phase + g.stride - 1) / g.stride
                    if overwriting {
                        for m in 0..<pixels { line[m * g.stride + phase] = gathered[m] }
                    } else {
                        for m in 0..<pixels { line[m * g.stride + phase] += gathered[m] }
                    }
                }
            }
        }
    }

    /// Stride 2's two phases into an image row `width` pixels long in one pass, pixel after pixel: phase by phase, two
    /// passes of strided stores took 1.13–1.17× as long for 512 channels into 17² and 33² (docs/engine-kernels.md
    /// "im2col on small planes").
    @inline(__always)
    private static func interleavePairs(into line: UnsafeMutablePointer<Float>, width: Int, overwriting: Bool,
                                        even: UnsafePointer<Float>, odd: UnsafePointer<Float>) {
        let pairs = width / 2, last = width % 2 == 1
        if overwriting {
            for m in 0..<pairs { line[2 * m] = even[m]; line[2 * m + 1] = odd[m] }
            if last { line[2 * pairs] = even[pairs] }
        } else {
            for m in 0..<pairs { line[2 * m] += even[m]; line[2 * m + 1] += odd[m] }
            if last { line[2 * pairs] += even[pairs] }
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
