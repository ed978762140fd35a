// The blocked row combinations of ckernels.h (docs/engine-kernels.md "Blocked products"), included by kernel_bodies.h
// after conv_kernel_bodies.h (whose register tile, CK_CONV_CHANNELS rows × CK_CONV_VECTORS vectors, they use), once per
// instruction set, as that file. No include guard.
//
// row_combinations reads all of B's depth for each tile of rows: past a few hundred rows of B its tiles stream B from the
// L2 at strides and run at a fraction of the FMA rate (Inception's 1×1 layers, 192–2048 deep, 83 GFLOP/s on 2 cores of a
// Zen 5). Here the depth runs in blocks of CK_BLOCK_DEPTH rows of a panel of CK_CONV_VECTORS vectors of columns (32 KB with
// 16 lanes, within the L1), which every tile of rows reads in turn. A tile's sums go to C after each block and start the next
// block from there, so each element is still one chain of multiply-adds over p in order, from 0 (or from C when
// accumulating): the blocks change no bits.

#define CK_BLOCK_DEPTH 128
// Columns of C per panel: a register tile's.
#define CK_BLOCK_COLUMNS (CK_CONV_VECTORS * CK_LANES)

// Rows r < `rows` (at most CK_CONV_CHANNELS) × `vectors` whole vectors of C: Σ_p A(r, p)·B[p, ·] over p < depth, from C
// when `from_c`, else from 0. A(r, p) = a[r·row_stride + p·depth_stride]; the tile's rows past `rows` repeat the last.
// `copy`, when not null, receives the rows of B it reads, CK_BLOCK_COLUMNS floats apart (blocked_block).
CK_INLINE void CK_NAME(blocked_tile)(int vectors, long rows, long depth, const float *a, long row_stride, long depth_stride,
                                     const float *b, long ldb, bool from_c, float *c, long ldc, float *copy) {
    enum { T = CK_CONV_CHANNELS };
    CK_NAME(vector) sums[T][CK_CONV_VECTORS];
    const float *lines[T];
    for (int r = 0; r < T; r++) {
        lines[r] = a + (r < rows ? r : rows - 1) * row_stride;
        for (int v = 0; v < vectors; v++) sums[r][v] = from_c && r < rows ? CK_NAME(load)(c + r * ldc + v * CK_LANES) : CK_NAME(splat)(0);
    }
    for (long p = 0; p < depth; p++) {
        CK_NAME(vector) in[CK_CONV_VECTORS];
        for (int v = 0; v < vectors; v++) in[v] = CK_NAME(load)(b + p * ldb + v * CK_LANES);
        if (copy) for (int v = 0; v < vectors; v++) CK_NAME(store)(copy + p * CK_BLOCK_COLUMNS + v * CK_LANES, in[v]);
        for (int r = 0; r < T; r++) {
            const CK_NAME(vector) factor = CK_NAME(splat)(lines[r][p * depth_stride]);
            for (int v = 0; v < vectors; v++) sums[r][v] = CK_NAME(multiply_add)(factor, in[v], sums[r][v]);
        }
    }
    for (long r = 0; r < rows; r++) for (int v = 0; v < vectors; v++) CK_NAME(store)(c + r * ldc + v * CK_LANES, sums[r][v]);
}

// Every tile of rows over one depth block of a panel of `vectors` whole vectors. With `copy` (B read in place), the first
// tile copies the block of B it reads there and the others read the copy: B's rows lie ldb floats apart, and where ldb is
// a multiple of 256 (1 KB; batch 4 into 33² has 1024 columns) they fall in a few of the L1's 64 sets and evict each
// other, so every tile would read them from the L2 again. Copied by a separate pass before the first tile, the block's
// rows were fetched with no multiply-adds to hide them behind (into 17² at batch 4 that took 1.03–1.08 of the time;
// docs/engine-kernels.md "Blocked products").
CK_INLINE void CK_NAME(blocked_block)(int vectors, long m, long depth, const float *a, long row_stride, long depth_stride,
                                      const float *b, long ldb, bool from_c, float *c, long ldc, float *copy) {
    for (long i = 0; i < m; i += CK_CONV_CHANNELS) {
        CK_NAME(blocked_tile)(vectors, m - i < CK_CONV_CHANNELS ? m - i : CK_CONV_CHANNELS, depth, a + i * row_stride, row_stride,
                              depth_stride, b, ldb, from_c, c + i * ldc, ldc, copy);
        if (copy) { b = copy; ldb = CK_BLOCK_COLUMNS; copy = 0; }
    }
}

// blocked_block with `vectors` a constant in each call, so the tile's sums stay in registers.
CK_INLINE void CK_NAME(blocked_block_of)(int vectors, long m, long depth, const float *a, long row_stride, long depth_stride,
                                         const float *b, long ldb, bool from_c, float *c, long ldc, float *copy) {
    switch (vectors) {
    case 1: CK_NAME(blocked_block)(1, m, depth, a, row_stride, depth_stride, b, ldb, from_c, c, ldc, copy); break;
    case 2: CK_NAME(blocked_block)(2, m, depth, a, row_stride, depth_stride, b, ldb, from_c, c, ldc, copy); break;
#if CK_CONV_VECTORS > 2
    case 3: CK_NAME(blocked_block)(3, m, depth, a, row_stride, depth_stride, b, ldb, from_c, c, ldc, copy); break;
    default: CK_NAME(blocked_block)(CK_CONV_VECTORS, m, depth, a, row_stride, depth_stride, b, ldb, from_c, c, ldc, copy); break;
#endif
    }
}

// B(p, j) of the depth block's rows p < depth and the panel's columns j < `columns`, into panel[p·W + j] with zeros up to
// W: B[p, j] in rows of ldb floats, or B[j, p] when `transpose_b` (then each of B's rows gives a column of the panel).
CK_INLINE void CK_NAME(blocked_pack)(long depth, long columns, const float *b, long ldb, bool transpose_b, float *panel) {
    enum { W = CK_BLOCK_COLUMNS };
    if (transpose_b) {
        for (long column = 0; column < W; column++) {
            CK_STRIDED_COPY
            for (long p = 0; p < depth; p++) panel[p * W + column] = column < columns ? b[column * ldb + p] : 0;
        }
        return;
    }
    for (long p = 0; p < depth; p++) {
        for (long column = 0; column < W; column++) panel[p * W + column] = column < columns ? b[p * ldb + column] : 0;
    }
}

// One depth block of a panel whose last vector is partial (`columns` not whole vectors), from its copy in `panel`: each
// tile of C through a copy of its first `columns` columns in `tile`, so every element keeps its chain.
CK_INLINE void CK_NAME(blocked_partial_block)(long m, long depth, long columns, const float *a, long row_stride, long depth_stride,
                                              const float *panel, bool from_c, float *c, long ldc, float *tile) {
    enum { T = CK_CONV_CHANNELS, W = CK_BLOCK_COLUMNS };
    const int vectors = (int)((columns + CK_LANES - 1) / CK_LANES);
    for (long i = 0; i < m; i += T) {
        const long rows = m - i < T ? m - i : T;
        if (from_c) for (long r = 0; r < rows; r++) __builtin_memcpy(tile + r * W, c + (i + r) * ldc, columns * sizeof(float));
        CK_NAME(blocked_block_of)(vectors, rows, depth, a + i * row_stride, row_stride, depth_stride, panel, W, from_c, tile, W, 0);
        for (long r = 0; r < rows; r++) __builtin_memcpy(c + (i + r) * ldc, tile + r * W, columns * sizeof(float));
    }
}

static void CK_NAME(blocked_products)(long m, long k, const float *a, long row_stride, long depth_stride, const float *b, long ldb,
                                      bool transpose_b, bool accumulate, float *c, long ldc, long j0, long j1) {
    enum { T = CK_CONV_CHANNELS, W = CK_BLOCK_COLUMNS };
    if (k == 0) {
        if (!accumulate) for (long i = 0; i < m; i++) __builtin_memset(c + i * ldc + j0, 0, (j1 - j0) * sizeof(float));
        return;
    }
    float panel[CK_BLOCK_DEPTH * W] __attribute__((aligned(64)));
    // Zeros past a partial panel's columns, which its tiles compute and never store: left as whatever the stack held, they
    // could be denormals, which slow the multiply-adds.
    float tile[T * W] __attribute__((aligned(64))) = {0};
    for (long j = j0; j < j1; j += W) {
        const long columns = j1 - j < W ? j1 - j : W;
        const bool whole = columns % CK_LANES == 0;
        // Where B's rows hold whole vectors, the first tile of each depth block reads them in place and, if there are more
        // tiles, copies them into the panel, which the others read (blocked_block); B transposed (A·Bᵀ, a weight gradient) or a partial last
        // vector is copied into the panel first, a depth block at a time (blocked_pack).
        const bool in_place = whole && !transpose_b;
        for (long p0 = 0; p0 < k; p0 += CK_BLOCK_DEPTH) {
            const long depth = k - p0 < CK_BLOCK_DEPTH ? k - p0 : CK_BLOCK_DEPTH;
            const bool from_c = accumulate || p0 > 0;
            const float *block = transpose_b ? b + j * ldb + p0 : b + p0 * ldb + j;
            if (!in_place) CK_NAME(blocked_pack)(depth, columns, block, ldb, transpose_b, panel);
            if (whole) {
                CK_NAME(blocked_block_of)((int)(columns / CK_LANES), m, depth, a + p0 * depth_stride, row_stride, depth_stride,
                                          in_place ? block : panel, in_place ? ldb : W, from_c, c + j, ldc,
                                          in_place && m > T ? panel : 0);
            } else {
                CK_NAME(blocked_partial_block)(m, depth, columns, a + p0 * depth_stride, row_stride, depth_stride, panel, from_c, c + j, ldc, tile);
            }
        }
    }
}
