// The Winograd kernel of ckernels.h for the generator's up-sampling, a stride-2 transposed 3×3 convolution without padding
// (output 2H + 1), by F(3×3, 2×2) over its four output parities (docs/engine-kernels.md "Winograd up-sampling"). Included
// by kernel_bodies.h after winograd_kernel_bodies.h (whose layout, packing and products it uses), once per instruction
// set, as that file. No include guard.
//
// Output pixel (2m + p, 2n + q) sums input pixels (m − a, n − b) with taps (2a + p, 2b + q): the even-even parity is a
// 2×2 correlation of the input with k = [w22 w20; w02 w00], the mixed ones 2×1 (taps [w21 w01] down the columns) and 1×2
// ([w12 w10] along the rows), the odd-odd one w11. A tile is parity pixels m … m + 2, n … n + 2 (output rows and columns
// 2m … 2m + 5), read from the 4×4 input patch d[r][s] = input[m − 1 + r, n − 1 + s]: F(3×3, 2×2) for the first parity
// (16 products), F(3, 2) down each of the patch's columns 1–3 and along each of its rows 1–3 for the mixed ones (12
// each), the patch's nine lower-right pixels for the last: 49 products per tile and channel pair, where the direct
// convolution has 81 and F(2×2) tiles of the same pixels 56¼. F(3, 2) is F(2, 3) transposed, with the points 0, ±1 and
// ∞: Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0; ½ ½; ½ −½; 0 −1], Aᵀ = [1 1 1 0; 0 1 −1 0; 0 1 1 1], so
// the transforms only add, subtract and halve. The 49 products use 25 distinct transformed weights; up_weight names
// each product's.
static const int CK_NAME(up_weight)[49] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,          // G k Gᵀ
    16, 17, 18, 19, 16, 17, 18, 19, 16, 17, 18, 19,                // G [w21 w01], patch columns 1–3
    20, 21, 22, 23, 20, 21, 22, 23, 20, 21, 22, 23,                // G [w12 w10], patch rows 1–3
    24, 24, 24, 24, 24, 24, 24, 24, 24,                            // w11
};

// G (g0, g1)ᵀ.
CK_INLINE void CK_NAME(f32_weight)(float g0, float g1, float *u, int step) {
    u[0 * step] = g0;
    u[1 * step] = 0.5f * (g0 + g1);
    u[2 * step] = 0.5f * (g0 - g1);
    u[3 * step] = -g1;
}

// The 25 transformed weights of one channel pair's taps w (i·3 + j), as up_weight numbers them.
CK_INLINE void CK_NAME(winograd_up_transform_weight)(const float w[9], float *u) {
    float rows[2][4];
    CK_NAME(f32_weight)(w[8], w[6], rows[0], 1);
    CK_NAME(f32_weight)(w[2], w[0], rows[1], 1);
    for (int j = 0; j < 4; j++) CK_NAME(f32_weight)(rows[0][j], rows[1][j], u + j, 4);
    CK_NAME(f32_weight)(w[7], w[1], u + 16, 1);
    CK_NAME(f32_weight)(w[5], w[3], u + 20, 1);
    u[24] = w[4];
}

static void CK_NAME(winograd_up_pack)(long out_channels, long in_channels, const float *weight, long out_stride, long in_stride,
                                      float *packed, long first_tile, long end_tile) {
    CK_NAME(winograd_pack_with)(25, out_channels, in_channels, weight, out_stride, in_stride, false, packed, first_tile, end_tile,
                                CK_NAME(winograd_up_transform_weight));
}

// F(3, 2)'s input transform of four values: Bᵀ d.
CK_INLINE void CK_NAME(f32_input)(CK_NAME(vector) d0, CK_NAME(vector) d1, CK_NAME(vector) d2, CK_NAME(vector) d3, CK_NAME(vector) t[4]) {
    t[0] = d0 - d2;
    t[1] = d1 + d2;
    t[2] = d2 - d1;
    t[3] = d1 - d3;
}

// F(3, 2)'s output transform of four products: Aᵀ m.
CK_INLINE void CK_NAME(f32_output)(CK_NAME(vector) m0, CK_NAME(vector) m1, CK_NAME(vector) m2, CK_NAME(vector) m3, CK_NAME(vector) y[3]) {
    y[0] = m0 + m1 + m2;
    y[1] = m1 - m2;
    y[2] = m1 + m2 + m3;
}

// V[ξ][c][t] for every tile of the band (parity rows m0 + 3ty …), vectorised over tile columns as winograd_input_transform:
// ξ 0–15 the patch's Bᵀ d B, 16–27 Bᵀ of its columns 1–3, 28–39 its rows 1–3 times B, 40–48 d[r][s] for r, s = 1–3.
CK_INLINE void CK_NAME(winograd_up_input_transform)(long in_channels, long height, long width, const CK_NAME(winograd_layout) *l,
                                                    const float *input, long m0, float *v) {
    const long position_stride = l->input_positions, third = l->columns + 1;
    float thirds[4][3 * third];
    for (long c = 0; c < in_channels; c++) {
        for (long ty = 0; ty < l->tile_rows; ty++) {
            CK_NAME(split_patch_rows)(input, c, height, width, m0 + 3 * ty - 1, 4, 3, 1, l->columns, thirds[0], third);
            for (long tx = 0; tx < l->columns; tx += CK_LANES) {
                CK_NAME(vector) d[4][4], rows[4][4];
                for (int r = 0; r < 4; r++) {
                    for (int s = 0; s < 4; s++) d[r][s] = CK_NAME(load)(thirds[r] + (s % 3) * third + tx + s / 3);
                    CK_NAME(f32_input)(d[r][0], d[r][1], d[r][2], d[r][3], rows[r]);
                }
                float *target = v + c * l->stride + ty * l->tiles_per_row + tx;
                for (int j = 0; j < 4; j++) {
                    CK_NAME(vector) column[4];
                    CK_NAME(f32_input)(rows[0][j], rows[1][j], rows[2][j], rows[3][j], column);
                    for (int i = 0; i < 4; i++) CK_NAME(store)(target + (i * 4 + j) * position_stride, column[i]);
                }
                for (int s = 1; s < 4; s++) {
                    CK_NAME(vector) column[4];
                    CK_NAME(f32_input)(d[0][s], d[1][s], d[2][s], d[3][s], column);
                    for (int i = 0; i < 4; i++) CK_NAME(store)(target + (16 + 4 * (s - 1) + i) * position_stride, column[i]);
                }
                for (int r = 1; r < 4; r++) {
                    for (int j = 0; j < 4; j++) CK_NAME(store)(target + (28 + 4 * (r - 1) + j) * position_stride, rows[r][j]);
                    for (int s = 1; s < 4; s++) CK_NAME(store)(target + (40 + 3 * (r - 1) + s - 1) * position_stride, d[r][s]);
                }
            }
        }
    }
}

#if CK_LANES == 8
// Three vectors of float pairs interleaved pair by pair: target's 12 pairs in the order (pair 0 of l0, l1, l2, pair 1 …).
CK_INLINE void CK_NAME(store_pairs3)(float *target, CK_NAME(vector) l0, CK_NAME(vector) l1, CK_NAME(vector) l2) {
    const CK_NAME(vector) first = __builtin_shufflevector(l0, l1, 0, 1, 8, 9, 2, 3, 2, 3);
    CK_NAME(store)(target, __builtin_shufflevector(first, l2, 0, 1, 2, 3, 8, 9, 4, 5));
    const CK_NAME(vector) second = __builtin_shufflevector(l0, l1, 10, 11, 4, 5, 12, 13, 4, 5);
    CK_NAME(store)(target + 8, __builtin_shufflevector(second, l2, 0, 1, 10, 11, 2, 3, 4, 5));
    const CK_NAME(vector) third = __builtin_shufflevector(l0, l1, 6, 7, 14, 15, 6, 7, 6, 7);
    CK_NAME(store)(target + 16, __builtin_shufflevector(third, l2, 12, 13, 0, 1, 2, 3, 14, 15));
}
#endif

// Stores the first `count` of six vectors interleaved: target[6x + k] = v[k][x].
CK_INLINE void CK_NAME(store_interleaved6_prefix)(float *target, const CK_NAME(vector) v[6], long count) {
    float values[6 * CK_LANES];
    float *into = count >= 6 * CK_LANES ? target : values;
#if CK_LANES == 8
    CK_NAME(store_pairs3)(into, CK_NAME(interleave_low)(v[0], v[1]), CK_NAME(interleave_low)(v[2], v[3]),
                          CK_NAME(interleave_low)(v[4], v[5]));
    CK_NAME(store_pairs3)(into + 24, CK_NAME(interleave_high)(v[0], v[1]), CK_NAME(interleave_high)(v[2], v[3]),
                          CK_NAME(interleave_high)(v[4], v[5]));
#else
    for (int x = 0; x < CK_LANES; x++) {
        for (int k = 0; k < 6; k++) into[6 * x + k] = v[k][x];
    }
#endif
    if (into == target) return;
    for (long x = 0; x < count; x++) target[x] = values[x];
}

// Aᵀ of each parity's products, stored interleaved: parity rows m = m0 + 3ty + i below m1 give output row 2m (columns 2n
// from the first parity, 2n + 1 from the second) and, when m < height, 2m + 1 (the third and fourth parities).
CK_INLINE void CK_NAME(winograd_up_output_transform)(long out_channels, long height, long width, const CK_NAME(winograd_layout) *l,
                                                     const float *m, long m0, long m1, float *output) {
    const long out_width = 2 * width + 1, plane = (2 * height + 1) * out_width;
    for (long o = 0; o < out_channels; o++) {
        for (long ty = 0; ty < l->tile_rows; ty++) {
            for (long tx = 0; tx < l->tiles_per_row; tx += CK_LANES) {
                const float *source = m + o * l->stride + ty * l->tiles_per_row + tx;
                CK_NAME(vector) p[49];
                for (int position = 0; position < 49; position++) p[position] = CK_NAME(load)(source + position * l->output_positions);
                // first[i][j]: Aᵀ M A of the first parity, columns first; second[i][j]: Aᵀ of column j's products;
                // third[i][j]: Aᵀ of row i's products.
                CK_NAME(vector) columns[3][4], first[3][3], second[3][3], third[3][3];
                for (int j = 0; j < 4; j++) {
                    CK_NAME(vector) y[3];
                    CK_NAME(f32_output)(p[j], p[4 + j], p[8 + j], p[12 + j], y);
                    for (int i = 0; i < 3; i++) columns[i][j] = y[i];
                }
                for (int i = 0; i < 3; i++) CK_NAME(f32_output)(columns[i][0], columns[i][1], columns[i][2], columns[i][3], first[i]);
                for (int j = 0; j < 3; j++) {
                    CK_NAME(vector) y[3];
                    CK_NAME(f32_output)(p[16 + 4 * j], p[17 + 4 * j], p[18 + 4 * j], p[19 + 4 * j], y);
                    for (int i = 0; i < 3; i++) second[i][j] = y[i];
                }
                for (int i = 0; i < 3; i++) CK_NAME(f32_output)(p[28 + 4 * i], p[29 + 4 * i], p[30 + 4 * i], p[31 + 4 * i], third[i]);
                const long count = out_width - 6 * tx;
                for (int i = 0; i < 3; i++) {
                    const long row = m0 + 3 * ty + i;
                    if (row >= m1) break;
                    float *even_row = output + o * plane + 2 * row * out_width + 6 * tx;
                    const CK_NAME(vector) even[6] = {first[i][0], second[i][0], first[i][1], second[i][1], first[i][2], second[i][2]};
                    CK_NAME(store_interleaved6_prefix)(even_row, even, count);
                    if (row >= height) continue;
                    const CK_NAME(vector) *fourth = p + 40 + 3 * i;
                    const CK_NAME(vector) odd[6] = {third[i][0], fourth[0], third[i][1], fourth[1], third[i][2], fourth[2]};
                    CK_NAME(store_interleaved6_prefix)(even_row + out_width, odd, count);
                }
            }
        }
    }
}

// The scratch of bands of at most `rows` parity rows: V and M only (the patches are split on the stack).
static long CK_NAME(winograd_up_scratch)(long out_channels, long in_channels, long rows, long width) {
    const CK_NAME(winograd_layout) l = CK_NAME(winograd_plan)(49, 3, out_channels, in_channels, rows, width + 1);
    return l.temporaries - l.transformed_input;
}

// Parity rows m0 ≤ m < m1 (output rows 2·m0 … 2·m1 − 1 inside the plane) of every output channel: the band's tiles
// transformed, the 49 products, transformed back.
static void CK_NAME(winograd_up_rows)(long out_channels, long in_channels, long height, long width, const float *input,
                                      const float *packed, long m0, long m1, float *output, float *scratch) {
    const CK_NAME(winograd_layout) l = CK_NAME(winograd_plan)(49, 3, out_channels, in_channels, m1 - m0, width + 1);
    float *v = scratch, *m = scratch + (l.transformed_output - l.transformed_input);
    CK_NAME(winograd_up_input_transform)(in_channels, height, width, &l, input, m0, v);
    CK_NAME(winograd_band_products)(49, CK_NAME(up_weight), out_channels, in_channels, &l, packed, v, m);
    CK_NAME(winograd_up_output_transform)(out_channels, height, width, &l, m, m0, m1, output);
}
