// Winograd F(4×4, 3×3) forward kernels of ckernels.h (docs/engine-kernels.md "Winograd F(4×4, 3×3)"), included by
// kernel_bodies.h after winograd_kernel_bodies.h (whose layout, packing, products and interleaving stores they use),
// once per instruction set, as that file. No include guard.

// Each 4×4 block of output pixels ("tile") of a stride-1 3×3 convolution is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over its 6×6
// input patch d, with Lavin and Gray's matrices for the points 0, ±1, ±2 and ∞:
//   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
//   G  = [1/4 0 0; −1/6 −1/6 −1/6; −1/6 1/6 −1/6; 1/24 1/12 1/6; 1/24 −1/12 1/6; 0 0 1],
//   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
// 36 products per tile and channel pair instead of 144 (F(2×2, 3×3): 64), so 2.25 per output pixel instead of 4; the
// transforms scale by up to 8 and 1/24, so each output carries about 13 times F(2×2, 3×3)'s rounding (random unit-scale
// sums over 96 channels: 5.6e-6 against 4.2e-7 on average), which is why only callers that allow it get this kernel.
// Bands, vectors over tile columns, partial tiles and the overwritten tails are as in winograd_kernel_bodies.h.

// G·(a, b, c)ᵀ: one column (or row) of G g Gᵀ.
CK_INLINE void CK_NAME(winograd4_weight_column)(CK_NAME(vector) a, CK_NAME(vector) b, CK_NAME(vector) c, CK_NAME(vector) *t, int step) {
    const float sixth = 1.0f / 6, twelfth = 1.0f / 12, twenty_fourth = 1.0f / 24;
    t[0 * step] = 0.25f * a;
    t[1 * step] = -sixth * (a + b + c);
    t[2 * step] = -sixth * (a - b + c);
    t[3 * step] = twenty_fourth * a + twelfth * b + sixth * c;
    t[4 * step] = twenty_fourth * a - twelfth * b + sixth * c;
    t[5 * step] = c;
}

// (G g Gᵀ)[i·6 + j] of the taps g (i·3 + j), for a vector of channel pairs.
CK_INLINE void CK_NAME(winograd4_transform_weight)(const CK_NAME(vector) taps[9], CK_NAME(vector) *u) {
    CK_NAME(vector) t[6][3];
    for (int j = 0; j < 3; j++) CK_NAME(winograd4_weight_column)(taps[j], taps[3 + j], taps[6 + j], &t[0][j], 3);
    for (int i = 0; i < 6; i++) CK_NAME(winograd4_weight_column)(t[i][0], t[i][1], t[i][2], u + i * 6, 1);
}

// U[ξ][tile][c][r] = (G g Gᵀ)[ξ] of weight (o = tile·T + r, c) for 36 positions, T = CK_CONV_CHANNELS; addressing as
// conv3x3_pack.
static void CK_NAME(winograd4_pack)(long out_channels, long in_channels, const float *weight, long out_stride, long in_stride,
                                    bool flip, float *packed, long first_tile, long end_tile) {
    CK_NAME(winograd_pack_with)(36, 9, out_channels, in_channels, weight, out_stride, in_stride, flip, packed, first_tile, end_tile,
                                CK_NAME(winograd4_transform_weight));
}

static long CK_NAME(winograd4_scratch)(long out_channels, long in_channels, long rows, long out_width) {
    return CK_NAME(winograd_plan)(36, 4, out_channels, in_channels, rows, out_width).scratch;
}

// Bᵀ·(d0 … d5) into t[0], t[step], …, t[5·step].
CK_INLINE void CK_NAME(winograd4_input_combine)(const CK_NAME(vector) *d, float *t, long step) {
    const CK_NAME(vector) two = CK_NAME(splat)(2), four = CK_NAME(splat)(4), five = CK_NAME(splat)(5);
    CK_NAME(store)(t + 0 * step, (four * d[0] - five * d[2]) + d[4]);
    CK_NAME(store)(t + 1 * step, (d[3] + d[4]) - four * (d[1] + d[2]));
    CK_NAME(store)(t + 2 * step, (d[4] - d[3]) + four * (d[1] - d[2]));
    CK_NAME(store)(t + 3 * step, (d[4] - d[2]) + two * (d[3] - d[1]));
    CK_NAME(store)(t + 4 * step, (d[4] - d[2]) - two * (d[3] - d[1]));
    CK_NAME(store)(t + 5 * step, (four * d[1] - five * d[3]) + d[5]);
}

// V[ξ][c][t] = (Bᵀ d B)[ξ] of every tile of the band over `alpha` × `alpha` patches (6 for F(4×4, 3×3), 8 for F(4×4,
// 5×5); `combine`: Bᵀ applied to `alpha` vectors), t = tile row · tiles_per_row + tile column, vectorised over tile
// columns: each band row is split into its columns 4x + k (k = 0 … 3, x ≤ columns), so the patch's columns 4·tx …
// 4·tx + alpha − 1 of a vector of tiles are whole vectors (column 4·tx + j is phase j mod 4 at tx + j / 4); each row's
// d·B lands in the ξ = r·alpha + k slots, then Bᵀ runs down them in place. The split reads whole vectors up to
// 4·(CK_LANES − 1) floats past a row (the band copy's next row, or V past the last), whose lanes are never used.
CK_INLINE void CK_NAME(winograd4_input_transform)(int alpha, void (*combine)(const CK_NAME(vector) *d, float *t, long step),
                                                  long in_channels, const CK_NAME(winograd_layout) *l, const float *band, float *v,
                                                  float *scratch) {
    const long position_stride = l->input_positions, columns = l->columns, phase_floats = columns + CK_LANES;
    float *phase[4];
    for (int k = 0; k < 4; k++) phase[k] = scratch + k * phase_floats;
    for (long c = 0; c < in_channels; c++) {
        for (long ty = 0; ty < l->tile_rows; ty++) {
            float *target = v + c * l->stride + ty * l->tiles_per_row;
            for (int r = 0; r < alpha; r++) {
                const float *line = band + c * l->channel_stride + (4 * ty + r) * l->padded_width;
                for (long x = 0; x <= columns; x += CK_LANES) {
                    CK_NAME(vector) split[4];
                    CK_NAME(split_fours)(line + 4 * x, split);
                    for (int k = 0; k < 4; k++) CK_NAME(store)(phase[k] + x, split[k]);
                }
                for (long tx = 0; tx < columns; tx += CK_LANES) {
                    CK_NAME(vector) d[8];
                    for (int j = 0; j < alpha; j++) d[j] = CK_NAME(load)(phase[j % 4] + tx + j / 4);
                    combine(d, target + tx + r * alpha * position_stride, position_stride);
                }
            }
            for (long tx = 0; tx < columns; tx += CK_LANES) {
                for (int k = 0; k < alpha; k++) {
                    float *slot = target + tx + k * position_stride;
                    CK_NAME(vector) rows[8];
                    for (int r = 0; r < alpha; r++) rows[r] = CK_NAME(load)(slot + r * alpha * position_stride);
                    combine(rows, slot, alpha * position_stride);
                }
            }
        }
    }
}

// Aᵀ·(m0 … m5): four vectors.
CK_INLINE void CK_NAME(winograd4_output_combine)(const CK_NAME(vector) *m, CK_NAME(vector) out[4]) {
    const CK_NAME(vector) two = CK_NAME(splat)(2), four = CK_NAME(splat)(4), eight = CK_NAME(splat)(8);
    const CK_NAME(vector) sum12 = m[1] + m[2], difference12 = m[1] - m[2], sum34 = m[3] + m[4], difference34 = m[3] - m[4];
    out[0] = (m[0] + sum12) + sum34;
    out[1] = difference12 + two * difference34;
    out[2] = sum12 + four * sum34;
    out[3] = (difference12 + eight * difference34) + m[5];
}

// Stores (or adds, or the first `count` of) four vectors interleaved: target[4x + k] (+)= vk[x].
CK_INLINE void CK_NAME(store_interleaved4_prefix)(float *target, CK_NAME(vector) v0, CK_NAME(vector) v1, CK_NAME(vector) v2,
                                                  CK_NAME(vector) v3, long count, bool accumulate) {
    float values[4 * CK_LANES];
    float *into = count >= 4 * CK_LANES && !accumulate ? target : values;
    CK_NAME(vector) low = CK_NAME(interleave_low)(v0, v2), high = CK_NAME(interleave_high)(v0, v2);
    CK_NAME(store_interleaved)(into, low, CK_NAME(interleave_low)(v1, v3));
    CK_NAME(store_interleaved)(into + 2 * CK_LANES, high, CK_NAME(interleave_high)(v1, v3));
    if (into == target) return;
    CK_NAME(store_staged)(target, values, count < 4 * CK_LANES ? count : 4 * CK_LANES, accumulate);
}

// Y = Aᵀ M A per tile of `alpha`² products (`combine`: Aᵀ applied to `alpha` vectors; 6 for F(4×4, 3×3), 8 for F(4×4,
// 5×5)): output rows y0 + 4ty + a (below y1), the four columns of each tile interleaved on store.
CK_INLINE void CK_NAME(winograd4_output_transform)(int alpha, void (*combine)(const CK_NAME(vector) *m, CK_NAME(vector) out[4]),
                                                   long out_channels, long out_height, long out_width, const CK_NAME(winograd_layout) *l,
                                                   const float *m, long y0, long y1, bool accumulate, float *output) {
    const long plane = out_height * out_width, position_stride = l->output_positions;
    for (long o = 0; o < out_channels; o++) {
        for (long ty = 0; ty < l->tile_rows; ty++) {
            for (long tx = 0; tx < l->tiles_per_row; tx += CK_LANES) {
                const float *source = m + o * l->stride + ty * l->tiles_per_row + tx;
                // columns[j][a]: Aᵀ down column j of the tile's products, for output row a.
                CK_NAME(vector) columns[8][4];
                for (int j = 0; j < alpha; j++) {
                    CK_NAME(vector) column[8];
                    for (int i = 0; i < alpha; i++) column[i] = CK_NAME(load)(source + (i * alpha + j) * position_stride);
                    combine(column, columns[j]);
                }
                const long count = out_width - 4 * tx;
                for (int a = 0; a < 4 && y0 + 4 * ty + a < y1; a++) {
                    CK_NAME(vector) row[8], pixels[4];
                    for (int j = 0; j < alpha; j++) row[j] = columns[j][a];
                    combine(row, pixels);
                    CK_NAME(store_interleaved4_prefix)(output + o * plane + (y0 + 4 * ty + a) * out_width + 4 * tx, pixels[0], pixels[1],
                                                       pixels[2], pixels[3], count, accumulate);
                }
            }
        }
    }
}

// Output rows y0 ≤ y < y1 of the convolution conv3x3_winograd_rows computes, by F(4×4, 3×3). With y0 a multiple of 4
// (bands of whole tile rows) every pixel's result is the same whatever the bands.
static void CK_NAME(conv3x3_winograd4_rows)(long out_channels, long in_channels, long in_height, long in_width, long pad, long out_height,
                                            long out_width, const float *input, const float *packed, long y0, long y1, bool accumulate,
                                            float *output, float *scratch) {
    const CK_NAME(winograd_layout) l = CK_NAME(winograd_plan)(36, 4, out_channels, in_channels, y1 - y0, out_width);
    // Tile (ty, tx) reads the band's rows 4ty … 4ty + 5 and columns 4tx … 4tx + 5: image pixel (y0 + 4ty + i − pad, 4tx + j − pad).
    float *band = scratch, *v = scratch + l.transformed_input, *m = scratch + l.transformed_output;
    CK_NAME(copy_band)(in_channels, in_height, in_width, input, y0 - pad, l.band_rows, pad, l.padded_width, band);
    CK_NAME(winograd4_input_transform)(6, CK_NAME(winograd4_input_combine), in_channels, &l, band, v, scratch + l.temporaries);
    CK_NAME(winograd_band_products)(36, 0, out_channels, in_channels, &l, packed, v, m);
    CK_NAME(winograd4_output_transform)(6, CK_NAME(winograd4_output_combine), out_channels, out_height, out_width, &l, m, y0, y1, accumulate,
                                        output);
}
