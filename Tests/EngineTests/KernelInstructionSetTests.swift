@testable import Engine
import TestSupport
import Testing

/// Every instruction set this CPU supports against the baseline build of the same kernels, on lengths
/// that leave every kind of remainder (partial 16- and 32-column tiles, partial 2×4 and 2×8 dot tiles,
/// tails of k shorter than 8). The kernels form each sum in the same order on every set, so sets that
/// both fuse their products agree exactly and any difference is a bug, not rounding. x86-64's baseline
/// rounds each product before adding it (docs/engine-kernels.md); against it a product of depth k may
/// differ by the two computations' error bounds, (2k + 2)·2⁻²⁴·(Σ|a·b| + |c|). lerp, biasAct and its gradient, and the
/// FIR filter's passes round identically everywhere and are compared exactly with the Swift formulas they replaced.
@Suite struct KernelInstructionSetTests {
    static let edgeLengths = [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 65]

    @Test func everySupportedSetIsListedAndTheWidestIsTheDefault() throws {
        #expect(KernelInstructionSet.supported.first == .baseline)
        #expect(try KernelInstructionSet.fromEnvironment([:]) == KernelInstructionSet.widestSupported)
        #expect(try KernelInstructionSet.fromEnvironment([KernelInstructionSet.environmentVariable: ""]) == KernelInstructionSet.widestSupported)
        for set in KernelInstructionSet.supported {
            #expect(try KernelInstructionSet.fromEnvironment([KernelInstructionSet.environmentVariable: set.rawValue.uppercased()]) == set)
        }
    }

    @Test func unknownOrUnsupportedSetsAreRefused() throws {
        let unknown = #expect(throws: EngineError.self) { try KernelInstructionSet.fromEnvironment([KernelInstructionSet.environmentVariable: "sse9"]) }
        #expect(unknown?.message.contains("unknown instruction set 'sse9'; use one of baseline, avx2, avx512, avx2x16") == true)
        for set in KernelInstructionSet.allCases where !set.isSupported {
            let refused = #expect(throws: EngineError.self) { try KernelInstructionSet.fromEnvironment([KernelInstructionSet.environmentVariable: set.rawValue]) }
            #expect(refused?.message.contains("this CPU cannot run \(set.rawValue)") == true)
        }
    }

    @Test(arguments: [false, true])
    func rowCombinationsAgreeExactly(transposeA: Bool) throws {
        for m in [1, 2, 3, 4, 5, 9] {
            for n in Self.edgeLengths {
                for k in [0, 1, 3, 8, 17] {
                    try expectSetsAgree(transposeA: transposeA, transposeB: false, m: m, n: n, k: k)
                }
            }
        }
    }

    @Test func dotProductsAgreeExactly() throws {
        for m in [1, 2, 3, 5] {
            for n in [1, 2, 3, 4, 5, 7, 8, 9, 12, 17] {
                for k in Self.edgeLengths {
                    try expectSetsAgree(transposeA: false, transposeB: true, m: m, n: n, k: k)
                }
            }
        }
    }

    /// Long enough that the work is split across threads, so band and group boundaries between workers are covered.
    @Test func largeProductsAgreeExactly() throws {
        try expectSetsAgree(transposeA: false, transposeB: false, m: 32, n: 4096 + 40, k: 288)
        // 8-row tiles (16-lane sets from a depth of 128) over 3 and 13 rows, and the last columns past 16·⌊n/16⌋ by the
        // padded copy (depth ≤ 512) and by scalar chains (deeper).
        try expectSetsAgree(transposeA: false, transposeB: false, m: 3, n: 1225, k: 130)
        try expectSetsAgree(transposeA: true, transposeB: false, m: 13, n: 1225, k: 130)
        try expectSetsAgree(transposeA: false, transposeB: false, m: 5, n: 57, k: 600)
        try expectSetsAgree(transposeA: true, transposeB: false, m: 72, n: 1030, k: 8)
        try expectSetsAgree(transposeA: false, transposeB: true, m: 32, n: 290, k: 4096 + 5)
    }

    /// The blocked kernels on every set against the chain of multiply-adds each element must be: from 0 (or from C when
    /// accumulating) over p in order, fused where the set fuses. Depths of one and several blocks of 128 and a partial one,
    /// panels whole and partial (with whole vectors and a partial one), rows in whole and partial tiles of 6, both layouts of
    /// A, B as stored and transposed (copied a block at a time), leading dimensions tight and padded (as the Winograd weight
    /// gradient's band stride), and the thread split's groups of rows (a single panel) and of panels. Each product also
    /// runs as one call of the kernel over all its rows, so that tiles after the first read the copy of B's block that the
    /// first one makes, whatever the machine's threads (panels of 1 to 4 whole vectors).
    @Test(arguments: [(false, false), (true, false), (false, true)])
    func blockedProductsAreOneChainOverTheDepthInOrder(transposeA: Bool, transposeB: Bool) throws {
        for (m, n, k) in [(1, 1, 1), (6, 64, 128), (7, 65, 129), (13, 17, 300), (5, 100, 0), (25, 48, 257), (64, 64, 200), (3, 131, 40),
                          (20, 16, 200), (20, 32, 200)] {
            for padding in [0, 5] {
                let (aRows, aColumns) = transposeA ? (k, m) : (m, k), (bRows, bColumns) = transposeB ? (n, k) : (k, n)
                let (lda, ldb, ldc) = (aColumns + padding, bColumns + 2 * padding, n + 3 * padding)
                let a = GradCheck.random([aRows * lda], seed: 31), b = GradCheck.random([bRows * ldb], seed: 32)
                let initial = GradCheck.random([m * ldc], seed: 33)
                let (av, bv) = (a.scalars, b.scalars)
                for set in KernelInstructionSet.supported {
                    for accumulate in [false, true] {
                        var expected = accumulate ? initial.scalars : [Float](repeating: 0, count: m * ldc)
                        for i in 0..<m {
                            for j in 0..<n {
                                for p in 0..<k {
                                    let x = transposeA ? av[p * lda + i] : av[i * lda + p], y = transposeB ? bv[j * ldb + p] : bv[p * ldb + j]
                                    expected[i * ldc + j] = set.kernels.fuses_products ? expected[i * ldc + j].addingProduct(x, y) : expected[i * ldc + j] + x * y
                                }
                            }
                            // The padding between rows of C is left as it was.
                            for j in n..<ldc { expected[i * ldc + j] = initial.scalars[i * ldc + j] }
                        }
                        var c = initial, whole = initial
                        c.withUnsafeMutableBufferPointer { target in
                            BlockedGemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.pointer, lda: lda,
                                                 b: b.pointer, ldb: ldb, accumulate: accumulate, c: target.baseAddress!, ldc: ldc, instructionSet: set)
                        }
                        whole.withUnsafeMutableBufferPointer { target in
                            set.kernels.blocked_products(m, k, a.pointer, transposeA ? 1 : lda, transposeA ? lda : 1, b.pointer, ldb, transposeB,
                                                         accumulate, target.baseAddress!, ldc, 0, n)
                        }
                        for (result, call) in [(c, "split"), (whole, "one call")] {
                            #expect(mismatch(result.scalars.map(\.bitPattern), expected.map(\.bitPattern)) == nil,
                                    "\(set.rawValue), \(call), transposes \(transposeA), \(transposeB), m \(m) n \(n) k \(k), padding \(padding), accumulate \(accumulate)")
                        }
                    }
                }
            }
        }
    }

    /// Where products go unless their caller names a kernel, with AVX-512: op(A)·B to the blocked kernels (narrow ones of
    /// one depth block to the skinny kernels), A·Bᵀ to the
    /// skinny kernels' dot products where they suit it, else to the blocked kernels unless OpenBLAS runs AVX-512's kernels;
    /// on the other sets, `avx2x16` included, as before (the skinny kernels for narrow shapes, else OpenBLAS).
    @Test func productsGoToTheBlockedKernelsWithAVX512() {
        for set in KernelInstructionSet.supported {
            let avx512 = set == .avx512
            for transposeA in [false, true] {
                #expect(ProductKernel.choice(alpha: 1, beta: 0, transposeA: transposeA, transposeB: false, m: 448, n: 64, k: 2048,
                                             instructionSet: set) == (avx512 ? .blocked : .openBLAS))
                #expect(ProductKernel.choice(alpha: 1, beta: 1, transposeA: transposeA, transposeB: false, m: 16, n: 1225, k: 288,
                                             instructionSet: set) == (avx512 ? .blocked : .skinny))
                #expect(ProductKernel.choice(alpha: 1, beta: 0, transposeA: transposeA, transposeB: false, m: 3, n: 4096, k: 64,
                                             instructionSet: set) == .skinny)
            }
            #expect(ProductKernel.choice(alpha: 1, beta: 0, transposeA: false, transposeB: true, m: 16, n: 1000, k: 4096, instructionSet: set) == .skinny)
            #expect(ProductKernel.choice(alpha: 1, beta: 1, transposeA: false, transposeB: true, m: 512, n: 4608, k: 1024,
                                         instructionSet: set) == (avx512 && !EngineThreads.blasCoreIsAVX512 ? .blocked : .openBLAS))
            for blasCoreIsAVX512 in [false, true] {
                #expect(BlockedGemm.suits(transposeA: false, transposeB: true, m: 512, n: 4608, k: 1024, instructionSet: set,
                                          blasCoreIsAVX512: blasCoreIsAVX512) == (avx512 && !blasCoreIsAVX512))
                #expect(BlockedGemm.suits(transposeA: false, transposeB: false, m: 512, n: 4608, k: 1024, instructionSet: set,
                                          blasCoreIsAVX512: blasCoreIsAVX512) == avx512)
            }
            #expect(ProductKernel.choice(alpha: 1, beta: 0, transposeA: true, transposeB: true, m: 512, n: 512, k: 512, instructionSet: set) == .openBLAS)
            #expect(ProductKernel.choice(alpha: 2, beta: 0, transposeA: false, transposeB: false, m: 448, n: 64, k: 2048, instructionSet: set) == .openBLAS)
        }
    }

    /// What the skinny kernels compute at all, whatever the shape; sgemm sends them nothing else.
    @Test func skinnyKernelsTakeUnitAlphaBetaZeroOrOneAndAtMostOneTranspose() {
        #expect(SkinnyGemm.takes(alpha: 1, beta: 0, transposeA: false, transposeB: false))
        #expect(SkinnyGemm.takes(alpha: 1, beta: 0, transposeA: true, transposeB: false))
        #expect(SkinnyGemm.takes(alpha: 1, beta: 1, transposeA: false, transposeB: true))
        #expect(!SkinnyGemm.takes(alpha: 1, beta: 0, transposeA: true, transposeB: true))
        #expect(!SkinnyGemm.takes(alpha: 2, beta: 0, transposeA: false, transposeB: false))
        #expect(!SkinnyGemm.takes(alpha: 1, beta: 0.5, transposeA: false, transposeB: false))
    }

    /// A batch of products at fixed strides (the Winograd weight gradient's 16 positions, a 1×1 layer's samples) is split
    /// across the threads as a whole; each product must come out exactly as it does alone, on the skinny kernels (both shapes;
    /// on two or more threads, 64 × 64 × 1030 and 32 × 600 × 256 split a product between workers), on the blocked ones (3
    /// products of one panel: groups of rows; of 5 panels: panels) and on OpenBLAS, accumulating or not.
    @Test(arguments: [(false, 5, 70, 33, ProductKernel.skinny), (true, 7, 37, 300, .skinny), (true, 64, 64, 1030, .skinny),
                      (false, 32, 600, 256, .skinny), (false, 64, 64, 300, .blocked), (false, 13, 289, 140, .blocked), (true, 70, 200, 300, .blocked),
                      (true, 96, 80, 40, .openBLAS), (false, 80, 300, 70, .openBLAS)])
    func batchedProductsEqualOneByOne(transposeB: Bool, m: Int, n: Int, k: Int, kernel: ProductKernel) throws {
        let count = 3
        let (aCount, bCount, cCount) = (m * k + 5, n * k + 3, m * n + 7)
        let a = GradCheck.random([count * aCount], seed: 11), b = GradCheck.random([count * bCount], seed: 12), initial = GradCheck.random([count * cCount], seed: 13)
        let (lda, ldb) = (k, transposeB ? k : n)
        for accumulate in [false, true] {
            var batched = initial, single = initial
            batched.withUnsafeMutableBufferPointer { c in
                sgemm(transposeA: false, transposeB: transposeB, m: m, n: n, k: k, a: a.pointer, lda: lda, b: b.pointer, ldb: ldb,
                      beta: accumulate ? 1 : 0, c: c.baseAddress!, ldc: n, batch: ProductBatch(count: count, aStride: aCount, bStride: bCount, cStride: cCount),
                      kernel: kernel)
            }
            single.withUnsafeMutableBufferPointer { c in
                for product in 0..<count {
                    sgemm(transposeA: false, transposeB: transposeB, m: m, n: n, k: k, a: a.pointer + product * aCount, lda: lda,
                          b: b.pointer + product * bCount, ldb: ldb, beta: accumulate ? 1 : 0, c: c.baseAddress! + product * cCount, ldc: n,
                          kernel: kernel)
                }
            }
            #expect(mismatch(batched.scalars.map(\.bitPattern), single.scalars.map(\.bitPattern)) == nil, "m \(m) n \(n) k \(k), accumulate \(accumulate)")
        }
    }

    @Test(arguments: [Float(0.3), -0.2, 0.5, 0.7, 0.999, 1])
    func lerpAgreesExactlyWithTheSwiftFormula(weight: Float) throws {
        for n in Self.edgeLengths + [100_003] {
            let start = GradCheck.random([n], seed: 5), end = GradCheck.random([n], seed: 6)
            let expected = zip(start.scalars, end.scalars).map { s, e in
                abs(weight) < 0.5 ? s.addingProduct(weight, e - s) : e.addingProduct(-(1 - weight), e - s)
            }
            for set in KernelInstructionSet.supported {
                let result = lerpKernel(start, end, weight: weight, instructionSet: set).scalars
                #expect(result.map(\.bitPattern) == expected.map(\.bitPattern), "lerp with \(set.rawValue), n \(n), weight \(weight)")
            }
        }
    }

    @Test(arguments: [(Float(0.2), Float(2.0.squareRoot()), Float.infinity), (1, 1, 256), (0.2, 1.5, 0.25)])
    func biasActAgreesExactlyWithTheSwiftFormula(slope: Float, gain: Float, limit: Float) throws {
        for n in Self.edgeLengths {
            let source = GradCheck.random([n], seed: 21), addend = GradCheck.random([n], seed: 22)
            for (scaled, withAddend) in [(false, false), (true, false), (false, true), (true, true)] {
                let (scale, bias): (Float, Float) = (scaled ? 1.7 : 1, -0.3)
                let expected = source.scalars.indices.map { i -> Float in
                    var t = source.scalars[i]
                    if scaled { t *= scale }
                    if withAddend { t += addend.scalars[i] }
                    t += bias
                    return min(max((t > 0 ? t : t * slope) * gain, -limit), limit)
                }
                for set in KernelInstructionSet.supported {
                    var target = try Tensor.zeros([n])
                    target.withUnsafeMutableBufferPointer { out in
                        set.kernels.bias_act(n, source.pointer, scaled, scale, withAddend ? UnsafePointer(addend.pointer) : nil, bias, slope, gain, limit,
                                             out.baseAddress!)
                    }
                    #expect(mismatch(target.scalars.map(\.bitPattern), expected.map(\.bitPattern)) == nil,
                            "biasAct with \(set.rawValue), n \(n), scaled \(scaled), addend \(withAddend), limit \(limit)")
                }
            }
        }
    }

    /// biasAct's gradient given its output, against the Swift loop the kernel replaced, with outputs at ±limit, ±0 and NaN.
    @Test(arguments: [(Float(0.2), Float(2.0.squareRoot()), Float.infinity), (1, 1, 256), (0.2, 1.5, 0.25)])
    func biasActGradientAgreesExactlyWithTheSwiftFormula(slope: Float, gain: Float, limit: Float) throws {
        for n in Self.edgeLengths {
            let gradient = GradCheck.random([n], seed: 23).scalars
            let special: [Float] = [limit, -limit, 0, -0.0, .nan, 0.25, -0.25]
            let output = GradCheck.random([n], seed: 24).scalars.enumerated().map { i, y in i % 3 == 0 ? special[(i / 3) % special.count] : y }
            let expected = output.indices.map { i -> Float in
                let derivative = output[i] > 0 ? gain : gain * slope
                return abs(output[i]) < limit ? gradient[i] * derivative : 0
            }
            for set in KernelInstructionSet.supported {
                var target = [Float](repeating: 7, count: n)
                target.withUnsafeMutableBufferPointer { out in
                    set.kernels.bias_act_gradient(n, gradient, output, gain, gain * slope, limit, out.baseAddress!)
                }
                #expect(mismatch(target.map(\.bitPattern), expected.map(\.bitPattern)) == nil,
                        "biasActGradient with \(set.rawValue), n \(n), slope \(slope), gain \(gain), limit \(limit)")
            }
        }
    }

    /// The FIR filter's horizontal tap (every stride pair the pass uses, and a general one), horizontal rows at up = 1
    /// (0 to 6 taps at steps 1 to 3: the loops for up to 4 taps at steps 1 and 2, and tap by tap otherwise) and
    /// vertical row sums (0 to 6 rows: the 4-row loops and the row-by-row one), with signed zeros, infinities and NaN
    /// among the pixels.
    @Test func firKernelsAgreeExactlyWithTheSwiftFormula() throws {
        let pixels = Self.pixelsWithSpecialValues
        for count in Self.edgeLengths {
            for (sourceStride, targetStride) in [(1, 1), (2, 1), (1, 2), (3, 2)] {
                let source = pixels(max(1, count * sourceStride), 31), onto = pixels(max(1, count * targetStride), 32)
                var expected = onto
                for i in 0..<count { expected[i * targetStride] += -0.75 * source[i * sourceStride] }
                for set in KernelInstructionSet.supported {
                    var target = onto
                    target.withUnsafeMutableBufferPointer { set.kernels.fir_add_tap(count, -0.75, source, sourceStride, $0.baseAddress!, targetStride) }
                    #expect(mismatch(target.map(\.bitPattern), expected.map(\.bitPattern)) == nil,
                            "fir_add_tap with \(set.rawValue), count \(count), strides \(sourceStride), \(targetStride)")
                }
            }
            for taps in 0...6 {
                let weights = (0..<taps).map { Float($0) * 0.375 - 0.8 }
                for step in 1...3 {
                    // Exactly as long as the last output reads, so a read past it would show under a sanitiser.
                    let source = pixels(max(1, count == 0 ? 0 : (count - 1) * step + taps), 50 + UInt32(taps))
                    let expected = (0..<count).map { i in (0..<taps).reduce(Float(0)) { sum, t in sum + weights[t] * source[i * step + t] } }
                    for set in KernelInstructionSet.supported {
                        var out = [Float](repeating: 7, count: max(1, count))
                        out.withUnsafeMutableBufferPointer { set.kernels.fir_row(taps, weights, source, step, count, $0.baseAddress!) }
                        #expect(mismatch(Array(out.prefix(count)).map(\.bitPattern), expected.map(\.bitPattern)) == nil,
                                "fir_row with \(set.rawValue), \(taps) taps at step \(step), \(count) outputs")
                    }
                }
                let rows = pixels(max(1, taps * count), 40 + UInt32(taps))
                let expected = (0..<count).map { x in (0..<taps).reduce(Float(0)) { sum, k in sum + weights[k] * rows[k * count + x] } }
                for set in KernelInstructionSet.supported {
                    var out = [Float](repeating: 7, count: max(1, count))
                    rows.withUnsafeBufferPointer { rows in
                        // One pointer at least, so the list has an address when there are no rows.
                        let lines = (0..<max(1, taps)).map { rows.baseAddress! + $0 * count }
                        out.withUnsafeMutableBufferPointer { target in
                            lines.withUnsafeBufferPointer { set.kernels.fir_sum_rows(taps, weights, $0.baseAddress!, count, target.baseAddress!) }
                        }
                    }
                    #expect(mismatch(Array(out.prefix(count)).map(\.bitPattern), expected.map(\.bitPattern)) == nil,
                            "fir_sum_rows with \(set.rawValue), \(taps) rows of \(count)")
                }
            }
        }
    }

    /// col2im of the up-sampling geometry (`col2im_stride_two_rows`) on every set against the tap-by-tap formula: widths
    /// that are multiples of 8 (summed 8 output columns at a time) and others, image rows reached by no, one or two kernel
    /// rows (a block of output rows starting and ending inside the image), written and added onto an image holding signed
    /// zeros, infinities and NaN.
    @Test func col2imStrideTwoRowsAgreeExactlyWithTheScatter() throws {
        let (height, blockStart, blockEnd) = (4, 1, 3)
        for width in [1, 3, 7, 8, 9, 16, 24] {
            let inWidth = 2 * width + 1, inHeight = 2 * height + 1, columns = (blockEnd - blockStart) * width + 5
            let sample = Self.pixelsWithSpecialValues(9 * columns, 61), image = Self.pixelsWithSpecialValues(inHeight * inWidth, 62)
            for overwriting in [false, true] {
                var expected = image
                for iy in 0..<inHeight {
                    var kernelRows = [(i: Int, oy: Int)]()
                    if (blockStart..<blockEnd).contains(iy / 2) { kernelRows.append((iy % 2, iy / 2)) }
                    if iy % 2 == 0, (blockStart..<blockEnd).contains(iy / 2 - 1) { kernelRows.append((2, iy / 2 - 1)) }
                    for ix in 0..<inWidth {
                        var sum: Float = 0
                        for (i, oy) in kernelRows {
                            for j in ix % 2 == 0 ? [0, 2] : [1] where ix >= j && (ix - j) / 2 < width {
                                sum = sum + sample[(3 * i + j) * columns + (oy - blockStart) * width + (ix - j) / 2]
                            }
                        }
                        expected[iy * inWidth + ix] = overwriting ? sum : expected[iy * inWidth + ix] + sum
                    }
                }
                for set in KernelInstructionSet.supported {
                    var plane = image
                    plane.withUnsafeMutableBufferPointer {
                        set.kernels.col2im_stride_two_rows(width, columns, sample, blockStart, blockEnd, 0, inHeight, $0.baseAddress!, overwriting)
                    }
                    #expect(mismatch(plane.map(\.bitPattern), expected.map(\.bitPattern)) == nil,
                            "col2im_stride_two_rows with \(set.rawValue), width \(width), overwriting \(overwriting)")
                }
            }
        }
    }

    /// Random values with every fifth one a signed zero, an infinity, NaN, a large or a plain value.
    static func pixelsWithSpecialValues(_ n: Int, _ seed: UInt32) -> [Float] {
        let special: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 3e38, -1.5]
        return GradCheck.random([n], seed: seed).scalars.enumerated().map { i, x in i % 5 == 0 ? special[(i / 5) % special.count] : x }
    }

    /// C = op(A)·op(B) with each set, from zero and accumulated onto a random C, compared with the baseline
    /// (see the suite's comment); the baseline itself is checked against a double-precision product.
    private func expectSetsAgree(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int) throws {
        let a = GradCheck.random(transposeA ? [k, m] : [m, k], seed: 11), b = GradCheck.random(transposeB ? [n, k] : [k, n], seed: 12)
        let initial = GradCheck.random([m, n], seed: 13)
        let label = "transposeA \(transposeA), transposeB \(transposeB), m \(m), n \(n), k \(k)"
        for accumulate in [false, true] {
            let reference = product(a, b, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, onto: initial, accumulate: accumulate,
                                    instructionSet: .baseline)
            let (av, bv, cv) = (a.scalars, b.scalars, initial.scalars)
            var worst = 0.0
            var magnitudes = [Double](repeating: 0, count: m * n)
            for i in 0..<m {
                for j in 0..<n {
                    var total = accumulate ? Double(cv[i * n + j]) : 0
                    magnitudes[i * n + j] = abs(total)
                    for p in 0..<k {
                        let term = Double(transposeA ? av[p * m + i] : av[i * k + p]) * Double(transposeB ? bv[j * k + p] : bv[p * n + j])
                        total += term
                        magnitudes[i * n + j] += abs(term)
                    }
                    worst = max(worst, abs(total - Double(reference[i * n + j])) / (Double(k).squareRoot() + 1))
                }
            }
            #expect(worst < 1e-5, "baseline against doubles, \(label), accumulate \(accumulate)")
            // The sets that fuse where the baseline does not form every sum alike, 8 lanes or 16, so they agree with each
            // other to the bit.
            var firstFused: (set: KernelInstructionSet, result: [Float])?
            for set in KernelInstructionSet.supported where set != .baseline {
                let result = product(a, b, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, onto: initial, accumulate: accumulate,
                                     instructionSet: set)
                if set.kernels.fuses_products == KernelInstructionSet.baseline.kernels.fuses_products {
                    #expect(result.map(\.bitPattern) == reference.map(\.bitPattern), "\(set.rawValue) against baseline, \(label), accumulate \(accumulate)")
                } else {
                    let bound = Double(2 * k + 2) * 0x1p-24
                    let outside = result.indices.filter { abs(Double(result[$0]) - Double(reference[$0])) > bound * magnitudes[$0] }
                    #expect(outside.isEmpty, "\(set.rawValue) against baseline beyond the rounding bound at \(outside.prefix(4)), \(label), accumulate \(accumulate)")
                    if let firstFused {
                        #expect(mismatch(result.map(\.bitPattern), firstFused.result.map(\.bitPattern)) == nil,
                                "\(set.rawValue) against \(firstFused.set.rawValue), \(label), accumulate \(accumulate)")
                    }
                    firstFused = firstFused ?? (set, result)
                }
            }
        }
    }

    private func product(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, onto initial: Tensor,
                         accumulate: Bool, instructionSet: KernelInstructionSet) -> [Float] {
        var c = initial
        c.withUnsafeMutableBufferPointer { target in
            SkinnyGemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.pointer, lda: a.shape[1],
                                b: b.pointer, ldb: b.shape[1], accumulate: accumulate, c: target.baseAddress!, ldc: n,
                                instructionSet: instructionSet)
        }
        return c.scalars
    }
}
