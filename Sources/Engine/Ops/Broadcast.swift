/// Broadcasting of two shapes, numpy rules: trailing dimensions align, size-1 dimensions stretch.
struct BroadcastPlan {
    let outputShape: [Int]
    /// Collapsed loop: dimensions, and per operand the element strides (0 where broadcast).
    let dims: [Int]
    let stridesA: [Int]
    let stridesB: [Int]

    init(_ a: [Int], _ b: [Int], op: String) throws {
        let rank = max(a.count, b.count)
        let paddedA = Array(repeating: 1, count: rank - a.count) + a
        let paddedB = Array(repeating: 1, count: rank - b.count) + b
        var output: [Int] = []
        for (da, db) in zip(paddedA, paddedB) {
            guard da == db || da == 1 || db == 1 else {
                throw EngineError.shapes(op, "shapes cannot be broadcast together", a, b)
            }
            output.append(da == 1 ? db : da)
        }
        outputShape = output
        let rawA = BroadcastPlan.strides(paddedA, output)
        let rawB = BroadcastPlan.strides(paddedB, output)
        // Merge adjacent dimensions that are laid out contiguously for both operands, so the
        // innermost loop runs as long as possible.
        var dims: [Int] = []
        var sa: [Int] = []
        var sb: [Int] = []
        for axis in 0..<rank where output[axis] != 1 {
            if let last = dims.indices.last, sa[last] == rawA[axis] * output[axis], sb[last] == rawB[axis] * output[axis] {
                dims[last] *= output[axis]
                sa[last] = rawA[axis]
                sb[last] = rawB[axis]
            } else {
                dims.append(output[axis])
                sa.append(rawA[axis])
                sb.append(rawB[axis])
            }
        }
        if dims.isEmpty { dims = [1]; sa = [0]; sb = [0] }
        self.dims = dims
        stridesA = sa
        stridesB = sb
    }

    /// Row-major strides of `shape` read as `output` (0 on broadcast axes).
    static func strides(_ shape: [Int], _ output: [Int]) -> [Int] {
        var strides = Array(repeating: 0, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = shape[axis] == 1 && output[axis] != 1 ? 0 : step
            step *= shape[axis]
        }
        return strides
    }

    /// Calls `body(offsetA, offsetB, offsetOut, innerLength, innerStrideA, innerStrideB)` for every innermost run.
    func forEachRun(parallel: Bool, _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        let inner = dims[dims.count - 1]
        let innerA = stridesA[dims.count - 1]
        let innerB = stridesB[dims.count - 1]
        let outer = dims.dropLast().reduce(1, *)
        func run(_ range: Range<Int>) {
            for index in range {
                var rest = index
                var offsetA = 0
                var offsetB = 0
                for axis in stride(from: dims.count - 2, through: 0, by: -1) {
                    let coordinate = rest % dims[axis]
                    rest /= dims[axis]
                    offsetA += coordinate * stridesA[axis]
                    offsetB += coordinate * stridesB[axis]
                }
                body(offsetA, offsetB, index * inner, inner, innerA, innerB)
            }
        }
        if parallel { parallelChunks(outer, minimumPerThread: max(1, 32768 / max(inner, 1))) { run($0) } } else { run(0..<outer) }
    }
}
