/// Matrix products for the skinny shapes small convolutions produce (8–64 output channels against
/// thousands of pixels), where OpenBLAS spends more time packing and synchronising threads than
/// computing. Vectorised with SIMD8 over the long dimension, register-tiled, and split across the
/// engine's threads by columns. Row-major, C = αᵒᵖ(A)·ᵒᵖ(B) + β·C with β ∈ {0, 1}.
enum SkinnyGemm {
    typealias Vector = SIMD8<Float>

    /// Whether this product is better served here than by OpenBLAS: a narrow side of at most 32, or of at
    /// most 64 when the whole product is small enough that OpenBLAS's packing and thread start-up dominate
    /// (measured with `toonkit bench train --network tiny64` and `bench kernels`: the 64-channel layers of a
    /// paper256 network at 128–256 px run faster in OpenBLAS, those of tiny64 faster here).
    static func suits(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int) -> Bool {
        let narrow = transposeB ? max(m, n <= 1152 ? 0 : Int.max) : min(m, k)
        guard !(transposeA && transposeB), n >= 8 || transposeB else { return false }
        return narrow <= 32 || (narrow <= 64 && m * n * k <= 1 << 26)
    }

    static func multiply(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                         a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if transposeB {
            dotProducts(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, accumulate: accumulate, c: c, ldc: ldc)
        } else {
            rowCombinations(transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, accumulate: accumulate, c: c, ldc: ldc)
        }
    }

    /// C[i, j] (+)= Σ_p A(i, p) · B[p, j], with A(i, p) = A[i, p] or A[p, i]. Each worker owns a band of
    /// columns; inside it, 4 rows × 16 columns of C stay in registers while p runs.
    private static func rowCombinations(transposeA: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                        b: UnsafePointer<Float>, ldb: Int, accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let rowStride = transposeA ? 1 : lda, depthStride = transposeA ? lda : 1
        let bands = (n + 15) / 16
        parallelChunks(bands, minimumPerThread: max(1, 4096 / max(m * k / 16, 1))) { range in
            for band in range {
                let j0 = band * 16
                let width = min(16, n - j0)
                var i = 0
                while i < m {
                    let rows = min(4, m - i)
                    if width == 16 {
                        tile4x16(rows: rows, k: k, a: a + i * rowStride, rowStride: rowStride, depthStride: depthStride,
                                 b: b + j0, ldb: ldb, accumulate: accumulate, c: c + i * ldc + j0, ldc: ldc)
                    } else {
                        for r in 0..<rows {
                            for j in 0..<width {
                                var total: Float = accumulate ? c[(i + r) * ldc + j0 + j] : 0
                                for p in 0..<k { total += a[(i + r) * rowStride + p * depthStride] * b[p * ldb + j0 + j] }
                                c[(i + r) * ldc + j0 + j] = total
                            }
                        }
                    }
                    i += rows
                }
            }
        }
    }

    @inline(__always)
    private static func tile4x16(rows: Int, k: Int, a: UnsafePointer<Float>, rowStride: Int, depthStride: Int,
                                 b: UnsafePointer<Float>, ldb: Int, accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int) {
        var c00 = Vector(), c01 = Vector(), c10 = Vector(), c11 = Vector()
        var c20 = Vector(), c21 = Vector(), c30 = Vector(), c31 = Vector()
        let r1 = min(1, rows - 1) * rowStride, r2 = min(2, rows - 1) * rowStride, r3 = min(3, rows - 1) * rowStride
        for p in 0..<k {
            let row = UnsafeRawPointer(b + p * ldb)
            let b0 = row.loadUnaligned(as: Vector.self), b1 = row.loadUnaligned(fromByteOffset: 32, as: Vector.self)
            let ap = a + p * depthStride
            let a0 = Vector(repeating: ap[0]), a1 = Vector(repeating: ap[r1])
            let a2 = Vector(repeating: ap[r2]), a3 = Vector(repeating: ap[r3])
            c00 = c00.addingProduct(a0, b0); c01 = c01.addingProduct(a0, b1)
            c10 = c10.addingProduct(a1, b0); c11 = c11.addingProduct(a1, b1)
            c20 = c20.addingProduct(a2, b0); c21 = c21.addingProduct(a2, b1)
            c30 = c30.addingProduct(a3, b0); c31 = c31.addingProduct(a3, b1)
        }
        store(c00, c01, row: c, accumulate: accumulate)
        if rows > 1 { store(c10, c11, row: c + ldc, accumulate: accumulate) }
        if rows > 2 { store(c20, c21, row: c + 2 * ldc, accumulate: accumulate) }
        if rows > 3 { store(c30, c31, row: c + 3 * ldc, accumulate: accumulate) }
    }

    @inline(__always)
    private static func store(_ low: Vector, _ high: Vector, row: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let target = UnsafeMutableRawPointer(row)
        var (low, high) = (low, high)
        if accumulate {
            low += target.loadUnaligned(as: Vector.self)
            high += target.loadUnaligned(fromByteOffset: 32, as: Vector.self)
        }
        target.storeBytes(of: low, as: Vector.self)
        target.storeBytes(of: high, toByteOffset: 32, as: Vector.self)
    }

    /// C[i, j] (+)= Σ_p A[i, p] · B[j, p]: dot products along the long shared dimension, 2 × 4 of them at
    /// a time in SIMD8 partial sums. Workers split the rows of B (the columns of C).
    private static func dotProducts(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                    accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let groups = (n + 3) / 4
        parallelChunks(groups, minimumPerThread: max(1, 65536 / max(m * k, 1))) { range in
            for group in range {
                let j0 = group * 4
                let columns = min(4, n - j0)
                var i = 0
                while i < m {
                    let rows = min(2, m - i)
                    dot2x4(rows: rows, columns: columns, k: k, a: a + i * lda, lda: lda, b: b + j0 * ldb, ldb: ldb) { r, j, total in
                        let index = (i + r) * ldc + j0 + j
                        c[index] = (accumulate ? c[index] : 0) + total
                    }
                    i += rows
                }
            }
        }
    }

    @inline(__always)
    private static func dot2x4(rows: Int, columns: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                               _ emit: (_ row: Int, _ column: Int, _ total: Float) -> Void) {
        var s00 = Vector(), s01 = Vector(), s02 = Vector(), s03 = Vector()
        var s10 = Vector(), s11 = Vector(), s12 = Vector(), s13 = Vector()
        let a1 = a + min(1, rows - 1) * lda
        let b1 = b + min(1, columns - 1) * ldb, b2 = b + min(2, columns - 1) * ldb, b3 = b + min(3, columns - 1) * ldb
        var p = 0
        while p + 8 <= k {
            let x0 = UnsafeRawPointer(a + p).loadUnaligned(as: Vector.self), x1 = UnsafeRawPointer(a1 + p).loadUnaligned(as: Vector.self)
            let y0 = UnsafeRawPointer(b + p).loadUnaligned(as: Vector.self), y1 = UnsafeRawPointer(b1 + p).loadUnaligned(as: Vector.self)
            let y2 = UnsafeRawPointer(b2 + p).loadUnaligned(as: Vector.self), y3 = UnsafeRawPointer(b3 + p).loadUnaligned(as: Vector.self)
            s00 = s00.addingProduct(x0, y0); s01 = s01.addingProduct(x0, y1); s02 = s02.addingProduct(x0, y2); s03 = s03.addingProduct(x0, y3)
            s10 = s10.addingProduct(x1, y0); s11 = s11.addingProduct(x1, y1); s12 = s12.addingProduct(x1, y2); s13 = s13.addingProduct(x1, y3)
            p += 8
        }
        // The tail of k (fewer than 8 left) and the horizontal sums.
        func finish(_ partial: Vector, _ rowA: UnsafePointer<Float>, _ rowB: UnsafePointer<Float>) -> Float {
            var total = partial.sum()
            for q in p..<k { total += rowA[q] * rowB[q] }
            return total
        }
        let columnRows = (b, b1, b2, b3)
        for r in 0..<rows {
            let rowA = r == 0 ? a : a1
            let partials = r == 0 ? (s00, s01, s02, s03) : (s10, s11, s12, s13)
            emit(r, 0, finish(partials.0, rowA, columnRows.0))
            if columns > 1 { emit(r, 1, finish(partials.1, rowA, columnRows.1)) }
            if columns > 2 { emit(r, 2, finish(partials.2, rowA, columnRows.2)) }
            if columns > 3 { emit(r, 3, finish(partials.3, rowA, columnRows.3)) }
        }
    }
}
