/// Winograd F(m, r) along one axis, for FID Inception's 1×7, 7×1, 1×3 and 3×1 convolutions (stride 1, "same" padding):
/// m outputs from m + r − 1 multiplies instead of m·r. F(2, r) (1.75× fewer for seven taps, 1.5× for three) rounds
/// within a few roundings of the direct sum; F(4, r) (2.8× and 2×) is for callers that allow `ConvRounding.relaxed`
/// (docs/engine-kernels.md "Winograd along one axis"). Forward only: their backward passes (which FID never runs) keep
/// im2col + GEMM.
///
/// m outputs of a correlation y_i = Σ_k g_k·d_(i+k) over α = m + r − 1 inputs are y = Aᵀ[(G g) ⊙ (Bᵀ d)]. Along a line of
/// the plane the tiles are the outputs mt … mt + m − 1; across the batch, tiles and the other axis, every position ξ < α
/// is one GEMM, M[ξ] = U[ξ]·V[ξ] with U[ξ] = (G w)[ξ] of shape [out, in] and V[ξ] = (Bᵀ d)[ξ] of shape [in, columns].
struct LineWinograd {
    /// The transforms of one F(m, r): Toom-Cook's at α points, transposed into filtering, with the denominators moved from
    /// Bᵀ into G, so that Bᵀ holds small integers and the data transform rounds only in its sums. The points: 0, ±1 and ∞
    /// for F(2, 3); 0, ±1, ±2 and ∞ for F(4, 3); 0, ±1, ±2, ±½ and ∞ for F(2, 7); those and ±3/2 for F(4, 7). G is here;
    /// Bᵀ and Aᵀ are written out as code in the C kernels (Sources/CKernels/line_winograd_kernel_bodies.h), which
    /// `LineWinogradTests` reads them back from to check that each set computes the correlation exactly.
    struct Transforms: Sendable {
        let taps: Int
        /// m: outputs per tile.
        let outputs: Int
        /// G, α × r, row-major: U = G g, formed in double precision and rounded once.
        let filter: [Double]
        var points: Int { taps + outputs - 1 }
        /// The padding that keeps a plane's size along the taps' axis.
        var padding: Int { (taps - 1) / 2 }

        static let twoOfThree = Transforms(taps: 3, outputs: 2, filter: [1, 0, 0,
                                                                         0.5, 0.5, 0.5,
                                                                         0.5, -0.5, 0.5,
                                                                         0, 0, 1])

        static let fourOfThree = Transforms(taps: 3, outputs: 4, filter: [
            1.0 / 4, 0, 0,
            -1.0 / 6, -1.0 / 6, -1.0 / 6,
            -1.0 / 6, 1.0 / 6, -1.0 / 6,
            1.0 / 24, 1.0 / 12, 1.0 / 6,
            1.0 / 24, -1.0 / 12, 1.0 / 6,
            0, 0, 1])

        static let twoOfSeven = Transforms(taps: 7, outputs: 2, filter: [
            1.0 / 4, 0, 0, 0, 0, 0, 0,
            1.0 / 18, 1.0 / 18, 1.0 / 18, 1.0 / 18, 1.0 / 18, 1.0 / 18, 1.0 / 18,
            1.0 / 18, -1.0 / 18, 1.0 / 18, -1.0 / 18, 1.0 / 18, -1.0 / 18, 1.0 / 18,
            1.0 / 360, 1.0 / 180, 1.0 / 90, 1.0 / 45, 2.0 / 45, 4.0 / 45, 8.0 / 45,
            1.0 / 360, -1.0 / 180, 1.0 / 90, -1.0 / 45, 2.0 / 45, -4.0 / 45, 8.0 / 45,
            1.0 / 45, 1.0 / 90, 1.0 / 180, 1.0 / 360, 1.0 / 720, 1.0 / 1440, 1.0 / 2880,
            1.0 / 45, -1.0 / 90, 1.0 / 180, -1.0 / 360, 1.0 / 720, -1.0 / 1440, 1.0 / 2880,
            0, 0, 0, 0, 0, 0, 1.0 / 4])

        static let fourOfSeven = Transforms(taps: 7, outputs: 4, filter: [
            1.0 / 36, 0, 0, 0, 0, 0, 0,
            1.0 / 90, 1.0 / 90, 1.0 / 90, 1.0 / 90, 1.0 / 90, 1.0 / 90, 1.0 / 90,
            1.0 / 90, -1.0 / 90, 1.0 / 90, -1.0 / 90, 1.0 / 90, -1.0 / 90, 1.0 / 90,
            1.0 / 2520, 1.0 / 1260, 1.0 / 630, 1.0 / 315, 2.0 / 315, 4.0 / 315, 8.0 / 315,
            1.0 / 2520, -1.0 / 1260, 1.0 / 630, -1.0 / 315, 2.0 / 315, -4.0 / 315, 8.0 / 315,
            -2.0 / 45, -1.0 / 45, -1.0 / 90, -1.0 / 180, -1.0 / 360, -1.0 / 720, -1.0 / 1440,
            -2.0 / 45, 1.0 / 45, -1.0 / 90, 1.0 / 180, -1.0 / 360, 1.0 / 720, -1.0 / 1440,
            -2.0 / 315, -1.0 / 105, -1.0 / 70, -3.0 / 140, -9.0 / 280, -27.0 / 560, -81.0 / 1120,
            -2.0 / 315, 1.0 / 105, -1.0 / 70, 3.0 / 140, -9.0 / 280, 27.0 / 560, -81.0 / 1120,
            0, 0, 0, 0, 0, 0, 1.0 / 16])

        static let all = [twoOfThree, fourOfThree, twoOfSeven, fourOfSeven]

        /// The set for `taps` taps: F(4, r) where the caller allows relaxed rounding, F(2, r) otherwise.
        static func forTaps(_ taps: Int, rounding: ConvRounding) -> Transforms? {
            let outputs = rounding == .relaxed ? 4 : 2
            return all.first { $0.taps == taps && $0.outputs == outputs }
        }
    }

    let geometry: ConvGeometry
    let transforms: Transforms
    /// 1 × r (the taps run along the width) rather than r × 1.
    let alongWidth: Bool
    /// The vector kernels of the transforms, which give the same bits on every set, and of the products where the skinny
    /// kernels take them. The products do not round alike on every set: 16-lane sets always take the skinny kernels, the
    /// others OpenBLAS at Inception's widths (`multipliesWithSkinnyKernels`).
    let instructionSet: KernelInstructionSet

    /// Whether the α products go to the skinny kernels (`SkinnyGemm`), all in one dispatch across the threads: on 16-lane
    /// sets their 8-row tiles beat OpenBLAS on these shapes. AMD EPYC Zen 4, `toonkit bench kernels`, batch 4: 1×3 and
    /// 3×1 at 8², 384 channels, 0.77–0.84 of sgemm through OpenBLAS against 0.81–0.97, 1×7 and 7×1 at 17² 1.10–1.36
    /// against 1.31–1.54; Inception's line layers 0.109–0.130 s per batch of 8 against 0.101. With 8 lanes (AVX2 kernels and
    /// OpenBLAS's Haswell core on that machine) those layers took 0.102–0.104 s through OpenBLAS against 0.140–0.145, so
    /// there OpenBLAS takes the products one by one (or the skinny kernels, where `SkinnyGemm.suits` the shape).
    var multipliesWithSkinnyKernels: Bool { instructionSet.vectorFloats == 16 }

    /// The convolutions it serves: one group, stride 1, a 1 × r or r × 1 kernel with r ∈ {3, 7} and the padding that
    /// keeps the plane's size ("same"), as Inception's factorised layers have. `rounding` chooses F(2, r) or F(4, r).
    init?(_ g: ConvGeometry, rounding: ConvRounding = .standard, instructionSet: KernelInstructionSet = .active) {
        guard g.groups == 1, g.stride == 1, g.outHeight == g.inHeight, g.outWidth == g.inWidth else { return nil }
        let alongWidth = g.kernelHeight == 1
        let taps = alongWidth ? g.kernelWidth : g.kernelHeight
        guard let transforms = Transforms.forTaps(taps, rounding: rounding),
              alongWidth ? g.padHeight == 0 && g.padWidth == transforms.padding
                         : g.kernelWidth == 1 && g.padWidth == 0 && g.padHeight == transforms.padding else { return nil }
        self.geometry = g
        self.transforms = transforms
        self.alongWidth = alongWidth
        self.instructionSet = instructionSet
    }

    /// How profiles name it: F(2, r) and F(4, r) apart.
    var profileName: String { transforms.outputs == 2 ? "conv line winograd" : "conv line winograd F4" }

    /// Positions along the axis of the taps (the line's length) and across it.
    private var length: Int { alongWidth ? geometry.inWidth : geometry.inHeight }
    private var across: Int { alongWidth ? geometry.inHeight : geometry.inWidth }
    private var tiles: Int { (length + transforms.outputs - 1) / transforms.outputs }
    private var padding: Int { transforms.padding }

    /// Samples per block: V and M of a block stay near 4 MB each, or hold one sample where that is larger (whole batches of
    /// 8 measured no different at 17², batch 8).
    var samplesPerBlock: Int {
        let g = geometry
        let perSample = transforms.points * max(g.inChannels, g.outChannels) * tiles * across * 4
        return max(1, min(g.batch, (4 << 20) / max(perSample, 1)))
    }

    /// output = conv2d(input, weight), overwritten; with `kept`, the weight's transform is the kept one, or made once and kept.
    func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, kept: KeptTransforms? = nil) {
        let g = geometry, points = transforms.points
        let blockSamples = samplesPerBlock
        let blockColumns = blockSamples * tiles * across
        let u = kept.transform("line winograd F(\(transforms.outputs), \(transforms.taps)) \(instructionSet.rawValue) \(g.outChannels)x\(g.inChannels)",
                               count: points * g.outChannels * g.inChannels) { transformWeight(weight, into: $0) }
        let v = TensorStorage(count: points * g.inChannels * blockColumns)
        let m = TensorStorage(count: points * g.outChannels * blockColumns + Self.matrixSlack)
        for first in Swift.stride(from: 0, to: g.batch, by: blockSamples) {
            let samples = min(blockSamples, g.batch - first)
            let columns = samples * tiles * across
            transformInput(input, samples: first..<(first + samples), into: v.pointer)
            let batch = ProductBatch(count: points, aStride: g.outChannels * g.inChannels, bStride: g.inChannels * columns,
                                     cStride: g.outChannels * columns)
            sgemm(transposeA: false, transposeB: false, m: g.outChannels, n: columns, k: g.inChannels, a: u.pointer, lda: g.inChannels,
                  b: v.pointer, ldb: columns, c: m.pointer, ldc: columns, batch: batch, instructionSet: instructionSet,
                  kernel: multipliesWithSkinnyKernels ? .skinny : nil)
            transformOutput(m.pointer, samples: first..<(first + samples), into: output)
        }
    }

    /// U[ξ][o][c] = Σ_k G[ξ][k]·w[o][c][k]; the stored weight [O, C, 1, r] or [O, C, r, 1] holds each filter's taps in a row.
    private func transformWeight(_ weight: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        let g = geometry, (taps, points) = (Int32(transforms.taps), Int32(transforms.points)), filters = g.outChannels * g.inChannels
        let kernels = instructionSet.kernels
        transforms.filter.withUnsafeBufferPointer { filter in
            parallelChunks(filters, minimumPerThread: 4096) { range in
                kernels.line_winograd_weight(taps, points, filter.baseAddress!, weight, filters, range.lowerBound, range.upperBound, u)
            }
        }
    }

    /// V[ξ][c][column] for the block's samples, column = (sample · tiles + t) · across + p: the tile t's α lines
    /// mt − padding … mt − padding + α − 1 combined by Bᵀ's row ξ. Each plane is first copied (transposed for 1 × r) into
    /// zero-bordered lines a whole number of vectors long, so every load is a whole vector.
    private func transformInput(_ input: UnsafePointer<Float>, samples: Range<Int>, into v: UnsafeMutablePointer<Float>) {
        let g = geometry, columns = samples.count * tiles * across, (tiles, across) = (tiles, across)
        let (taps, outputs) = kernelTile
        let kernels = instructionSet.kernels, positionStride = g.inChannels * columns, paddedAcross = paddedAcross
        forEachPlane(of: samples, channels: g.inChannels) { sample, c, lines in
            copyIntoLines(input + ((samples.lowerBound + sample) * g.inChannels + c) * g.inHeight * g.inWidth, lines)
            kernels.line_winograd_input(taps, outputs, tiles, across, lines, paddedAcross,
                                        v + c * columns + sample * tiles * across, across, positionStride)
        }
    }

    /// y[mt + i] = Σ_ξ Aᵀ[i][ξ]·M[ξ] for the block's samples, written back along the axis of the taps (transposed for
    /// 1 × r). M is read a vector at a time past each row's end: `matrixSlack` floats follow it.
    private func transformOutput(_ m: UnsafePointer<Float>, samples: Range<Int>, into output: UnsafeMutablePointer<Float>) {
        let g = geometry, columns = samples.count * tiles * across, (tiles, across) = (tiles, across)
        let (taps, outputs) = kernelTile
        let kernels = instructionSet.kernels, positionStride = g.outChannels * columns, paddedAcross = paddedAcross
        forEachPlane(of: samples, channels: g.outChannels) { sample, o, lines in
            kernels.line_winograd_output(taps, outputs, tiles, across, m + o * columns + sample * tiles * across, across, positionStride,
                                         lines, paddedAcross)
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

    /// The transforms' taps and outputs per tile, as the C kernels take them.
    private var kernelTile: (taps: Int32, outputs: Int32) { (Int32(transforms.taps), Int32(transforms.outputs)) }

    /// Floats after M's last row that a whole-vector load may read: a vector of the widest set.
    static let matrixSlack = KernelInstructionSet.allCases.map(\.vectorFloats).max()!

    /// Lines a whole number of the kernels' vectors long.
    private var paddedAcross: Int {
        let lanes = instructionSet.vectorFloats
        return (across + lanes - 1) / lanes * lanes
    }
    /// The input lines −padding … m·tiles + padding − 1, the zero border included (the output uses the first m·tiles).
    private var borderedLines: Int { transforms.outputs * tiles + transforms.taps - 1 }

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
