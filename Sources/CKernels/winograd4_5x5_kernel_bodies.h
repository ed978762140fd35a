// Winograd F(4×4, 5×5) forward kernels of ckernels.h (docs/engine-kernels.md "Winograd F(4×4, 5×5)"), included by
// kernel_bodies.h after winograd4_kernel_bodies.h (whose input and output transforms they use, with
// winograd_kernel_bodies.h's layout, packing and products), once per instruction set, as that file. No include guard.

// Each 4×4 block of output pixels ("tile") of a stride-1 5×5 convolution is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over its 8×8 input
// patch d, with the Toom–Cook matrices for the points 0, ±1, ±2, ±1/2 and ∞ (Bᵀ is F(6×6, 3×3)'s, which has the same
// points):
//   Bᵀ = [1 0 −21/4 0 21/4 0 −1 0; 0 1 1 −17/4 −17/4 1 1 0; 0 −1 1 17/4 −17/4 −1 1 0; 0 1/2 1/4 −5/2 −5/4 2 1 0;
//         0 −1/2 1/4 5/2 −5/4 −2 1 0; 0 2 4 −5/2 −5 1/2 1 0; 0 −2 4 5/2 −5 −1/2 1 0; 0 −1 0 21/4 0 −21/4 0 1],
//   G  = [1 0 0 0 0; −2/9·(1 1 1 1 1); −2/9·(1 −1 1 −1 1); 1/90·(1 2 4 8 16); 1/90·(1 −2 4 −8 16);
//         1/90·(64 32 16 8 4); 1/90·(64 −32 16 −8 4); 0 0 0 0 1],
//   Aᵀ = [1 1 1 1 1 1 1 0; 0 1 −1 2 −2 1/2 −1/2 0; 0 1 1 4 4 1/4 1/4 0; 0 1 −1 8 −8 1/8 −1/8 1].
// 64 products per tile and channel pair instead of the direct 400, so 4 per output pixel instead of 25. Its rounding is
// about F(4×4, 3×3)'s over four times the channels, which the 5×5 had taken before as four 3×3 blocks (largest error
// against float64 about 2.3e-5 of the outputs' RMS either way, mean error 2.6e-6 against 1.4e-6; docs/engine-kernels.md),
// so only callers that allow F(4×4, 3×3)'s rounding get it. Bands, vectors over tile columns, partial tiles and the
// overwritten tails are as in winograd_kernel_bodies.h.

// G·(a, b, c, d, e)ᵀ: one column (or row) of G g Gᵀ.
CK_INLINE void CK_NAME(winograd4_5x5_weight_column)(const CK_NAME(vector) g[5], CK_NAME(vector) *t, int step) {
    const float two_ninths = 2.0f / 9, ninetieth = 1.0f / 90;
    const CK_NAME(vector) even = (g[0] + g[2]) + g[4], odd = g[1] + g[3];
    const CK_NAME(vector) even_up = (g[0] + 4.0f * g[2]) + 16.0f * g[4], odd_up = 2.0f * g[1] + 8.0f * g[3];
    const CK_NAME(vector) even_down = (64.0f * g[0] + 16.0f * g[2]) + 4.0f * g[4], odd_down = 32.0f * g[1] + 8.0f * g[3];
    t[0 * step] = g[0];
    t[1 * step] = -two_ninths * (even + odd);
    t[2 * step] = -two_ninths * (even - odd);
    t[3 * step] = ninetieth * (even_up + odd_up);
    t[4 * step] = ninetieth * (even_up - odd_up);
    t[5 * step] = ninetieth * (even_down + odd_down);
    t[6 * step] = ninetieth * (even_down - odd_down);
    t[7 * step] = g[4];
}

// (G g Gᵀ)[i·8 + j] of the taps g (i·5 + j), for a vector of channel pairs.
CK_INLINE void CK_NAME(winograd4_5x5_transform_weight)(const CK_NAME(vector) *taps, CK_NAME(vector) *u) {
    CK_NAME(vector) t[8][5];
    for (int j = 0; j < 5; j++) {
        const CK_NAME(vector) column[5] = {taps[j], taps[5 + j], taps[10 + j], taps[15 + j], taps[20 + j]};
        CK_NAME(winograd4_5x5_weight_column)(column, &t[0][j], 5);
    }
    for (int i = 0; i < 8; i++) CK_NAME(winograd4_5x5_weight_column)(t[i], u + i * 8, 1);
}

// U[ξ][tile][c][r] = (G g Gᵀ)[ξ] of weight (o = tile·T + r, c) for 64 positions, T = CK_CONV_CHANNELS; addressing as
// conv3x3_pack, with 25 taps per channel pair.
static void CK_NAME(winograd4_5x5_pack)(long out_channels, long in_channels, const float *weight, long out_stride, long in_stride,
                                        bool flip, float *packed, long first_tile, long end_tile) {
    CK_NAME(winograd_pack_with)(64, 25, out_channels, in_channels, weight, out_stride, in_stride, flip, packed, first_tile, end_tile,
                                CK_NAME(winograd4_5x5_transform_weight));
}

CK_INLINE CK_NAME(winograd_layout) CK_NAME(winograd4_5x5_plan)(long out_channels, long in_channels, long rows, long out_width) {
    return CK_NAME(winograd_halo_plan)(64, 4, 4, out_channels, in_channels, rows, out_width, 1);
}

static long CK_NAME(winograd4_5x5_scratch)(long out_channels, long in_channels, long rows, long out_width) {
    return CK_NAME(winograd4_5x5_plan)(out_channels, in_channels, rows, out_width).scratch;
}

// Bᵀ·(d0 … d7) into t[0], t[step], …, t[7·step].
CK_INLINE void CK_NAME(winograd4_5x5_input_combine)(const CK_NAME(vector) d[8], float *t, long step) {
    const float quarter = 0.25f, half = 0.5f, five_quarters = 1.25f, five_halves = 2.5f, seventeen_quarters = 4.25f,
                twenty_one_quarters = 5.25f;
    // Rows 1–6 pair up as (even part) ± (odd part) of the patch's values.
    const CK_NAME(vector) even_one = (d[2] + d[6]) - seventeen_quarters * d[4], odd_one = (d[1] + d[5]) - seventeen_quarters * d[3];
    const CK_NAME(vector) even_two = (quarter * d[2] - five_quarters * d[4]) + d[6];
    const CK_NAME(vector) odd_two = (half * d[1] - five_halves * d[3]) + 2.0f * d[5];
    const CK_NAME(vector) even_half = (4.0f * d[2] - 5.0f * d[4]) + d[6], odd_half = (2.0f * d[1] - five_halves * d[3]) + half * d[5];
    CK_NAME(store)(t + 0 * step, (d[0] - d[6]) + twenty_one_quarters * (d[4] - d[2]));
    CK_NAME(store)(t + 1 * step, even_one + odd_one);
    CK_NAME(store)(t + 2 * step, even_one - odd_one);
    CK_NAME(store)(t + 3 * step, even_two + odd_two);
    CK_NAME(store)(t + 4 * step, even_two - odd_two);
    CK_NAME(store)(t + 5 * step, even_half + odd_half);
    CK_NAME(store)(t + 6 * step, even_half - odd_half);
    CK_NAME(store)(t + 7 * step, (d[7] - d[1]) + twenty_one_quarters * (d[3] - d[5]));
}

// Aᵀ·(m0 … m7): four vectors.
CK_INLINE void CK_NAME(winograd4_5x5_output_combine)(const CK_NAME(vector) *m, CK_NAME(vector) out[4]) {
    const CK_NAME(vector) sum12 = m[1] + m[2], difference12 = m[1] - m[2], sum34 = m[3] + m[4], difference34 = m[3] - m[4];
    const CK_NAME(vector) sum56 = m[5] + m[6], difference56 = m[5] - m[6];
    out[0] = ((m[0] + sum12) + sum34) + sum56;
    out[1] = (difference12 + 2.0f * difference34) + 0.5f * difference56;
    out[2] = (sum12 + 4.0f * sum34) + 0.25f * sum56;
    out[3] = ((difference12 + 8.0f * difference34) + 0.125f * difference56) + m[7];
}

// Output rows y0 ≤ y < y1 of output[o, y, x] (+)= Σ_c Σ_{i,j < 5} w[o, c, i, j]·input[c, y + i − pad, x + j − pad] (zero
// outside the input), by F(4×4, 5×5). With y0 a multiple of 4 (bands of whole tile rows) every pixel's result is the same
// whatever the bands.
static void CK_NAME(conv5x5_winograd4_rows)(long out_channels, long in_channels, long in_height, long in_width, long pad, long out_height,
                                            long out_width, const float *input, const float *packed, long y0, long y1, bool accumulate,
                                            float *output, float *scratch) {
    const CK_NAME(winograd_layout) l = CK_NAME(winograd4_5x5_plan)(out_channels, in_channels, y1 - y0, out_width);
    // Tile (ty, tx) reads the band's rows 4ty … 4ty + 7 and columns 4tx … 4tx + 7: image pixel (y0 + 4ty + i − pad, 4tx + j − pad).
    float *band = scratch, *v = scratch + l.transformed_input, *m = scratch + l.transformed_output;
    CK_NAME(copy_band)(in_channels, in_height, in_width, input, y0 - pad, l.band_rows, pad, l.padded_width, band);
    CK_NAME(winograd4_input_transform)(8, CK_NAME(winograd4_5x5_input_combine), in_channels, &l, band, v, scratch + l.temporaries);
    CK_NAME(winograd_band_products)(64, 0, out_channels, in_channels, &l, packed, v, m);
    CK_NAME(winograd4_output_transform)(8, CK_NAME(winograd4_5x5_output_combine), out_channels, out_height, out_width, &l, m, y0, y1,
                                        accumulate, output);
}
