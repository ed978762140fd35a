/// Matrix products for the skinny shapes small convolutions produce (8–64 output channels against
/// thousands of pixels), where OpenBLAS spends more time packing and synchronising threads than
/// computing. The register-tiled vector loops are C kernels built for each instruction set
/// (Sources/CKernels, docs/engine-kernels.md); this splits the work across the engine's threads by
/// columns. Row-major, C = αᵒᵖ(A)·ᵒᵖ(B) + β·C with β ∈ {0, 1}.
enum SkinnyGemm {
    /// Whether the kernels compute this kind of product at all: α = 1, β ∈ {0, 1}, at most one operand transposed.
    static func takes(alpha: Float, beta: Float, transposeA: Bool, transposeB: Bool) -> Bool {
        alpha == 1 && (beta == 0 || beta == 1) && !(transposeA && transposeB)
    }

    /// Whether this product is better served here than by OpenBLAS: a narrow side of at most 32, or of at
    /// most 64 when the whole product is small enough that OpenBLAS's packing and thread start-up dominate
    /// (measured with `toonkit bench train --network tiny64` and `bench kernels`: the 64-channel layers of a
    /// paper256 network at 128–256 px run faster in OpenBLAS, those of tiny64 faster here).
    /// The shape alone: a caller first checks that the kernels `take` the product.
    static func suits(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int) -> Bool {
        let narrow = transposeB ? max(m, n <= 1152 ? 0 : Int.max) : min(m, k)
        guard n >= 8 || transposeB else { return false }
        return narrow <= 32 || (narrow <= 64 && m * n * k <= 1 << 26)
    }

    /// `instructionSet`: the active one, except in tests and benchmarks that compare the kernel sets and in kernels built
    /// for a given set (LineWinograd).
    /// `batch` runs that many products of this shape, the i-th at a + i·aStride, b + i·bStride and c + i·cStride, with
    /// one split of all their columns across the threads: each product of the Winograd weight gradient's 16 (64 channels
    /// at 256², a band of 1024 tiles) takes about 25 µs per thread, a few times the cost of waking the workers.
    static func multiply(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                         a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, batch: ProductBatch = .single,
                         instructionSet: KernelInstructionSet = .active) {
        let kernels = instructionSet.kernels
        precondition(batch.count <= 1 || batch.cStride >= (m - 1) * ldc + n, "the batch's products would write over each other")
        if transposeB {
            // C[i, j] (+)= Σ_p A[i, p] · B[j, p]: dot products along the long shared dimension. Workers split
            // the rows of B (the columns of C) in groups of 4, the narrowest tile of the kernels.
            let groups = (n + 3) / 4
            parallelChunks(batch.count * groups, minimumPerThread: max(1, 65536 / max(m * k, 1))) { range in
                forEachPart(of: range, itemsPerPart: groups) { product, columns in
                    kernels.dot_products(m, k, a + product * batch.aStride, lda, b + product * batch.bStride, ldb, accumulate, c + product * batch.cStride, ldc,
                                         columns.lowerBound * 4, min(n, columns.upperBound * 4))
                }
            }
        } else {
            // C[i, j] (+)= Σ_p A(i, p) · B[p, j], with A(i, p) = A[i, p] or A[p, i]. Each worker owns a band of
            // columns, in multiples of 16 so only the last band has a partial tile.
            let rowStride = transposeA ? 1 : lda, depthStride = transposeA ? lda : 1
            let bands = (n + 15) / 16
            parallelChunks(batch.count * bands, minimumPerThread: max(1, 4096 / max(m * k / 16, 1))) { range in
                forEachPart(of: range, itemsPerPart: bands) { product, columns in
                    kernels.row_combinations(m, k, a + product * batch.aStride, rowStride, depthStride, b + product * batch.bStride, ldb, accumulate,
                                             c + product * batch.cStride, ldc, columns.lowerBound * 16, min(n, columns.upperBound * 16))
                }
            }
        }
    }
}

/// Products of one shape whose operands lie at fixed strides (in floats) from one to the next.
struct ProductBatch {
    let count: Int
    let aStride: Int, bStride: Int, cStride: Int

    static let single = ProductBatch(count: 1, aStride: 0, bStride: 0, cStride: 0)
}
