/// Sums and means over axes, broadcasting back (expand), and summing a broadcast gradient down to
/// an operand's shape. `sum` and `expand` are each other's gradient.
extension Tensor {
    /// Sum over `axes` (negative axes count from the end). With `keepDims` the reduced axes stay as size 1.
    public func sum(axes: [Int], keepDims: Bool = false) throws -> Tensor {
        let normalized = try normalizedAxes(axes, op: "sum")
        var kept = shape
        for axis in normalized { kept[axis] = 1 }
        let reduced = try reduceSum(to: kept, axes: normalized)
        let result = keepDims ? reduced : try reduced.reshaped(shape.enumerated().filter { !normalized.contains($0.offset) }.map(\.element))
        return result
    }

    /// Σ x² over the last `count` axes in one pass, without the squared copy `square().sum(axes:)` makes: the
    /// modulated convolutions' weight energy, recomputed on every forward pass over weights of up to 2.4 M
    /// elements. Accumulates in double, as `sum` does over contiguous elements.
    public func sumOfSquares(lastAxes count: Int) throws -> Tensor {
        guard count >= 1, count <= rank else {
            throw EngineError("sumOfSquares", "cannot reduce the last \(count) axes of shape \(shape)")
        }
        let keptShape = Array(shape[..<(rank - count)]), sourceShape = shape
        let reduce = shape[(rank - count)...].reduce(1, *), outer = keptShape.reduce(1, *)
        let output = Tensor(uninitializedShape: keptShape)
        let px = pointer, po = output.pointer
        Profiler.measure("sumOfSquares") {
            parallelChunks(outer, minimumPerThread: max(1, 65536 / max(reduce, 1))) { range in
                for o in range {
                    var total: Double = 0
                    let row = px + o * reduce
                    for r in 0..<reduce { total += Double(row[r]) * Double(row[r]) }
                    po[o] = Float(total)
                }
            }
        }
        return Tensor.record("sumOfSquares", output: output, inputs: [self]) { g, _, _ in
            [try g.reshaped(keptShape + Array(repeating: 1, count: count)).expand(to: sourceShape) * self * 2]
        }
    }

    /// Sum of all elements, as a 0-dimensional tensor.
    public func sum() throws -> Tensor { try sum(axes: Array(0..<rank)) }

    public func mean(axes: [Int], keepDims: Bool = false) throws -> Tensor {
        let normalized = try normalizedAxes(axes, op: "mean")
        let n = normalized.reduce(1) { $0 * shape[$1] }
        return try sum(axes: normalized, keepDims: keepDims) * (1 / Float(max(n, 1)))
    }

    public func mean() throws -> Tensor { try mean(axes: Array(0..<rank)) }

    /// Sums a broadcast result down to `target` (the inverse of broadcasting `target` up to this shape).
    public func sum(toShape target: [Int]) throws -> Tensor {
        if target == shape { return self }
        guard target.count <= rank else {
            throw EngineError.shapes("sumToShape", "target has more dimensions than the tensor", shape, target)
        }
        let lead = rank - target.count
        var axes = Array(0..<lead)
        for (index, dim) in target.enumerated() {
            if dim == 1 && shape[lead + index] != 1 { axes.append(lead + index) }
            else if dim != shape[lead + index] {
                throw EngineError.shapes("sumToShape", "tensor does not broadcast from the target", shape, target)
            }
        }
        return try sum(axes: axes, keepDims: true).reshaped(target)
    }

    /// Repeats size-1 (or missing leading) axes to reach `target`.
    public func expand(to target: [Int]) throws -> Tensor {
        if target == shape { return self }
        let plan = try BroadcastPlan(shape, target, op: "expand")
        guard plan.outputShape == target else {
            throw EngineError.shapes("expand", "cannot expand to the target", shape, target)
        }
        let output = Tensor(uninitializedShape: target)
        let px = pointer, po = output.pointer
        plan.forEachRun(parallel: output.count >= 65536) { ox, _, oo, n, sx, _ in
            if sx == 0 { (po + oo).update(repeating: px[ox], count: n) }
            else { for i in 0..<n { po[oo + i] = px[ox + i * sx] } }
        }
        let sourceShape = shape
        return Tensor.record("expand", output: output, inputs: [self]) { g, _, _ in [try g.sum(toShape: sourceShape)] }
    }

    func normalizedAxes(_ axes: [Int], op: String) throws -> [Int] {
        let result = try axes.map { axis -> Int in
            let a = axis < 0 ? axis + rank : axis
            guard a >= 0 && a < rank else { throw EngineError(op, "axis \(axis) is out of range for shape \(shape)") }
            return a
        }
        guard Set(result).count == result.count else { throw EngineError(op, "repeated axis in \(axes)") }
        return result.sorted()
    }

    /// Sums into `kept` (same rank, reduced axes set to 1), one run of adjacent reduced axes at a time.
    private func reduceSum(to kept: [Int], axes: [Int]) throws -> Tensor {
        var current = self.detached()
        var currentShape = shape
        var index = 0
        while index < axes.count {
            var end = index + 1
            while end < axes.count && axes[end] == axes[end - 1] + 1 { end += 1 }
            let first = axes[index], last = axes[end - 1]
            let outer = currentShape[..<first].reduce(1, *)
            let reduce = currentShape[first...last].reduce(1, *)
            let inner = currentShape[(last + 1)...].reduce(1, *)
            for axis in first...last { currentShape[axis] = 1 }
            current = Profiler.measure("sum") { Tensor.sumMiddle(current, outer: outer, reduce: reduce, inner: inner, shape: currentShape) }
            index = end
        }
        let sourceShape = shape
        let output = Tensor(shape: kept, storage: current.storage)
        return Tensor.record("sum", output: output, inputs: [self]) { g, _, _ in [try g.expand(to: sourceShape)] }
    }

    /// out[o, i] = Σ_r x[o, r, i]. Accumulates in double when the reduced elements are contiguous.
    private static func sumMiddle(_ x: Tensor, outer: Int, reduce: Int, inner: Int, shape: [Int]) -> Tensor {
        let output = Tensor(uninitializedShape: shape)
        let px = x.pointer, po = output.pointer
        if inner == 1 {
            parallelChunks(outer, minimumPerThread: max(1, 65536 / max(reduce, 1))) { range in
                for o in range {
                    var total: Double = 0
                    let row = px + o * reduce
                    for r in 0..<reduce { total += Double(row[r]) }
                    po[o] = Float(total)
                }
            }
        } else {
            parallelChunks(outer * inner, minimumPerThread: 4096) { range in
                // Split the (outer, inner) output space; each worker sums its own slice over r.
                var position = range.lowerBound
                while position < range.upperBound {
                    let o = position / inner
                    let i0 = position % inner
                    let i1 = min(inner, i0 + (range.upperBound - position))
                    let out = po + o * inner
                    for i in i0..<i1 { out[i] = 0 }
                    for r in 0..<reduce {
                        let row = px + (o * reduce + r) * inner
                        for i in i0..<i1 { out[i] += row[i] }
                    }
                    position += i1 - i0
                }
            }
        }
        return output
    }
}
