import COpenBLAS

/// The kernels a matrix product runs on (`sgemm`).
public enum ProductKernel: String, CaseIterable, Sendable {
    /// OpenBLAS's sgemm: every product.
    case openBLAS
    /// The engine's skinny kernels (`SkinnyGemm`): α = 1, β ∈ {0, 1}, at most one operand transposed.
    case skinny
    /// The engine's blocked kernels (`BlockedGemm`): α = 1, β ∈ {0, 1}, at most one operand transposed.
    case blocked

    /// Whether the active set sends a large op(A)·B (2048³) to the blocked kernels.
    public static var sendsLargeProductsToBlockedKernels: Bool {
        choice(alpha: 1, beta: 0, transposeA: false, transposeB: false, m: 2048, n: 2048, k: 2048, instructionSet: .active) == .blocked
    }

    /// Whether this kernel computes such a product at all.
    func takes(alpha: Float, beta: Float, transposeA: Bool, transposeB: Bool) -> Bool {
        switch self {
        case .openBLAS: true
        case .skinny: SkinnyGemm.takes(alpha: alpha, beta: beta, transposeA: transposeA, transposeB: transposeB)
        case .blocked: BlockedGemm.takes(alpha: alpha, beta: beta, transposeA: transposeA, transposeB: transposeB)
        }
    }

    /// Where a product goes when its caller names no kernel: the blocked kernels where they suit the shape on this set,
    /// else the skinny ones where they suit it, else OpenBLAS.
    static func choice(alpha: Float, beta: Float, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                       instructionSet: KernelInstructionSet) -> ProductKernel {
        if blocked.takes(alpha: alpha, beta: beta, transposeA: transposeA, transposeB: transposeB)
            && BlockedGemm.suits(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, instructionSet: instructionSet) {
            return .blocked
        }
        if skinny.takes(alpha: alpha, beta: beta, transposeA: transposeA, transposeB: transposeB)
            && SkinnyGemm.suits(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k) {
            return .skinny
        }
        return .openBLAS
    }
}

/// C = α·op(A)·op(B) + β·C on row-major float buffers (op = optional transpose), by `kernel`, or where
/// `ProductKernel.choice` sends the shape. `batch` runs several products of this shape at fixed strides: the engine's
/// kernels split all of them across the threads at once, OpenBLAS takes them one by one.
@inline(__always)
func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, batch: ProductBatch = .single,
           instructionSet: KernelInstructionSet = .active, kernel: ProductKernel? = nil) {
    let kernel = kernel ?? ProductKernel.choice(alpha: alpha, beta: beta, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                                instructionSet: instructionSet)
    precondition(kernel.takes(alpha: alpha, beta: beta, transposeA: transposeA, transposeB: transposeB),
                 "the \(kernel.rawValue) kernels do not compute this kind of product (α \(alpha), β \(beta), transposes \(transposeA), \(transposeB))")
    switch kernel {
    case .blocked:
        Profiler.measure("gemm (blocked)") {
            BlockedGemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, accumulate: beta == 1,
                                 c: c, ldc: ldc, batch: batch, instructionSet: instructionSet)
        }
    case .skinny:
        Profiler.measure("gemm (skinny)") {
            SkinnyGemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                a: a, lda: lda, b: b, ldb: ldb, accumulate: beta == 1, c: c, ldc: ldc, batch: batch,
                                instructionSet: instructionSet)
        }
    case .openBLAS:
        Profiler.measure("sgemm") {
            for product in 0..<batch.count {
                cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(n), Int32(k), alpha, a + product * batch.aStride, Int32(lda), b + product * batch.bStride, Int32(ldb),
                            beta, c + product * batch.cStride, Int32(ldc))
            }
        }
    }
}

extension Tensor {
    /// 2-D matrix product op(a)·op(b), where op transposes when asked (no copy is made for it), by `kernel` or where
    /// `ProductKernel.choice` sends the shape (benchmarks name OpenBLAS for their yardstick).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
                              kernel: ProductKernel? = nil) throws -> Tensor {
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
                  a: a.pointer, lda: a.shape[1], b: b.pointer, ldb: b.shape[1], c: output.pointer, ldc: n, kernel: kernel) }
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
