/// 2-D max and average pooling with torch's semantics (F.max_pool2d, F.avg_pool2d; ceil_mode=False,
/// dilation 1), for the Inception network of the FID metric; vectorised as docs/engine-kernels.md "Pooling" says.
///
/// Gradients: both are linear in the routed values once the window choice is fixed, so each backward
/// is a recorded "adjoint" op (scatter) whose own backward is the forward routing again (gather).
/// Gradients of any order therefore work; for max pooling the argmax positions are held fixed, as
/// torch does.
public struct PoolOptions: Equatable, Sendable {
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    /// Average pooling only: whether padded positions count in the divisor (torch's count_include_pad).
    public var countIncludePad: Bool

    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.countIncludePad = countIncludePad
    }
}

/// Output size and window bounds of one pooling geometry; shared by the forward ops and their adjoints.
struct PoolGeometry {
    let planes: Int, height: Int, width: Int
    let outHeight: Int, outWidth: Int
    let options: PoolOptions

    init(op: String, shape: [Int], options o: PoolOptions) throws {
        guard shape.count == 4 else { throw EngineError.shapes(op, "needs a 4-D input [N, C, H, W]", shape) }
        guard o.kernel >= 1, o.stride >= 1, o.padding >= 0, 2 * o.padding <= o.kernel else {
            throw EngineError(op, "needs kernel ≥ 1, stride ≥ 1 and 0 ≤ padding ≤ kernel / 2 (got kernel \(o.kernel), stride \(o.stride), padding \(o.padding))")
        }
        let outHeight = (shape[2] + 2 * o.padding - o.kernel) / o.stride + 1
        let outWidth = (shape[3] + 2 * o.padding - o.kernel) / o.stride + 1
        guard shape[2] + 2 * o.padding >= o.kernel, shape[3] + 2 * o.padding >= o.kernel, outHeight > 0, outWidth > 0 else {
            throw EngineError.shapes(op, "the window (kernel \(o.kernel), padding \(o.padding)) is larger than the padded input", shape)
        }
        planes = shape[0] * shape[1]
        height = shape[2]
        width = shape[3]
        self.outHeight = outHeight
        self.outWidth = outWidth
        options = o
    }

    /// Output columns whose whole window lies inside the image (no clipping, the same divisor).
    var interiorColumns: Range<Int> {
        let start = (options.padding + options.stride - 1) / options.stride
        let lastStart = width - options.kernel + options.padding  // the largest ox·stride allowed
        let end = lastStart < 0 ? start : min(outWidth, lastStart / options.stride + 1)
        return start..<max(start, end)
    }

    var inputPlane: Int { height * width }
    var outputPlane: Int { outHeight * outWidth }
    func outputShape(_ input: [Int]) -> [Int] { [input[0], input[1], outHeight, outWidth] }

    typealias Window = (start: Int, end: Int, paddedLength: Int)

    /// The window of output position `o` along one axis, clipped to the image, and its length before
    /// clipping to the image but after clipping to the padded image (torch's pool_size).
    @inline(__always)
    func window(_ o: Int, size: Int) -> Window {
        let start = o * options.stride - options.padding
        let paddedEnd = min(start + options.kernel, size + options.padding)
        return (max(start, 0), min(paddedEnd, size), paddedEnd - start)
    }

    /// A window's share of torch's divisor along one axis: its padded length, or only its in-image part without
    /// count_include_pad.
    @inline(__always)
    func divisorLength(_ w: Window) -> Int {
        options.countIncludePad ? w.paddedLength : w.end - w.start
    }

    /// torch's divisor: the padded window area, or only its in-image part without count_include_pad.
    @inline(__always)
    func divisor(_ rows: Window, _ columns: Window) -> Float {
        Float(divisorLength(rows) * divisorLength(columns))
    }
}

/// Eight neighbouring output columns of one pooling row as a vector: their window's taps at `stride`
/// apart in the input row. Built once per pooling call and shared by every plane.
struct PoolLanes {
    static let width = Vector8.lanes
    let stride: Int
    /// Columns whose windows lie inside the image, when there are at least eight of them.
    let vectorisedColumns: Range<Int>
    /// The first column of each vector: whole vectors from the left, the last one shifted back to end at
    /// the last interior column (it recomputes a few columns, to the same bits).
    let vectorStarts: [Int]
    /// Each lane's input offset from the first lane's.
    let offsets: SIMD8<Int32>

    init(_ g: PoolGeometry) {
        self.init(stride: g.options.stride, columns: g.interiorColumns)
    }

    /// Vectors over `columns`, none when there are fewer than eight.
    init(stride: Int, columns: Range<Int>) {
        self.stride = stride
        vectorisedColumns = columns.count >= Self.width ? columns : columns.lowerBound..<columns.lowerBound
        vectorStarts = vectorisedColumns.isEmpty ? [] :
            Array(Swift.stride(from: columns.lowerBound, to: columns.upperBound - Self.width, by: Self.width)) + [columns.upperBound - Self.width]
        offsets = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) &* Int32(stride)
    }

    /// Inputs p[0], p[s], …, p[7s]; never reads past p[7s], which lies inside the image.
    @inline(__always)
    func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        switch stride {
        case 1:
            return Vector8.load(p)
        case 2:
            let low = Vector8.load(p), high = Vector8.load(p + 7)
            return SIMD8(low[0], low[2], low[4], low[6], high[1], high[3], high[5], high[7])
        default:
            let s = stride
            return SIMD8(p[0], p[s], p[2 &* s], p[3 &* s], p[4 &* s], p[5 &* s], p[6 &* s], p[7 &* s])
        }
    }
}

/// Where the pools that keep no routes read a plane, so that every output column runs in a vector: the input's rows
/// when no column is padded and a row holds eight outputs, else copies bordered with `fill` on both sides and wide
/// enough for eight windows. −∞ never wins a maximum, and 0 adds nothing to a sum and rounds nothing, so every output
/// keeps torch's value to the bit; rows stay clipped as torch clips them. Built once per pooling call.
struct BorderedRows {
    let geometry: PoolGeometry
    let fill: Float
    /// Floats per bordered row; nil when the pools read the input's rows.
    let rowWidth: Int?
    /// Vectors over every output column: one, partly stored, when a row has fewer than eight.
    let lanes: PoolLanes

    init(_ g: PoolGeometry, fill: Float) {
        let o = g.options
        geometry = g
        self.fill = fill
        rowWidth = o.padding == 0 && g.outWidth >= PoolLanes.width ? nil : max(g.width + 2 * o.padding, (PoolLanes.width - 1) * o.stride + o.kernel)
        lanes = PoolLanes(stride: o.stride, columns: 0..<max(g.outWidth, PoolLanes.width))
    }

    /// `body(rows, rowStride, outputPlane)` for every plane, threaded; output column x's window starts at rows[x·stride].
    func forEachPlane(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                      _ body: (UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>) -> Void) {
        let g = geometry
        parallelChunks(g.planes, minimumPerThread: max(1, 4096 / max(g.outputPlane, 1))) { range in
            guard let width = rowWidth else {
                for plane in range { body(input + plane * g.inputPlane, g.width, output + plane * g.outputPlane) }
                return
            }
            let rows = UnsafeMutablePointer<Float>.allocate(capacity: g.height * width)
            defer { rows.deallocate() }
            rows.initialize(repeating: fill, count: g.height * width)
            for plane in range {
                for y in 0..<g.height {
                    (rows + y * width + g.options.padding).update(from: input + plane * g.inputPlane + y * g.width, count: g.width)
                }
                body(rows, width, output + plane * g.outputPlane)
            }
        }
    }

    @inline(__always)
    func store(_ values: SIMD8<Float>, _ target: UnsafeMutablePointer<Float>) {
        Vector8.store(values, target, count: min(geometry.outWidth, PoolLanes.width))
    }
}

extension Tensor {
    /// F.max_pool2d(x, kernel, stride, padding): padded positions never win (they hold −∞).
    public static func maxPool2d(_ input: Tensor, _ options: PoolOptions) throws -> Tensor {
        let g = try PoolGeometry(op: "maxPool2d", shape: input.shape, options: options)
        let output = Tensor(uninitializedShape: g.outputShape(input.shape))
        let pi = input.pointer, po = output.pointer
        guard GradMode.isEnabled && input.requiresGrad else {
            // Nothing will route a gradient back, so no winners are kept.
            Profiler.measure("maxPool2d") {
                let bordered = BorderedRows(g, fill: -.infinity)
                bordered.forEachPlane(input: pi, output: po) { maxPoolRows(bordered, $0, rowStride: $1, output: $2) }
            }
            return output
        }
        var winners = [Int32](repeating: 0, count: output.count)
        let lanes = PoolLanes(g)
        Profiler.measure("maxPool2d") {
            winners.withUnsafeMutableBufferPointer { indices in
                let pw = indices.baseAddress!
                parallelChunks(g.planes, minimumPerThread: max(1, 4096 / max(g.outputPlane, 1))) { range in
                    for plane in range {
                        maxPoolPlane(g, lanes, input: pi + plane * g.inputPlane, output: po + plane * g.outputPlane,
                                     winners: pw + plane * g.outputPlane)
                    }
                }
            }
        }
        let routes = winners
        return record("maxPool2d", output: output, inputs: [input]) { gy, _, _ in
            [try scatterToInput(gy, routes: routes, geometry: g, inputShape: input.shape)]
        }
    }

    /// F.avg_pool2d(x, kernel, stride, padding, count_include_pad).
    public static func avgPool2d(_ input: Tensor, _ options: PoolOptions) throws -> Tensor {
        let g = try PoolGeometry(op: "avgPool2d", shape: input.shape, options: options)
        let output = Tensor(uninitializedShape: g.outputShape(input.shape))
        let pi = input.pointer, po = output.pointer
        Profiler.measure("avgPool2d") {
            let bordered = BorderedRows(g, fill: 0)
            // Each vector lane's column share of torch's divisor; lanes past the last column are computed and never
            // stored, and take its divisor.
            let columnDivisors = (0..<max(g.outWidth, PoolLanes.width)).map { Float(g.divisorLength(g.window(min($0, g.outWidth - 1), size: g.width))) }
            columnDivisors.withUnsafeBufferPointer { divisors in
                bordered.forEachPlane(input: pi, output: po) { avgPoolRows(bordered, divisors.baseAddress!, $0, rowStride: $1, output: $2) }
            }
        }
        return record("avgPool2d", output: output, inputs: [input]) { gy, _, _ in
            [try avgPoolAdjoint(gy, geometry: g, inputShape: input.shape)]
        }
    }

    /// One plane, a row of outputs at a time: eight columns whose windows lie inside the image read the same
    /// taps at the same offsets, so they run as one vector through the window, visiting it row by row as
    /// torch's kernel does (same comparisons, same order of summation: the result is the same to the bit);
    /// edge columns (and rows with fewer than eight interior columns) take the per-output loop.
    private static func maxPoolPlane(_ g: PoolGeometry, _ lanes: PoolLanes, input: UnsafePointer<Float>,
                                     output: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<Int32>) {
        let vectorised = lanes.vectorisedColumns
        for oy in 0..<g.outHeight {
            let rows = g.window(oy, size: g.height)
            let best = output + oy * g.outWidth, chosen = winners + oy * g.outWidth
            for ox in lanes.vectorStarts {
                let first = ox &* g.options.stride &- g.options.padding
                var top = SIMD8<Float>(repeating: -.infinity)
                // Each lane starts at its own window's first position, as the per-output loop does (it stays the winner
                // when nothing beats −∞).
                var index = lanes.offsets &+ Int32(truncatingIfNeeded: rows.start &* g.width &+ first)
                for y in rows.start..<rows.end {
                    for dx in 0..<g.options.kernel {
                        let position = y &* g.width &+ first &+ dx
                        let value = lanes.load(input + position)
                        // As torch: the first maximum wins, and NaN wins over everything, so it propagates.
                        let wins = (value .> top) .| (value .!= value)
                        top.replace(with: value, where: wins)
                        index.replace(with: lanes.offsets &+ Int32(truncatingIfNeeded: position), where: wins)
                    }
                }
                Vector8.store(top, best + ox)
                UnsafeMutableRawPointer(chosen + ox).storeBytes(of: index, as: SIMD8<Int32>.self)
            }
            for ox in 0..<g.outWidth where !vectorised.contains(ox) {
                var top = -Float.infinity
                let columns = g.window(ox, size: g.width)
                var index = rows.start * g.width + columns.start
                for y in rows.start..<rows.end {
                    for x in columns.start..<columns.end {
                        let value = input[y * g.width + x]
                        if value > top || value.isNaN { top = value; index = y * g.width + x }
                    }
                }
                best[ox] = top
                chosen[ox] = Int32(index)
            }
        }
    }

    /// The maximum of every window of one plane (`BorderedRows`), eight output columns per vector, in torch's order and
    /// with its rules (the first maximum wins, NaN wins): `maxPoolPlane`'s values without its winners.
    private static func maxPoolRows(_ b: BorderedRows, _ rows: UnsafePointer<Float>, rowStride: Int, output: UnsafeMutablePointer<Float>) {
        let g = b.geometry
        for oy in 0..<g.outHeight {
            let window = g.window(oy, size: g.height)
            for ox in b.lanes.vectorStarts {
                var top = SIMD8<Float>(repeating: -.infinity)
                for y in window.start..<window.end {
                    let first = rows + (y &* rowStride &+ ox &* g.options.stride)
                    for dx in 0..<g.options.kernel {
                        let value = b.lanes.load(first + dx)
                        top.replace(with: value, where: (value .> top) .| (value .!= value))
                    }
                }
                b.store(top, output + oy * g.outWidth + ox)
            }
        }
    }

    /// The average of every window of one plane (`BorderedRows`), eight output columns per vector: torch's sum in
    /// torch's order (rows, then columns) and torch's divisor, `columnDivisors[x]` times the row's share.
    private static func avgPoolRows(_ b: BorderedRows, _ columnDivisors: UnsafePointer<Float>, _ rows: UnsafePointer<Float>, rowStride: Int,
                                    output: UnsafeMutablePointer<Float>) {
        let g = b.geometry
        for oy in 0..<g.outHeight {
            let window = g.window(oy, size: g.height)
            let rowDivisor = SIMD8<Float>(repeating: Float(g.divisorLength(window)))
            for ox in b.lanes.vectorStarts {
                var total = SIMD8<Float>(repeating: 0)
                for y in window.start..<window.end {
                    let first = rows + (y &* rowStride &+ ox &* g.options.stride)
                    for dx in 0..<g.options.kernel { total += b.lanes.load(first + dx) }
                }
                b.store(total / (rowDivisor * Vector8.load(columnDivisors + ox)), output + oy * g.outWidth + ox)
            }
        }
    }

    /// Adds each output-space value to the input position its window chose (max pooling's backward).
    static func scatterToInput(_ gy: Tensor, routes: [Int32], geometry g: PoolGeometry, inputShape: [Int]) throws -> Tensor {
        guard gy.shape == g.outputShape(inputShape) else {
            throw EngineError.shapes("maxPool2dAdjoint", "gradient does not match the pooled shape", gy.shape, g.outputShape(inputShape))
        }
        let output = try Tensor.zeros(inputShape)
        let pg = gy.pointer, po = output.pointer
        routes.withUnsafeBufferPointer { indices in
            parallelChunks(g.planes) { range in
                for plane in range {
                    let target = po + plane * g.inputPlane
                    for o in 0..<g.outputPlane {
                        let flat = plane * g.outputPlane + o
                        target[Int(indices[flat])] += pg[flat]
                    }
                }
            }
        }
        return record("maxPool2dAdjoint", output: output, inputs: [gy]) { gg, _, _ in
            [try gatherFromInput(gg, routes: routes, geometry: g, inputShape: inputShape)]
        }
    }

    /// Reads, for each output position, the input value at its chosen position (the scatter's adjoint).
    static func gatherFromInput(_ x: Tensor, routes: [Int32], geometry g: PoolGeometry, inputShape: [Int]) throws -> Tensor {
        guard x.shape == inputShape else { throw EngineError.shapes("maxPool2dGather", "input shape changed", x.shape, inputShape) }
        let output = Tensor(uninitializedShape: g.outputShape(inputShape))
        let px = x.pointer, po = output.pointer
        routes.withUnsafeBufferPointer { indices in
            parallelChunks(g.planes) { range in
                for plane in range {
                    for o in 0..<g.outputPlane {
                        let flat = plane * g.outputPlane + o
                        po[flat] = px[plane * g.inputPlane + Int(indices[flat])]
                    }
                }
            }
        }
        return record("maxPool2dGather", output: output, inputs: [x]) { gy, _, _ in
            [try scatterToInput(gy, routes: routes, geometry: g, inputShape: inputShape)]
        }
    }

    /// Spreads each output-space value evenly over its window (average pooling's backward).
    static func avgPoolAdjoint(_ gy: Tensor, geometry g: PoolGeometry, inputShape: [Int]) throws -> Tensor {
        guard gy.shape == g.outputShape(inputShape) else {
            throw EngineError.shapes("avgPool2dAdjoint", "gradient does not match the pooled shape", gy.shape, g.outputShape(inputShape))
        }
        let output = try Tensor.zeros(inputShape)
        let pg = gy.pointer, po = output.pointer
        parallelChunks(g.planes) { range in
            for plane in range {
                let source = pg + plane * g.outputPlane, target = po + plane * g.inputPlane
                for oy in 0..<g.outHeight {
                    let rows = g.window(oy, size: g.height)
                    for ox in 0..<g.outWidth {
                        let columns = g.window(ox, size: g.width)
                        let share = source[oy * g.outWidth + ox] / g.divisor(rows, columns)
                        for y in rows.start..<rows.end {
                            for x in columns.start..<columns.end { target[y * g.width + x] += share }
                        }
                    }
                }
            }
        }
        return record("avgPool2dAdjoint", output: output, inputs: [gy]) { gg, _, _ in
            [try avgPool2d(gg, g.options)]
        }
    }
}
