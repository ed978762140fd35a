/// Reflect padding of the last two axes (torch's 'reflect' mode: the edge pixel is not repeated).
/// Implemented as a gather through per-axis index maps; its gradient is the matching scatter-add,
/// and the scatter's gradient is the gather again.
extension Tensor {
    public func reflectPadded(top: Int, bottom: Int, left: Int, right: Int) throws -> Tensor {
        guard rank >= 2 else { throw EngineError("reflectPad", "needs at least 2 dimensions, got shape \(shape)") }
        let height = shape[rank - 2], width = shape[rank - 1]
        guard [top, bottom, left, right].allSatisfy({ $0 >= 0 }), max(top, bottom) < height, max(left, right) < width else {
            throw EngineError("reflectPad", "padding (\(top), \(bottom), \(left), \(right)) must be non-negative and smaller than the plane \(height)×\(width)")
        }
        let rows = Tensor.reflectIndices(size: height, before: top, after: bottom)
        let columns = Tensor.reflectIndices(size: width, before: left, after: right)
        return gatherPlanes(rows: rows, columns: columns)
    }

    static func reflectIndices(size: Int, before: Int, after: Int) -> [Int] {
        (-before..<(size + after)).map { i in i < 0 ? -i : (i >= size ? 2 * (size - 1) - i : i) }
    }

    /// out[..., y, x] = in[..., rows[y], columns[x]].
    func gatherPlanes(rows: [Int], columns: [Int]) -> Tensor {
        let height = shape[rank - 2], width = shape[rank - 1]
        let planes = count / max(height * width, 1)
        var outShape = shape
        outShape[rank - 2] = rows.count
        outShape[rank - 1] = columns.count
        let output = Tensor(uninitializedShape: outShape)
        let px = pointer, po = output.pointer
        Profiler.measure("gatherPlanes") {
            parallelChunks(planes) { range in
                for plane in range {
                    let source = px + plane * height * width
                    var out = po + plane * rows.count * columns.count
                    for r in rows {
                        let line = source + r * width
                        for (x, c) in columns.enumerated() { out[x] = line[c] }
                        out += columns.count
                    }
                }
            }
        }
        let sourceShape = shape
        return Tensor.record("gatherPlanes", output: output, inputs: [self]) { g, _, _ in
            [g.scatterPlanes(rows: rows, columns: columns, into: sourceShape)]
        }
    }

    /// The adjoint of `gatherPlanes`: out[..., rows[y], columns[x]] += in[..., y, x].
    func scatterPlanes(rows: [Int], columns: [Int], into targetShape: [Int]) -> Tensor {
        let height = targetShape[rank - 2], width = targetShape[rank - 1]
        let planes = count / max(rows.count * columns.count, 1)
        let output = (try? Tensor.zeros(targetShape))!
        let px = pointer, po = output.pointer
        Profiler.measure("scatterPlanes") {
            parallelChunks(planes) { range in
                for plane in range {
                    var source = px + plane * rows.count * columns.count
                    let target = po + plane * height * width
                    for r in rows {
                        let line = target + r * width
                        for (x, c) in columns.enumerated() { line[c] += source[x] }
                        source += columns.count
                    }
                }
            }
        }
        return Tensor.record("scatterPlanes", output: output, inputs: [self]) { g, _, _ in
            [g.gatherPlanes(rows: rows, columns: columns)]
        }
    }
}
