import COpenBLAS

/// C = op(A)·op(B) on row-major float buffers through OpenBLAS (op = optional transpose), or the engine's skinny
/// kernels of `instructionSet` for the shapes they serve better (`SkinnyGemm.suits`), or always with `skinny: true`.
/// `batch` runs several products of this shape at fixed strides: the skinny kernels split all of them across the threads
/// at once, OpenBLAS takes them one by one.
@inline(__always)
func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, batch: ProductBatch = .single,
           instructionSet: KernelInstructionSet = .active, skinny: Bool? = nil) {
    let skinnyTakes = SkinnyGemm.takes(alpha: alpha, beta: beta, transposeA: transposeA, transposeB: transposeB)
    precondition(skinny != true || skinnyTakes, "the skinny kernels take neither α ≠ 1, β ∉ {0, 1} nor two transposes")
    if skinnyTakes && (skinny ?? SkinnyGemm.suits(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k)) {
        Profiler.measure("gemm (skinny)") {
            SkinnyGemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                a: a, lda: lda, b: b, ldb: ldb, accumulate: beta == 1, c: c, ldc: ldc, batch: batch,
                                instructionSet: instructionSet)
        }
        return
    }
    Profiler.measure("sgemm") {
        for product in 0..<batch.count {
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a + product * batch.aStride, Int32(lda), b + product * batch.bStride, Int32(ldb),
                        beta, c + product * batch.cStride, Int32(ldc))
        }
    }
}

extension Tensor {
    /// 2-D matrix product op(a)·op(b), where op transposes when asked (no copy is made for it).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        guard a.rank == 2, b.rank == 2 else { throw EngineError.shapes("matmul", "needs 2-D operands", a.shape, b.shape) }
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else {
            throw EngineError.shapes("matmul", "inner dimensions differ (transposeA \(transposeA), transposeB \(transposeB))", a.shape, b.shape)
        }
        let output = try Tensor.zeros([m, n])
        Profiler.countMultiplyAdds(m * n * k)
        if m > 0 && n > 0 && k > 0 {
            Profiler.measure("matmul") { sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                  a: a.pointer, lda: a.shape[1], b: b.pointer, ldb: b.shape[1], c: output.pointer, ldc: n) }
        }
        return record("matmul", output: output, inputs: [a, b]) { g, _, needs in
            // C = op(A) op(B): d op(A) = G op(B)ᵀ, d op(B) = op(A)ᵀ G, written without explicit transposes.
            let gradA: Tensor? = !needs[0] ? nil : transposeA
                ? try matmul(b, g, transposeA: transposeB, transposeB: true)
                : try matmul(g, b, transposeA: false, transposeB: !transposeB)
            let gradB: Tensor? = !needs[1] ? nil : transposeB
                ? try matmul(g, a, transposeA: true, transposeB: transposeA)
                : try matmul(a, g, transposeA: !transposeA, transposeB: false)
            return [gradA, gradB]
        }
    }
}
