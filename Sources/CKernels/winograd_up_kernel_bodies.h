// The Winograd kernel of ckernels.h for the generator's up-sampling, a stride-2 transposed 3×3 convolution without padding
// (output 2H + 1), by F(3×3, 2×2) over its four output parities (docs/engine-kernels.md "Winograd up-sampling"). Included
// by kernel_bodies.h after winograd_kernel_bodies.h (whose layout, packing, row splitting, F(2, 3) input transform,
// products and staged stores it uses) and conv_kernel_bodies.h (interleave_low and interleave_high), once per
// instruction set, as those files. No include guard.
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

// F(3, 2)'s weight transform: G (g0, g1)ᵀ, stored `step` floats apart.
CK_INLINE void CK_NAME(f3_2_weight)(CK_NAME(vector) g0, CK_NAME(vector) g1, CK_NAME(vector) *u, int step) {
    u[0 * step] = g0;
    u[1 * step] = 0.5f * (g0 + g1);
    u[2 * step] = 0.5f * (g0 - g1);
    u[3 * step] = -g1;
}

// The 25 transformed weights of a vector of channel pairs' taps w (i·3 + j), as up_weight numbers them.
CK_INLINE void CK_NAME(winograd_up_transform_weight)(const CK_NAME(vector) w[9], CK_NAME(vector) *u) {
    CK_NAME(vector) rows[2][4];
    CK_NAME(f3_2_weight)(w[8], w[6], rows[0], 1);
    CK_NAME(f3_2_weight)(w[2], w[0], rows[1], 1);
    for (int j = 0; j < 4; j++) CK_NAME(f3_2_weight)(rows[0][j], rows[1][j], u + j, 4);
    CK_NAME(f3_2_weight)(w[7], w[1], u + 16, 1);
    CK_NAME(f3_2_weight)(w[5], w[3], u + 20, 1);
    u[24] = w[4];
}

static void CK_NAME(winograd_up_pack)(long out_channels, long in_channels, const float *weight, long out_stride, long in_stride,
                                      float *packed, long first_tile, long end_tile) {
    CK_NAME(winograd_pack_with)(25, 9, out_channels, in_channels, weight, out_stride, in_stride, false, packed, first_tile, end_tile,
                                CK_NAME(winograd_up_transform_weight));
}

// F(3, 2)'s output transform of four products: Aᵀ m.
CK_INLINE void CK_NAME(f3_2_output)(CK_NAME(vector) m0, CK_NAME(vector) m1, CK_NAME(vector) m2, CK_NAME(vector) m3, CK_NAME(vector) y[3]) {
    y[0] = m0 + m1 + m2;
    y[1] = m1 - m2;
    y[2] = m1 + m2 + m3;
}

// V[ξ][c][t] for every tile of the band (parity rows m0 + 3ty …), vectorised over tile columns as winograd_input_transform:
// ξ 0–15 the patch's Bᵀ d B, 16–27 Bᵀ of its columns 1–3, 28–39 its rows 1–3 times B, 40–48 d[r][s] for r, s = 1–3.
// Rows and columns past the plane read as zeros.
CK_INLINE void CK_NAME(winograd_up_input_transform)(long in_channels, long height, long width, const CK_NAME(winograd_layout) *l,
                                                    const float *input, long m0, float *v) {
    const long position_stride = l->input_positions, phase_stride = l->columns + 1;
    float phases[4 * 3 * phase_stride];
    for (long c = 0; c < in_channels; c++) {
        for (long ty = 0; ty < l->tile_rows; ty++) {
            CK_NAME(split_patch_rows)(input, c, height, width, m0 + 3 * ty - 1, 4, 3, 1, l->columns, phases, phase_stride);
            for (long tx = 0; tx < l->columns; tx += CK_LANES) {
                CK_NAME(vector) d[4][4], rows[4][4];
                for (int r = 0; r < 4; r++) {
                    for (int s = 0; s < 4; s++) d[r][s] = CK_NAME(load)(phases + (r * 3 + s % 3) * phase_stride + tx + s / 3);
                    CK_NAME(f2_3_input)(d[r][0], d[r][1], d[r][2], d[r][3], rows[r]);
                }
                float *target = v + c * l->stride + ty * l->tiles_per_row + tx;
                for (int j = 0; j < 4; j++) {
                    CK_NAME(vector) column[4];
                    CK_NAME(f2_3_input)(rows[0][j], rows[1][j], rows[2][j], rows[3][j], column);
                    for (int i = 0; i < 4; i++) CK_NAME(store)(target + (i * 4 + j) * position_stride, column[i]);
                }
                for (int s = 1; s < 4; s++) {
                    CK_NAME(vector) column[4];
                    CK_NAME(f2_3_input)(d[0][s], d[1][s], d[2][s], d[3][s], column);
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

// Three vectors of float pairs interleaved pair by pair: target's 3·CK_LANES / 2 pairs in the order (pair 0 of l0, l1, l2,
// pair 1 …), two shuffles per vector stored.
CK_INLINE void CK_NAME(store_pairs3)(float *target, CK_NAME(vector) l0, CK_NAME(vector) l1, CK_NAME(vector) l2) {
#if CK_LANES == 8
    const CK_NAME(vector) first = __builtin_shufflevector(l0, l1, 0, 1, 8, 9, 2, 3, 2, 3);
    CK_NAME(store)(target, __builtin_shufflevector(first, l2, 0, 1, 2, 3, 8, 9, 4, 5));
    const CK_NAME(vector) second = __builtin_shufflevector(l0, l1, 10, 11, 4, 5, 12, 13, 4, 5);
    CK_NAME(store)(target + 8, __builtin_shufflevector(second, l2, 0, 1, 10, 11, 2, 3, 4, 5));
    const CK_NAME(vector) third = __builtin_shufflevector(l0, l1, 6, 7, 14, 15, 6, 7, 6, 7);
    CK_NAME(store)(target + 16, __builtin_shufflevector(third, l2, 12, 13, 0, 1, 2, 3, 14, 15));
#else
    const CK_NAME(vector) first = __builtin_shufflevector(l0, l1, 0, 1, 16, 17, 0, 1, 2, 3, 18, 19, 0, 1, 4, 5, 20, 21);
    CK_NAME(store)(target, __builtin_shufflevector(first, l2, 0, 1, 2, 3, 16, 17, 6, 7, 8, 9, 18, 19, 12, 13, 14, 15));
    const CK_NAME(vector) second = __builtin_shufflevector(l0, l1, 0, 1, 6, 7, 22, 23, 0, 1, 8, 9, 24, 25, 0, 1, 10, 11);
    CK_NAME(store)(target + 16, __builtin_shufflevector(second, l2, 20, 21, 2, 3, 4, 5, 22, 23, 8, 9, 10, 11, 24, 25, 14, 15));
    const CK_NAME(vector) third = __builtin_shufflevector(l0, l1, 26, 27, 0, 1, 12, 13, 28, 29, 0, 1, 14, 15, 30, 31, 0, 1);
    CK_NAME(store)(target + 32, __builtin_shufflevector(third, l2, 0, 1, 26, 27, 4, 5, 6, 7, 28, 29, 10, 11, 12, 13, 30, 31));
#endif
}

// Stores the first `count` of six vectors interleaved: target[6x + k] = v[k][x].
CK_INLINE void CK_NAME(store_interleaved6_prefix)(float *target, const CK_NAME(vector) v[6], long count) {
    float values[6 * CK_LANES];
    float *into = count >= 6 * CK_LANES ? target : values;
    CK_NAME(store_pairs3)(into, CK_NAME(interleave_low)(v[0], v[1]), CK_NAME(interleave_low)(v[2], v[3]),
                          CK_NAME(interleave_low)(v[4], v[5]));
    CK_NAME(store_pairs3)(into + 3 * CK_LANES, CK_NAME(interleave_high)(v[0], v[1]), CK_NAME(interleave_high)(v[2], v[3]),
                          CK_NAME(interleave_high)(v[4], v[5]));
    if (into == target) return;
    CK_NAME(store_staged)(target, values, count, false);
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
                // The parities' outputs [i][j]: Aᵀ M A of the first's products (columns first), Aᵀ of the second's column j,
                // Aᵀ of the third's row i; the fourth's are its products.
                CK_NAME(vector) columns[3][4], first_parity[3][3], second_parity[3][3], third_parity[3][3];
                for (int j = 0; j < 4; j++) {
                    CK_NAME(vector) y[3];
                    CK_NAME(f3_2_output)(p[j], p[4 + j], p[8 + j], p[12 + j], y);
                    for (int i = 0; i < 3; i++) columns[i][j] = y[i];
                }
                for (int i = 0; i < 3; i++) {
                    CK_NAME(f3_2_output)(columns[i][0], columns[i][1], columns[i][2], columns[i][3], first_parity[i]);
                }
                for (int j = 0; j < 3; j++) {
                    CK_NAME(vector) y[3];
                    CK_NAME(f3_2_output)(p[16 + 4 * j], p[17 + 4 * j], p[18 + 4 * j], p[19 + 4 * j], y);
                    for (int i = 0; i < 3; i++) second_parity[i][j] = y[i];
                }
                for (int i = 0; i < 3; i++) CK_NAME(f3_2_output)(p[28 + 4 * i], p[29 + 4 * i], p[30 + 4 * i], p[31 + 4 * i], third_parity[i]);
                const long count = out_width - 6 * tx;
                for (int i = 0; i < 3; i++) {
                    const long row = m0 + 3 * ty + i;
                    if (row >= m1) break;
                    float *even_row = output + o * plane + 2 * row * out_width + 6 * tx;
                    const CK_NAME(vector) even[6] = {first_parity[i][0], second_parity[i][0], first_parity[i][1], second_parity[i][1],
                                                     first_parity[i][2], second_parity[i][2]};
                    CK_NAME(store_interleaved6_prefix)(even_row, even, count);
                    if (row >= height) continue;
                    const CK_NAME(vector) *fourth_parity = p + 40 + 3 * i;
                    const CK_NAME(vector) odd[6] = {third_parity[i][0], fourth_parity[0], third_parity[i][1], fourth_parity[1],
                                                    third_parity[i][2], fourth_parity[2]};
                    CK_NAME(store_interleaved6_prefix)(even_row + out_width, odd, count);
                }
            }
        }
    }
}

// The scratch of bands of at most `rows` parity rows of an input `width` wide.
static long CK_NAME(winograd_up_scratch)(long out_channels, long in_channels, long rows, long width) {
    const CK_NAME(winograd_layout) l = CK_NAME(winograd_plan)(49, 3, out_channels, in_channels, rows, width + 1);
    return CK_NAME(parity_scratch)(&l);
}

// Parity rows m0 ≤ m < m1 (output rows 2·m0 … 2·m1 − 1 inside the plane) of every output channel: the band's tiles
// transformed, the 49 products, transformed back.
static void CK_NAME(winograd_up_rows)(long out_channels, long in_channels, long height, long width, const float *input,
                                      const float *packed, long m0, long m1, float *output, float *scratch) {
    const CK_NAME(winograd_layout) l = CK_NAME(winograd_plan)(49, 3, out_channels, in_channels, m1 - m0, width + 1);
    float *v = scratch, *m = scratch + CK_NAME(parity_products_offset)(&l);
    CK_NAME(winograd_up_input_transform)(in_channels, height, width, &l, input, m0, v);
    CK_NAME(winograd_band_products)(49, CK_NAME(up_weight), out_channels, in_channels, &l, packed, v, m);
    CK_NAME(winograd_up_output_transform)(out_channels, height, width, &l, m, m0, m1, output);
}
