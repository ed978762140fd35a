/// The copy behind `Tensor.permuted`. The shapes the networks permute (a modulated weight [N, O, C, 3, 3] to
/// [N, C, O, 3, 3] for every up-sampling layer) are transposes of 9-float runs; a loop that divided out every
/// axis again for each 9-float row took 0.022 s of a 0.177 s paper256 image (`toonkit bench generate`,
/// docs/engine-kernels.md "Permutations"). The axes are simplified first so that such copies become a walk
/// over a few merged axes with contiguous runs.
struct Permutation {
    /// Source shape after simplification, and the source axis of each result axis.
    let shape: [Int]
    let order: [Int]

    /// Drops axes of size 1 and merges source axes that stay neighbours, in the same order, in the result:
    /// the same copy as `order` over `shape`, on the fewest axes.
    init(shape fullShape: [Int], order fullOrder: [Int]) {
        let kept = fullShape.indices.filter { fullShape[$0] != 1 }
        let renumbered = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
        let keptOrder = fullOrder.compactMap { renumbered[$0] }
        let keptShape = kept.map { fullShape[$0] }
        // Runs of result axes whose source axes are consecutive: each run becomes one axis.
        var runs: [[Int]] = []
        for axis in keptOrder {
            if let last = runs.last?.last, last + 1 == axis { runs[runs.count - 1].append(axis) } else { runs.append([axis]) }
        }
        let bySource = runs.indices.sorted { runs[$0][0] < runs[$1][0] }
        shape = bySource.map { runs[$0].reduce(1) { $0 * keptShape[$1] } }
        var sourceIndex = Array(repeating: 0, count: runs.count)
        for (position, run) in bySource.enumerated() { sourceIndex[run] = position }
        order = sourceIndex
    }

    /// Writes the permuted tensor: output element i is the source element whose result coordinates are i's.
    /// `count` is the number of elements (the product of the shape).
    func copy(from source: UnsafePointer<Float>, to output: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        precondition(shape.reduce(1, *) == count, "permutation of \(shape) copies \(shape.reduce(1, *)) elements, not \(count)")
        guard !order.isEmpty else { return output.update(from: source, count: count) }
        parallelChunks(rowCount, minimumPerThread: max(1, 16384 / rowLength)) { copyRows($0, from: source, to: output) }
    }

    /// A row is the last result axis: a contiguous run when that axis is also last in the source.
    var rowLength: Int { shape[order[order.count - 1]] }
    var rowCount: Int { shape.reduce(1, *) / rowLength }

    /// The result rows `rows` (one worker's share): the source offset of the first row, then an odometer over the
    /// outer result axes.
    func copyRows(_ rows: Range<Int>, from source: UnsafePointer<Float>, to output: UnsafeMutablePointer<Float>) {
        let strides = Tensor.rowMajorStrides(shape)
        let resultShape = order.map { shape[$0] }, resultStrides = order.map { strides[$0] }
        let inner = rowLength, innerStride = resultStrides[resultStrides.count - 1]
        let contiguous = order[order.count - 1] == shape.count - 1
        let outerAxes = resultShape.count - 1
        var index = Array(repeating: 0, count: outerAxes)
        var rest = rows.lowerBound, offset = 0
        for axis in stride(from: outerAxes - 1, through: 0, by: -1) {
            index[axis] = rest % resultShape[axis]
            rest /= resultShape[axis]
            offset += index[axis] * resultStrides[axis]
        }
        var out = output + rows.lowerBound * inner
        for _ in rows {
            if contiguous {
                out.update(from: source + offset, count: inner)
            } else {
                for i in 0..<inner { out[i] = source[offset + i * innerStride] }
            }
            out += inner
            var axis = outerAxes - 1
            while axis >= 0 {
                index[axis] += 1
                offset += resultStrides[axis]
                if index[axis] < resultShape[axis] { break }
                offset -= index[axis] * resultStrides[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
