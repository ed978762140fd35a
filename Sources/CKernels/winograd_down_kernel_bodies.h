// The Winograd kernel of ckernels.h for the discriminator's down-sampling, a stride-2 3×3 convolution without padding
// from (2·height + 1) × (2·width + 1) planes to height × width ones, by F(2×2, 2×2) over the four parities of its input
// (docs/engine-kernels.md "Winograd down-sampling"). Included by kernel_bodies.h after winograd_kernel_bodies.h (whose
// layout, packing, row splitting, products and interleaving stores it uses), once per instruction set, as that file. No
// include guard.
//
// Output pixel (p, q) sums input pixels (2p + i, 2q + j) with taps (i, j): the taps of even i and j meet the even rows'
// even columns as a 2×2 correlation, the mixed ones the even rows' odd columns (2×1) and the odd rows' even columns
// (1×2), w11 the odd rows' odd columns. A tile is output pixels p … p + 1, q … q + 1, read from the 5×5 input patch
// D[r][s] = input[2p + r, 2q + s]: F(2×2, 2×2) over D's even rows and columns (9 products), F(2, 2) down each of its two
// odd columns' even rows and along each of its two odd rows' even columns (6 each), its four odd-odd pixels (4): 25
// products per tile and channel pair instead of 36. With F(2, 2)'s Bᵀ = [1 −1 0; 0 1 0; 0 −1 1], G = [1 0; 1 1; 0 1]
// and Aᵀ = [1 1 0; 0 1 1] every transform only adds and subtracts. The 25 products use 16 distinct transformed weights,
// those of the kernel turned by 180° (G g reverses as g does); down_weight names each product's.
static const int CK_NAME(down_weight)[25] = {8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 10, 9, 11, 10, 9, 14, 13, 12, 14, 13, 12, 15, 15, 15, 15};

// The 16 transformed weights of a vector of channel pairs' taps w (i·3 + j), packed by winograd_down_pack as
// winograd_pack packs its own, of the turned kernel: G k Gᵀ of k = [w22 w20; w02 w00] (ξ 0–8), G [w21, w01] (9–11),
// G [w12, w10] (12–14), w11 (15).
CK_INLINE void CK_NAME(winograd_down_transform_weight)(const CK_NAME(vector) w[9], CK_NAME(vector) *u) {
    const CK_NAME(vector) k0[2] = {w[8], w[6]}, k1[2] = {w[2], w[0]};
    const CK_NAME(vector) g[3][2] = {{k0[0], k0[1]}, {k0[0] + k1[0], k0[1] + k1[1]}, {k1[0], k1[1]}};
    for (int i = 0; i < 3; i++) {
        u[i * 3 + 0] = g[i][0];
        u[i * 3 + 1] = g[i][0] + g[i][1];
        u[i * 3 + 2] = g[i][1];
    }
    u[9] = w[7], u[10] = w[7] + w[1], u[11] = w[1];
    u[12] = w[5], u[13] = w[5] + w[3], u[14] = w[3];
    u[15] = w[4];
}

static void CK_NAME(winograd_down_pack)(long out_channels, long in_channels, const float *weight, long out_stride, long in_stride,
                                        float *packed, long first_tile, long end_tile) {
    CK_NAME(winograd_pack_with)(16, 9, out_channels, in_channels, weight, out_stride, in_stride, false, packed, first_tile, end_tile,
                                CK_NAME(winograd_down_transform_weight));
}

// F(2, 2)'s input transform of three values: Bᵀ [d0 d1 d2].
CK_INLINE void CK_NAME(f22_input_transform)(CK_NAME(vector) d0, CK_NAME(vector) d1, CK_NAME(vector) d2, CK_NAME(vector) t[3]) {
    t[0] = d0 - d1;
    t[1] = d1;
    t[2] = d2 - d1;
}

// Bᵀ e B of a 3×3 patch e whose rows are already transformed (rows[r] = Bᵀ of e's row r): patch[i][s].
CK_INLINE void CK_NAME(f22_patch_transform)(CK_NAME(vector) rows[3][3], CK_NAME(vector) patch[3][3]) {
    for (int s = 0; s < 3; s++) {
        CK_NAME(vector) transformed[3];
        CK_NAME(f22_input_transform)(rows[0][s], rows[1][s], rows[2][s], transformed);
        for (int i = 0; i < 3; i++) patch[i][s] = transformed[i];
    }
}

// A vector of tile columns' 25 transformed values at their positions of V, in the order the products use: the first
// parity's 3×3 (0–8), two transformed columns (9–14), two transformed rows (15–20), four pixels (21–24).
CK_INLINE void CK_NAME(store_parities)(CK_NAME(vector) patch[3][3], CK_NAME(vector) columns[2][3], CK_NAME(vector) rows[2][3],
                                       CK_NAME(vector) p0, CK_NAME(vector) p1, CK_NAME(vector) p2, CK_NAME(vector) p3, float *target,
                                       long position_stride) {
    const CK_NAME(vector) values[25] = {
        patch[0][0], patch[0][1], patch[0][2], patch[1][0], patch[1][1], patch[1][2], patch[2][0], patch[2][1], patch[2][2],
        columns[0][0], columns[0][1], columns[0][2], columns[1][0], columns[1][1], columns[1][2],
        rows[0][0], rows[0][1], rows[0][2], rows[1][0], rows[1][1], rows[1][2], p0, p1, p2, p3,
    };
    for (int position = 0; position < 25; position++) CK_NAME(store)(target + position * position_stride, values[position]);
}

// The 25 products of output channel o for a vector of tile columns tx … of tile row ty, as store_parities orders them.
CK_INLINE void CK_NAME(load_parities)(const CK_NAME(winograd_layout) *l, const float *m, long o, long ty, long tx, CK_NAME(vector) p[25]) {
    const float *source = m + o * l->stride + ty * l->tiles_per_row + tx;
    for (int position = 0; position < 25; position++) p[position] = CK_NAME(load)(source + position * l->output_positions);
}

// V[ξ][c][t] for every tile of the band (output rows y0 + 2ty …, input rows 2·y0 + 4ty …), vectorised over tile columns
// as winograd_input_transform: ξ 0–8 Bᵀ e B of the patch's even rows and columns e, 9–14 Bᵀ of its odd columns' even
// rows (column 1, then 3), 15–20 its odd rows' even columns times B (row 1, then 3), 21–24 D[1][1], D[1][3], D[3][1],
// D[3][3]. Rows and columns past the plane read as zeros.
CK_INLINE void CK_NAME(winograd_down_input_transform)(long in_channels, long in_height, long in_width, const CK_NAME(winograd_layout) *l,
                                                      const float *input, long y0, float *v) {
    const long position_stride = l->input_positions, phase_stride = l->columns + 1;
    float phases[5 * 4 * phase_stride];
    for (long c = 0; c < in_channels; c++) {
        for (long ty = 0; ty < l->tile_rows; ty++) {
            CK_NAME(split_patch_rows)(input, c, in_height, in_width, 2 * y0 + 4 * ty, 5, 4, 0, l->columns, phases, phase_stride);
            for (long tx = 0; tx < l->columns; tx += CK_LANES) {
                CK_NAME(vector) d[5][5], rows[3][3], patch[3][3], odd_columns[2][3], odd_rows[2][3];
                for (int r = 0; r < 5; r++) {
                    for (int s = 0; s < 5; s++) d[r][s] = CK_NAME(load)(phases + (r * 4 + (s & 3)) * phase_stride + tx + (s >> 2));
                }
                for (int r = 0; r < 3; r++) CK_NAME(f22_input_transform)(d[2 * r][0], d[2 * r][2], d[2 * r][4], rows[r]);
                CK_NAME(f22_patch_transform)(rows, patch);
                for (int k = 0; k < 2; k++) {
                    CK_NAME(f22_input_transform)(d[0][2 * k + 1], d[2][2 * k + 1], d[4][2 * k + 1], odd_columns[k]);
                    CK_NAME(f22_input_transform)(d[2 * k + 1][0], d[2 * k + 1][2], d[2 * k + 1][4], odd_rows[k]);
                }
                CK_NAME(store_parities)(patch, odd_columns, odd_rows, d[1][1], d[1][3], d[3][1], d[3][3],
                                        v + c * l->stride + ty * l->tiles_per_row + tx, position_stride);
            }
        }
    }
}

// Each tile's output pixel (a, b): Aᵀ M A of the first parity, Aᵀ of the odd column b's products at row a, the odd row
// a's products times A at column b, the odd-odd product, summed in that order; output rows y0 + 2ty + a below y1, the
// tile's two columns interleaved on store.
CK_INLINE void CK_NAME(winograd_down_output_transform)(long out_channels, long height, long width, const CK_NAME(winograd_layout) *l,
                                                       const float *m, long y0, long y1, bool accumulate, float *output) {
    const long plane = height * width;
    for (long o = 0; o < out_channels; o++) {
        for (long ty = 0; ty < l->tile_rows; ty++) {
            for (long tx = 0; tx < l->tiles_per_row; tx += CK_LANES) {
                CK_NAME(vector) p[25];
                CK_NAME(load_parities)(l, m, o, ty, tx, p);
                const long count = width - 2 * tx < 2 * CK_LANES ? width - 2 * tx : 2 * CK_LANES;
                for (int a = 0; a < 2; a++) {
                    const long y = y0 + 2 * ty + a;
                    if (y >= y1) break;
                    CK_NAME(vector) pair[3];
                    for (int s = 0; s < 3; s++) pair[s] = p[a * 3 + s] + p[(a + 1) * 3 + s];
                    const CK_NAME(vector) *odd_row = p + 15 + 3 * a;
                    CK_NAME(vector) left = pair[0] + pair[1] + (p[9 + a] + p[10 + a]) + (odd_row[0] + odd_row[1]) + p[21 + 2 * a];
                    CK_NAME(vector) right = pair[1] + pair[2] + (p[12 + a] + p[13 + a]) + (odd_row[1] + odd_row[2]) + p[22 + 2 * a];
                    CK_NAME(store_interleaved_prefix)(output + o * plane + y * width + 2 * tx, left, right, count, accumulate);
                }
            }
        }
    }
}

// The scratch of bands of at most `rows` output rows `width` wide.
static long CK_NAME(winograd_down_scratch)(long out_channels, long in_channels, long rows, long width) {
    const CK_NAME(winograd_layout) l = CK_NAME(winograd_plan)(25, 2, out_channels, in_channels, rows, width);
    return CK_NAME(parity_scratch)(&l);
}

// Output rows y0 ≤ y < y1 of every output channel: the band's tiles transformed, the 25 products, transformed back.
static void CK_NAME(winograd_down_rows)(long out_channels, long in_channels, long height, long width, const float *input,
                                        const float *packed, long y0, long y1, bool accumulate, float *output, float *scratch) {
    const CK_NAME(winograd_layout) l = CK_NAME(winograd_plan)(25, 2, out_channels, in_channels, y1 - y0, width);
    float *v = scratch, *m = scratch + CK_NAME(parity_products_offset)(&l);
    CK_NAME(winograd_down_input_transform)(in_channels, 2 * height + 1, 2 * width + 1, &l, input, y0, v);
    CK_NAME(winograd_band_products)(25, CK_NAME(down_weight), out_channels, in_channels, &l, packed, v, m);
    CK_NAME(winograd_down_output_transform)(out_channels, height, width, &l, m, y0, y1, accumulate, output);
}
