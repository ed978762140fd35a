/// Matrix products by the engine's blocked kernels (`blocked_products`, docs/engine-kernels.md "Blocked products"):
/// C = op(A)·op(B), in panels of a register tile's columns whose depth runs in blocks that stay in the L1 cache (B
/// transposed is copied a block at a time). Row-major, C = op(A)·op(B) + β·C with β ∈ {0, 1}; each element of C is one
/// chain of multiply-adds over the depth in order, from 0 (or from C when accumulating), whatever the blocks, panels,
/// threads or instruction set.
enum BlockedGemm {
    /// Whether the kernels compute this kind of product at all: α = 1, β ∈ {0, 1}, at most one operand transposed.
    static func takes(alpha: Float, beta: Float, transposeA: Bool, transposeB: Bool) -> Bool {
        alpha == 1 && (beta == 0 || beta == 1) && !(transposeA && transposeB)
    }

    /// Whether this product is better served here than by OpenBLAS or the skinny kernels. With AVX-512: op(A)·B unless the
    /// skinny kernels suit it and it is at most one depth block deep (their row tiles keep so little of B in the L1 anyway,
    /// and waste fewer rows on the narrowest products: tiny64's ToRGB, 3 rows); A·Bᵀ where OpenBLAS's kernels are not
    /// AVX-512's (with them it ran the weight gradients as fast or a little faster) and the skinny kernels' dot products do
    /// not suit it (narrow products with a long shared dimension). With 8 lanes OpenBLAS's AVX2 kernels were faster.
    /// `avx2x16`, which runs the 16-lane code to check it gives AVX2's bits, routes as AVX2 does: the kernels themselves are
    /// tested on every set. The shape alone: a caller first checks that the kernels `take` the product.
    static func suits(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, instructionSet: KernelInstructionSet,
                      blasCoreIsAVX512: Bool = EngineThreads.blasCoreIsAVX512) -> Bool {
        guard instructionSet == .avx512 else { return false }
        let skinny = SkinnyGemm.suits(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k)
        return transposeB ? !blasCoreIsAVX512 && !skinny : !skinny || k > instructionSet.kernels.blocked_depth
    }

    /// `batch` runs that many products of this shape, the i-th at a + i·aStride, b + i·bStride and c + i·cStride. The
    /// threads split the products' panels of columns, and each product's rows in groups of whole tiles when there are fewer
    /// panels than twice the threads (a 1×1 layer on an 8² plane is one panel per sample).
    static func multiply(transposeA: Bool, transposeB: Bool = false, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, batch: ProductBatch = .single,
                         instructionSet: KernelInstructionSet = .active) {
        guard m > 0, n > 0, batch.count > 0 else { return }
        precondition(batch.count <= 1 || batch.cStride >= (m - 1) * ldc + n, "the batch's products would write over each other")
        let kernels = instructionSet.kernels
        let width = kernels.blocked_panel_columns, tileRows = kernels.conv3x3_tile_channels
        let rowStride = transposeA ? 1 : lda, depthStride = transposeA ? lda : 1
        let panels = (n + width - 1) / width, rowTiles = (m + tileRows - 1) / tileRows
        let columnParts = batch.count * panels
        let rowGroups = min(rowTiles, max(1, (2 * EngineThreads.count + columnParts - 1) / columnParts))
        let rowsPerGroup = (rowTiles + rowGroups - 1) / rowGroups * tileRows
        // Consecutive items share a group of rows, so a thread's items reuse that group's rows of A.
        parallelChunks(columnParts * rowGroups, minimumPerThread: max(1, (1 << 18) / max(1, rowsPerGroup * width * max(k, 1)))) { items in
            for item in items {
                let (product, rest) = item.quotientAndRemainder(dividingBy: panels * rowGroups)
                let (group, panel) = rest.quotientAndRemainder(dividingBy: panels)
                let firstRow = group * rowsPerGroup, rows = min(rowsPerGroup, m - firstRow)
                guard rows > 0 else { continue }
                kernels.blocked_products(rows, k, a + product * batch.aStride + firstRow * rowStride, rowStride, depthStride,
                                         b + product * batch.bStride, ldb, transposeB, accumulate, c + product * batch.cStride + firstRow * ldc, ldc,
                                         panel * width, min(n, (panel + 1) * width))
            }
        }
    }
}
