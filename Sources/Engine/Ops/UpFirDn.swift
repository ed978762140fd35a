import CKernels

/// A finite-impulse-response filter for `upfirdn2d`: a 2-D kernel, or a 1-D kernel applied along
/// both axes (separable, as NVIDIA's setup_filter makes for long filters).
public struct FIRFilter: Equatable, Sendable {
    public let taps: [Float]
    public let height: Int
    public let width: Int
    public let isSeparable: Bool

    public init(separable taps: [Float]) {
        self.taps = taps
        height = taps.count
        width = taps.count
        isSeparable = true
    }

    public init(taps: [Float], height: Int, width: Int) throws {
        guard height > 0, width > 0, taps.count == height * width else {
            throw EngineError("FIRFilter", "needs \(height)×\(width) taps, got \(taps.count)")
        }
        self.taps = taps
        self.height = height
        self.width = width
        isSeparable = false
    }

    /// outer(k, k) / sum(outer(k, k)) as a separable filter: the normalised 1-D taps k / sum(k).
    public static func normalizedSeparable(_ kernel: [Float]) -> FIRFilter {
        let total = kernel.reduce(0, +)
        return FIRFilter(separable: kernel.map { $0 / total })
    }
}

/// Padding of `upfirdn2d` in NVIDIA's order; negative values crop.
public struct FIRPadding: Equatable, Sendable {
    public var left: Int, right: Int, top: Int, bottom: Int
    public init(left: Int, right: Int, top: Int, bottom: Int) {
        self.left = left; self.right = right; self.top = top; self.bottom = bottom
    }
    public init(all p: Int) { self.init(left: p, right: p, top: p, bottom: p) }
}

/// For one axis: which filter tap and source index contribute to each output index.
/// Upsampling inserts zeros, so only every `up`-th tap meets a real sample; listing the pairs skips the rest.
private struct PolyphaseAxis {
    var starts: [Int] = []
    var taps: [Int32] = []
    var sources: [Int32] = []

    init(inSize: Int, outSize: Int, up: Int, down: Int, padBefore: Int, filterSize: Int) {
        for o in 0..<outSize {
            starts.append(taps.count)
            for t in 0..<filterSize {
                let position = o * down + t - padBefore
                guard position >= 0, position % up == 0 else { continue }
                let source = position / up
                guard source < inSize else { continue }
                taps.append(Int32(t))
                sources.append(Int32(source))
            }
        }
        starts.append(taps.count)
    }

    /// Output `o`'s taps of `line` onto zero, in ascending tap order, each product and sum rounded apart.
    @inline(__always)
    func sum(_ o: Int, taps f: UnsafeBufferPointer<Float>, line: UnsafePointer<Float>) -> Float {
        var total: Float = 0
        for k in starts[o]..<starts[o + 1] { total += f[Int(taps[k])] * line[Int(sources[k])] }
        return total
    }
}

/// For one axis of `upfirdn2d` at up > 1 and down = 1, the contributions grouped by filter tap: for tap t, the output
/// positions outStart + i·up of the one phase it meets take source positions sourceStart + i (i < count). Nil when down
/// is above 1 (no short run structure; the per-pixel lists handle it). At up = 1 `firSeparable` sums each output's taps
/// by `fir_row` instead.
struct FIRSegments {
    private var table: [Int] = []

    init?(inSize: Int, outSize: Int, up: Int, down: Int, padBefore: Int, taps: Int) {
        guard down == 1 else { return nil }
        for t in 0..<taps {
            for phase in 0..<up {
                // Output o = phase + up·j reads the zero-stuffed position u = o + t − pad, real when u ≡ 0 (mod up).
                let offset = phase + t - padBefore
                guard ((offset % up) + up) % up == 0 else { continue }
                let base = offset / up
                let jFirst = max(0, -base), jLast = min(inSize - 1 - base, (outSize - 1 - phase) / up)
                guard jLast >= jFirst else { continue }
                table += [t, phase + up * jFirst, up, jLast - jFirst + 1, base + jFirst, 1]
            }
        }
    }

    @inline(__always)
    func forEach(_ body: (_ tap: Int, _ outStart: Int, _ outStride: Int, _ count: Int, _ sourceStart: Int, _ sourceStride: Int) -> Void) {
        table.withUnsafeBufferPointer { t in
            var i = 0
            while i < t.count {
                body(t[i], t[i + 1], t[i + 2], t[i + 3], t[i + 4], t[i + 5])
                i += 6
            }
        }
    }
}

extension Tensor {
    /// NVIDIA's upfirdn2d on [N, C, H, W]: zero-insert upsampling by `up`, pad (negative crops), FIR
    /// filter (a true convolution unless `flip`, which makes it a correlation), keep every `down`-th pixel.
    /// The filter is scaled by `gain` (2-D) or √gain per pass (separable), as the reference does.
    public static func upfirdn2d(_ x: Tensor, filter: FIRFilter, up: Int = 1, down: Int = 1,
                                 padding: FIRPadding = FIRPadding(all: 0), gain: Float = 1, flip: Bool = false) throws -> Tensor {
        guard x.rank == 4 else { throw EngineError("upfirdn2d", "needs a 4-D input [N, C, H, W], got shape \(x.shape)") }
        guard up >= 1, down >= 1 else { throw EngineError("upfirdn2d", "up (\(up)) and down (\(down)) must be ≥ 1") }
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let outH = (h * up + padding.top + padding.bottom - filter.height + down) / down
        let outW = (w * up + padding.left + padding.right - filter.width + down) / down
        guard outH > 0, outW > 0, h * up + padding.top + padding.bottom >= filter.height, w * up + padding.left + padding.right >= filter.width else {
            throw EngineError("upfirdn2d", "padding \(padding) and filter \(filter.height)×\(filter.width) leave no output for input \(x.shape)")
        }
        let output = Tensor(uninitializedShape: [n, c, outH, outW])
        // Correlation taps: the reference flips the kernel unless asked not to.
        let rows = PolyphaseAxis(inSize: h, outSize: outH, up: up, down: down, padBefore: padding.top, filterSize: filter.height)
        let columns = PolyphaseAxis(inSize: w, outSize: outW, up: up, down: down, padBefore: padding.left, filterSize: filter.width)
        Profiler.measure("upfirdn2d") {
        if filter.isSeparable {
            let scale = gain.squareRoot()
            let taps = (flip ? filter.taps : filter.taps.reversed()).map { $0 * scale }
            firSeparable(x.pointer, output.pointer, planes: n * c, inSize: (h, w), outSize: (outH, outW), rows: rows, columns: columns,
                         taps: taps, up: up, down: down, padding: padding)
        } else {
            var taps = filter.taps.map { $0 * gain }
            if !flip { taps.reverse() }
            fir2d(x.pointer, output.pointer, planes: n * c, inSize: (h, w), outSize: (outH, outW), rows: rows, columns: columns, taps: taps, filterWidth: filter.width)
        }
        }
        return record("upfirdn2d", output: output, inputs: [x]) { g, _, _ in
            let adjointPadding = FIRPadding(
                left: filter.width - padding.left - 1, right: w * up - outW * down + padding.left - up + 1,
                top: filter.height - padding.top - 1, bottom: h * up - outH * down + padding.top - up + 1)
            return [try upfirdn2d(g, filter: filter, up: down, down: up, padding: adjointPadding, gain: gain, flip: !flip)]
        }
    }

    private static func fir2d(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, planes: Int, inSize: (Int, Int), outSize: (Int, Int),
                              rows: PolyphaseAxis, columns: PolyphaseAxis, taps: [Float], filterWidth: Int) {
        taps.withUnsafeBufferPointer { f in
            parallelChunks(planes) { range in
                for plane in range {
                    let source = x + plane * inSize.0 * inSize.1
                    let target = y + plane * outSize.0 * outSize.1
                    for oy in 0..<outSize.0 {
                        for ox in 0..<outSize.1 {
                            var total: Float = 0
                            for r in rows.starts[oy]..<rows.starts[oy + 1] {
                                let line = source + Int(rows.sources[r]) * inSize.1
                                let filterRow = Int(rows.taps[r]) * filterWidth
                                for k in columns.starts[ox]..<columns.starts[ox + 1] {
                                    total += f[filterRow + Int(columns.taps[k])] * line[Int(columns.sources[k])]
                                }
                            }
                            target[oy * outSize.1 + ox] = total
                        }
                    }
                }
            }
        }
    }

    /// Horizontal pass into a per-plane scratch row block, then the vertical pass (`verticalPass`). At up = 1 the
    /// horizontal pass sums the outputs every tap reaches in the C kernel `fir_row` (each output's sum in a register
    /// over its taps, stored once) and the few at the edges from their tap lists; at up > 1 it walks the filter taps in
    /// the outer loop and contiguous runs of pixels in the inner one (`FIRSegments`), each run one call of the C kernel
    /// `fir_add_tap`, or, for the rare up > 1 with down > 1, the tap lists. Every way adds an output's taps onto zero
    /// in ascending order, each product and sum rounded apart, so all give the same bits (docs/engine-kernels.md "The
    /// FIR filter").
    private static func firSeparable(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, planes: Int, inSize: (Int, Int), outSize: (Int, Int),
                                     rows: PolyphaseAxis, columns: PolyphaseAxis, taps: [Float], up: Int, down: Int, padding: FIRPadding) {
        let reachedByEveryTap = up == 1 ? outputsReachedByEveryTap(inSize: inSize.1, outSize: outSize.1, down: down, padBefore: padding.left,
                                                                   taps: taps.count) : nil
        let horizontalSegments = up == 1 ? nil : FIRSegments(inSize: inSize.1, outSize: outSize.1, up: up, down: down, padBefore: padding.left,
                                                             taps: taps.count)
        let kernels = KernelInstructionSet.active.kernels
        taps.withUnsafeBufferPointer { f in
            parallelChunks(planes) { range in
                var scratch = ScratchBuffer()
                let horizontal = scratch.reserve(inSize.0 * outSize.1)
                for plane in range {
                    let source = x + plane * inSize.0 * inSize.1
                    let target = y + plane * outSize.0 * outSize.1
                    for iy in 0..<inSize.0 {
                        let line = source + iy * inSize.1, out = horizontal + iy * outSize.1
                        if let interior = reachedByEveryTap {
                            for ox in 0..<interior.lowerBound { out[ox] = columns.sum(ox, taps: f, line: line) }
                            for ox in interior.upperBound..<outSize.1 { out[ox] = columns.sum(ox, taps: f, line: line) }
                            if !interior.isEmpty {
                                kernels.fir_row(f.count, f.baseAddress!, line + (interior.lowerBound * down - padding.left), down, interior.count,
                                                out + interior.lowerBound)
                            }
                        } else if let segments = horizontalSegments {
                            out.update(repeating: 0, count: outSize.1)
                            segments.forEach { tap, outStart, outStride, count, sourceStart, sourceStride in
                                kernels.fir_add_tap(count, f[tap], line + sourceStart, sourceStride, out + outStart, outStride)
                            }
                        } else {
                            for ox in 0..<outSize.1 { out[ox] = columns.sum(ox, taps: f, line: line) }
                        }
                    }
                    verticalPass(horizontal, into: target, rows: rows, taps: f, outHeight: outSize.0, width: outSize.1, kernels: kernels)
                }
            }
        }
    }

    /// The outputs of an axis at up = 1 whose taps all fall inside the input: o·down + t − padBefore in 0..<inSize for
    /// every t < taps.
    private static func outputsReachedByEveryTap(inSize: Int, outSize: Int, down: Int, padBefore: Int, taps: Int) -> Range<Int> {
        func floorDivision(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
        let first = min(outSize, max(0, -floorDivision(-padBefore, down)))
        let last = min(outSize, max(0, floorDivision(inSize - taps + padBefore, down) + 1))
        return first..<max(first, last)
    }

    /// The vertical pass: each output row sums its taps' rows of the horizontal pass, in the order `rows` lists them
    /// (ascending, the order the tap-by-tap pass added them onto a zeroed row, so results are unchanged to the bit), in
    /// the C kernel `fir_sum_rows`, which keeps each output's sum in a register over up to 4 rows (StyleGAN2's [1, 3, 3, 1]
    /// at every up and down), storing each output row once, and adds longer filters row by row. Adding onto the row took
    /// 2 to 5 passes over it (docs/engine-kernels.md "The FIR filter").
    @inline(__always)
    private static func verticalPass(_ horizontal: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, rows: PolyphaseAxis,
                                     taps f: UnsafeBufferPointer<Float>, outHeight: Int, width: Int, kernels: ck_kernel_table) {
        // A row sums at most every tap of the filter once.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, f.count)) { weights in
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: max(1, f.count)) { lines in
                for oy in 0..<outHeight {
                    let first = rows.starts[oy], count = rows.starts[oy + 1] - first
                    precondition(count <= f.count, "an FIR output row lists more taps than the filter has")
                    for k in 0..<count {
                        weights[k] = f[Int(rows.taps[first + k])]
                        lines[k] = horizontal + Int(rows.sources[first + k]) * width
                    }
                    kernels.fir_sum_rows(count, weights.baseAddress!, lines.baseAddress!, width, target + oy * width)
                }
            }
        }
    }
}
