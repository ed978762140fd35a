/// Winograd F(2, r) along one axis, for FID Inception's 1×7, 7×1, 1×3 and 3×1 convolutions (stride 1, "same"
/// padding): r + 1 multiplies per two outputs instead of 2r, so 1.75× fewer for seven taps and 1.5× fewer for three
/// (docs/engine-kernels.md "Winograd along one axis"). Forward only: their backward passes (which FID never runs) keep
/// im2col + GEMM.
///
/// Two outputs of a correlation y_i = Σ_k g_k·d_(i+k) over α = r + 1 inputs are y = Aᵀ[(G g) ⊙ (Bᵀ d)]. Along a line of
/// the plane the tiles are the output pairs (2t, 2t + 1); across the batch, tiles and the other axis, every position ξ < α
/// is one GEMM, M[ξ] = U[ξ]·V[ξ] with U[ξ] = (G w)[ξ] of shape [out, in] and V[ξ] = (Bᵀ d)[ξ] of shape [in, columns].
struct LineWinograd {
    /// The transforms of one F(2, r): Toom-Cook's at r + 1 points: 0, ±1, ±2, ±½ and ∞ for seven taps, 0, ±1 and ∞ for three, transposed
    /// into filtering, with the denominators moved from Bᵀ into G, so that Bᵀ holds small integers and the data transform
    /// rounds only in its sums. Bᵀ and Aᵀ are written out as code (eight lanes at a time, the even and odd inputs' shares
    /// formed once); `LineWinogradTests` reads them back from it and checks that each set computes the correlation exactly.
    struct Transforms: Sendable {
        let taps: Int
        /// G, α × r, row-major: U = G g, formed in double precision and rounded once.
        let filter: [Double]
        var points: Int { taps + 1 }
        /// The padding that keeps a plane's size along the taps' axis.
        var padding: Int { (taps - 1) / 2 }

        /// G's columns, one per tap, as vectors of the α positions (zero past α).
        var filterColumns: [SIMD8<Double>] {
            precondition(points <= 8, "F(2, r) keeps its r + 1 positions in eight-lane vectors")
            return (0..<taps).map { k in
                var column = SIMD8<Double>()
                for position in 0..<points { column[position] = filter[position * taps + k] }
                return column
            }
        }

        static let threeTaps = Transforms(taps: 3, filter: [1, 0, 0,
                                                            0.5, 0.5, 0.5,
                                                            0.5, -0.5, 0.5,
                                                            0, 0, 1])

        static let sevenTaps = Transforms(taps: 7, filter: [
            1.0 / 4, 0, 0, 0, 0, 0, 0,
            1.0 / 18, 1.0 / 18, 1.0 / 18, 1.0 / 18, 1.0 / 18, 1.0 / 18, 1.0 / 18,
            1.0 / 18, -1.0 / 18, 1.0 / 18, -1.0 / 18, 1.0 / 18, -1.0 / 18, 1.0 / 18,
            1.0 / 360, 1.0 / 180, 1.0 / 90, 1.0 / 45, 2.0 / 45, 4.0 / 45, 8.0 / 45,
            1.0 / 360, -1.0 / 180, 1.0 / 90, -1.0 / 45, 2.0 / 45, -4.0 / 45, 8.0 / 45,
            1.0 / 45, 1.0 / 90, 1.0 / 180, 1.0 / 360, 1.0 / 720, 1.0 / 1440, 1.0 / 2880,
            1.0 / 45, -1.0 / 90, 1.0 / 180, -1.0 / 360, 1.0 / 720, -1.0 / 1440, 1.0 / 2880,
            0, 0, 0, 0, 0, 0, 1.0 / 4])

        static let all = [threeTaps, sevenTaps]

        /// V = Bᵀ d for eight lanes: d[j] at `d + j·dStride`, V[ξ] stored (its first `count` lanes) at `v + ξ·vStride`.
        @inline(__always)
        func input(_ d: UnsafePointer<Float>, dStride: Int, _ v: UnsafeMutablePointer<Float>, vStride: Int, count: Int) {
            @inline(__always) func load(_ j: Int) -> SIMD8<Float> { Vector8.load(d + j &* dStride) }
            @inline(__always) func put(_ position: Int, _ value: SIMD8<Float>) { Vector8.store(value, v + position &* vStride, count: count) }
            if taps == 3 {
                let (d0, d1, d2, d3) = (load(0), load(1), load(2), load(3))
                put(0, d0 - d2)
                put(1, d1 + d2)
                put(2, d2 - d1)
                put(3, d3 - d1)
                return
            }
            let (d0, d1, d2, d3, d4, d5, d6, d7) = (load(0), load(1), load(2), load(3), load(4), load(5), load(6), load(7))
            put(0, 4 * (d0 - d6) + 21 * (d4 - d2))
            let (even1, odd1) = (17 * d4 - 4 * (d2 + d6), 17 * d3 - 4 * (d1 + d5))
            put(1, even1 + odd1)
            put(2, even1 - odd1)
            let (even3, odd3) = (d2 - 5 * d4 + 4 * d6, 2 * d1 - 10 * d3 + 8 * d5)
            put(3, even3 + odd3)
            put(4, even3 - odd3)
            let (even5, odd5) = (128 * d2 - 160 * d4 + 32 * d6, 64 * d1 - 80 * d3 + 16 * d5)
            put(5, even5 + odd5)
            put(6, even5 - odd5)
            put(7, 4 * (d7 - d1) + 21 * (d3 - d5))
        }

        /// y = Aᵀ M for eight lanes: the two outputs of the α products M[ξ] at `m + ξ·mStride`.
        @inline(__always)
        func output(_ m: UnsafePointer<Float>, mStride: Int) -> (SIMD8<Float>, SIMD8<Float>) {
            @inline(__always) func load(_ position: Int) -> SIMD8<Float> { Vector8.load(m + position &* mStride) }
            if taps == 3 {
                let (m0, m1, m2, m3) = (load(0), load(1), load(2), load(3))
                return (m0 + m1 + m2, m1 - m2 + m3)
            }
            let (m0, m1, m2, m3, m4, m5, m6, m7) = (load(0), load(1), load(2), load(3), load(4), load(5), load(6), load(7))
            return (m0 + m1 + m2 + m3 + m4 + m5 + m6, (m1 - m2) + 2 * (m3 - m4) + 0.5 * (m5 - m6) + m7)
        }
    }

    let geometry: ConvGeometry
    let transforms: Transforms
    /// 1 × r (the taps run along the width) rather than r × 1.
    let alongWidth: Bool

    /// The convolutions it serves: one group, stride 1, a 1 × r or r × 1 kernel with r ∈ {3, 7} and the padding that
    /// keeps the plane's size ("same"), as Inception's factorised layers have.
    init?(_ g: ConvGeometry) {
        guard g.groups == 1, g.stride == 1, g.outHeight == g.inHeight, g.outWidth == g.inWidth else { return nil }
        let alongWidth = g.kernelHeight == 1
        let taps = alongWidth ? g.kernelWidth : g.kernelHeight
        guard let transforms = Transforms.all.first(where: { $0.taps == taps }),
              alongWidth ? g.padHeight == 0 && g.padWidth == transforms.padding
                         : g.kernelWidth == 1 && g.padWidth == 0 && g.padHeight == transforms.padding else { return nil }
        self.geometry = g
        self.transforms = transforms
        self.alongWidth = alongWidth
    }

    /// Positions along the axis of the taps (the line's length) and across it.
    private var length: Int { alongWidth ? geometry.inWidth : geometry.inHeight }
    private var across: Int { alongWidth ? geometry.inHeight : geometry.inWidth }
    private var tiles: Int { (length + 1) / 2 }
    private var padding: Int { transforms.padding }

    /// Samples per block: V and M of a block stay near 4 MB each, or hold one sample where that is larger (whole batches of
    /// 8 measured no different at 17², batch 8).
    var samplesPerBlock: Int {
        let g = geometry
        let perSample = transforms.points * max(g.inChannels, g.outChannels) * tiles * across * 4
        return max(1, min(g.batch, (4 << 20) / max(perSample, 1)))
    }

    /// output = conv2d(input, weight), overwritten.
    func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let g = geometry, points = transforms.points
        let blockSamples = samplesPerBlock
        let blockColumns = blockSamples * tiles * across
        let u = TensorStorage(count: points * g.outChannels * g.inChannels)
        let v = TensorStorage(count: points * g.inChannels * blockColumns)
        let m = TensorStorage(count: points * g.outChannels * blockColumns + Self.matrixSlack)
        transformWeight(weight, into: u.pointer)
        for first in Swift.stride(from: 0, to: g.batch, by: blockSamples) {
            let samples = min(blockSamples, g.batch - first)
            let columns = samples * tiles * across
            transformInput(input, samples: first..<(first + samples), into: v.pointer)
            for position in 0..<points {
                sgemm(transposeA: false, transposeB: false, m: g.outChannels, n: columns, k: g.inChannels,
                      a: u.pointer + position * g.outChannels * g.inChannels, lda: g.inChannels,
                      b: v.pointer + position * g.inChannels * columns, ldb: columns,
                      c: m.pointer + position * g.outChannels * columns, ldc: columns)
            }
            transformOutput(m.pointer, samples: first..<(first + samples), into: output)
        }
    }

    /// U[ξ][o][c] = Σ_k G[ξ][k]·w[o][c][k]; the stored weight [O, C, 1, r] or [O, C, r, 1] holds each filter's taps in a row.
    /// The α positions' sums run side by side, as one vector per filter.
    private func transformWeight(_ weight: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        let g = geometry, taps = transforms.taps, points = transforms.points, filters = g.outChannels * g.inChannels
        transforms.filterColumns.withUnsafeBufferPointer { columns in
            parallelChunks(filters, minimumPerThread: 4096) { range in
                for f in range {
                    let w = weight + f * taps
                    var sums = SIMD8<Double>()
                    for k in 0..<taps { sums += columns[k] * Double(w[k]) }
                    for position in 0..<points { u[position * filters + f] = Float(sums[position]) }
                }
            }
        }
    }

    /// V[ξ][c][column] for the block's samples, column = (sample · tiles + t) · across + p: the tile t's α lines
    /// 2t − padding … 2t − padding + r combined by Bᵀ's row ξ, eight values across at a time. Each plane is first copied
    /// (transposed for 1 × r) into zero-bordered lines a whole number of vectors long, so every load is a whole vector.
    private func transformInput(_ input: UnsafePointer<Float>, samples: Range<Int>, into v: UnsafeMutablePointer<Float>) {
        let g = geometry, columns = samples.count * tiles * across
        let transforms = transforms, positionStride = g.inChannels * columns, paddedAcross = paddedAcross
        forEachPlane(of: samples, channels: g.inChannels) { sample, c, lines in
            copyIntoLines(input + ((samples.lowerBound + sample) * g.inChannels + c) * g.inHeight * g.inWidth, lines)
            forEachVector { t, p in
                transforms.input(lines + 2 * t * paddedAcross + p, dStride: paddedAcross,
                                 v + c * columns + (sample * tiles + t) * across + p, vStride: positionStride, count: min(Self.lanes, across - p))
            }
        }
    }

    /// y[2t + i] = Σ_ξ Aᵀ[i][ξ]·M[ξ] for the block's samples, eight values across at a time, written back along the axis of
    /// the taps (transposed for 1 × r). M is read a vector at a time past each row's end: `matrixSlack` floats follow it.
    private func transformOutput(_ m: UnsafePointer<Float>, samples: Range<Int>, into output: UnsafeMutablePointer<Float>) {
        let g = geometry, columns = samples.count * tiles * across
        let transforms = transforms, positionStride = g.outChannels * columns, paddedAcross = paddedAcross
        forEachPlane(of: samples, channels: g.outChannels) { sample, o, lines in
            forEachVector { t, p in
                let (even, odd) = transforms.output(m + o * columns + (sample * tiles + t) * across + p, mStride: positionStride)
                let top = lines + 2 * t * paddedAcross + p
                Vector8.store(even, top)
                Vector8.store(odd, top + paddedAcross)
            }
            copyFromLines(lines, output + ((samples.lowerBound + sample) * g.outChannels + o) * g.outHeight * g.outWidth)
        }
    }

    /// `body(sample, channel, lines)` for every plane of the block, in parallel, each worker with its own zero-bordered lines.
    private func forEachPlane(of samples: Range<Int>, channels: Int, _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        parallelChunks(samples.count * channels, minimumPerThread: 16) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: borderedLines * paddedAcross) { lines in
                lines.initialize(repeating: 0)
                for task in range { body(task / channels, task % channels, lines.baseAddress!) }
            }
        }
    }

    /// `body(t, p)` for every tile and every vector of eight values across.
    @inline(__always)
    private func forEachVector(_ body: (Int, Int) -> Void) {
        for t in 0..<tiles {
            for p in Swift.stride(from: 0, to: across, by: Self.lanes) { body(t, p) }
        }
    }

    static let lanes = Vector8.lanes
    /// Floats after M's last row that a whole-vector load may read.
    static let matrixSlack = lanes

    /// Lines a whole number of vectors long.
    private var paddedAcross: Int { (across + Self.lanes - 1) / Self.lanes * Self.lanes }
    /// The input lines −padding … 2·tiles + padding − 1, the zero border included (the output uses the first 2·tiles).
    private var borderedLines: Int { 2 * tiles + transforms.taps - 1 }

    /// The plane into the bordered lines: line l (l < length) at row l + padding, `across` values, the border untouched.
    private func copyIntoLines(_ plane: UnsafePointer<Float>, _ lines: UnsafeMutablePointer<Float>) {
        let start = lines + padding * paddedAcross, length = length, across = across, paddedAcross = paddedAcross
        for l in 0..<length {
            let line = start + l * paddedAcross
            if alongWidth {
                for p in 0..<across { line[p] = plane[p * length + l] }
            } else {
                line.update(from: plane + l * across, count: across)
            }
        }
    }

    /// The first `length` lines back into the plane.
    private func copyFromLines(_ lines: UnsafePointer<Float>, _ plane: UnsafeMutablePointer<Float>) {
        let length = length, across = across, paddedAcross = paddedAcross
        for l in 0..<length {
            let line = lines + l * paddedAcross
            if alongWidth {
                for p in 0..<across { plane[p * length + l] = line[p] }
            } else {
                (plane + l * across).update(from: line, count: across)
            }
        }
    }
}
