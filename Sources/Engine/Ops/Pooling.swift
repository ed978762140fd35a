/// 2-D max and average pooling with torch's semantics (F.max_pool2d, F.avg_pool2d; ceil_mode=False,
/// dilation 1), for the Inception network of the FID metric.
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

    var inputPlane: Int { height * width }
    var outputPlane: Int { outHeight * outWidth }
    func outputShape(_ input: [Int]) -> [Int] { [input[0], input[1], outHeight, outWidth] }

    /// The window of output position `o` along one axis, clipped to the image, and its length before
    /// clipping to the image but after clipping to the padded image (torch's pool_size).
    @inline(__always)
    func window(_ o: Int, size: Int) -> (start: Int, end: Int, paddedLength: Int) {
        let start = o * options.stride - options.padding
        let paddedEnd = min(start + options.kernel, size + options.padding)
        return (max(start, 0), min(paddedEnd, size), paddedEnd - start)
    }

    /// torch's divisor: the padded window area, or only its in-image part without count_include_pad.
    @inline(__always)
    func divisor(_ rows: (start: Int, end: Int, paddedLength: Int), _ columns: (start: Int, end: Int, paddedLength: Int)) -> Float {
        options.countIncludePad
            ? Float(rows.paddedLength * columns.paddedLength)
            : Float((rows.end - rows.start) * (columns.end - columns.start))
    }
}

extension Tensor {
    /// F.max_pool2d(x, kernel, stride, padding): padded positions never win (they hold −∞).
    public static func maxPool2d(_ input: Tensor, _ options: PoolOptions) throws -> Tensor {
        let g = try PoolGeometry(op: "maxPool2d", shape: input.shape, options: options)
        let output = Tensor(uninitializedShape: g.outputShape(input.shape))
        var winners = [Int32](repeating: 0, count: output.count)
        let pi = input.pointer, po = output.pointer
        Profiler.measure("maxPool2d") {
            winners.withUnsafeMutableBufferPointer { indices in
                let pw = indices.baseAddress!
                parallelChunks(g.planes, minimumPerThread: max(1, 4096 / max(g.outputPlane, 1))) { range in
                    for plane in range {
                        maxPoolPlane(g, input: pi + plane * g.inputPlane, output: po + plane * g.outputPlane,
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
            parallelChunks(g.planes, minimumPerThread: max(1, 4096 / max(g.outputPlane, 1))) { range in
                for plane in range {
                    avgPoolPlane(g, input: pi + plane * g.inputPlane, output: po + plane * g.outputPlane)
                }
            }
        }
        return record("avgPool2d", output: output, inputs: [input]) { gy, _, _ in
            [try avgPoolAdjoint(gy, geometry: g, inputShape: input.shape)]
        }
    }

    private static func maxPoolPlane(_ g: PoolGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                     winners: UnsafeMutablePointer<Int32>) {
        for oy in 0..<g.outHeight {
            let rows = g.window(oy, size: g.height)
            for ox in 0..<g.outWidth {
                let columns = g.window(ox, size: g.width)
                var best = -Float.infinity
                var bestIndex = rows.start * g.width + columns.start
                for y in rows.start..<rows.end {
                    for x in columns.start..<columns.end {
                        let value = input[y * g.width + x]
                        // As torch: the first maximum wins, and NaN wins over everything, so it propagates.
                        if value > best || value.isNaN { best = value; bestIndex = y * g.width + x }
                    }
                }
                output[oy * g.outWidth + ox] = best
                winners[oy * g.outWidth + ox] = Int32(bestIndex)
            }
        }
    }

    private static func avgPoolPlane(_ g: PoolGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        for oy in 0..<g.outHeight {
            let rows = g.window(oy, size: g.height)
            for ox in 0..<g.outWidth {
                let columns = g.window(ox, size: g.width)
                var total: Float = 0
                for y in rows.start..<rows.end {
                    for x in columns.start..<columns.end { total += input[y * g.width + x] }
                }
                output[oy * g.outWidth + ox] = total / g.divisor(rows, columns)
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
