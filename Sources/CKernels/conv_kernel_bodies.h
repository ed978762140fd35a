// The direct convolution kernels of ckernels.h (docs/engine-kernels.md "Direct convolution"), included
// by kernel_bodies.h once per instruction set with its macros (CK_NAME, CK_LANES, CK_FUSED, CK_CONV_CHANNELS)
// and helpers (vector type, load, store, splat, multiply_add) defined. No include guard, as kernel_bodies.h.

// Direct 3×3 convolution, stride 1, padding 1 (docs/engine-kernels.md, "Direct convolution"). A tile is
// CK_CONV_CHANNELS output channels × `vectors` vectors of one output row, held in registers while c, i and
// j run, so each output element is one chain of multiply-adds in the order (c, i, j) on every set. Rows of
// the tile past `rows` repeat the last weights (the packing duplicates them) and are not stored.
#if CK_LANES == 16
#define CK_CONV_VECTORS 4
#define CK_WEIGHT_CHANNELS 3
#define CK_UP_CHANNELS 3
#define CK_UP_VECTORS 2
#else
#define CK_CONV_VECTORS 2
#define CK_WEIGHT_CHANNELS 1
#define CK_UP_CHANNELS 1
#define CK_UP_VECTORS 2
#endif

// Tap j of a row is read at column offset 0, `second` or `third` (1 and 2 for stride 1; for stride 2 over
// rows split into even and odd columns, the odd half's start and 1).
CK_INLINE void CK_NAME(conv3x3_tile)(int vectors, long rows, long channels, const float *x, long channel_stride, long row_stride,
                                     long second, long third, const float *weights, bool accumulate, float *out, long out_channel_stride) {
    const long offsets[3] = {0, second, third};
    CK_NAME(vector) sums[CK_CONV_CHANNELS][CK_CONV_VECTORS] = {{0}};
    for (long c = 0; c < channels; c++) {
        for (int i = 0; i < 3; i++) {
            const float *line = x + c * channel_stride + i * row_stride;
            for (int j = 0; j < 3; j++) {
                CK_NAME(vector) in[CK_CONV_VECTORS];
                for (int v = 0; v < vectors; v++) in[v] = CK_NAME(load)(line + offsets[j] + v * CK_LANES);
                const float *taps = weights + ((c * 3 + i) * 3 + j) * CK_CONV_CHANNELS;
                for (int r = 0; r < CK_CONV_CHANNELS; r++) {
                    CK_NAME(vector) factor = CK_NAME(splat)(taps[r]);
                    for (int v = 0; v < vectors; v++) sums[r][v] = CK_NAME(multiply_add)(factor, in[v], sums[r][v]);
                }
            }
        }
    }
    for (long r = 0; r < rows; r++) {
        for (int v = 0; v < vectors; v++) {
            float *target = out + r * out_channel_stride + v * CK_LANES;
            CK_NAME(vector) value = sums[r][v];
            if (accumulate) value += CK_NAME(load)(target);
            CK_NAME(store)(target, value);
        }
    }
}

static void CK_NAME(conv3x3_pack)(long tile_channels, long out_channels, long in_channels, const float *weight, long out_stride,
                                  long in_stride, bool flip, float *packed, long first_tile, long end_tile) {
    packed += first_tile * in_channels * 9 * tile_channels;
    for (long tile = first_tile; tile < end_tile && tile * tile_channels < out_channels; tile++) {
        for (long c = 0; c < in_channels; c++) {
            for (int k = 0; k < 9; k++) {
                for (long r = 0; r < tile_channels; r++) {
                    long o = tile * tile_channels + r < out_channels ? tile * tile_channels + r : out_channels - 1;
                    *packed++ = weight[o * out_stride + c * in_stride + (flip ? 8 - k : k)];
                }
            }
        }
    }
}

// Image rows top … top + band − 1 of every channel, each padded_width long with image column x at x + left;
// zeros outside the image (left + width ≤ padded_width).
CK_INLINE void CK_NAME(copy_band)(long channels, long height, long width, const float *input, long top, long band, long left,
                                  long padded_width, float *scratch) {
    for (long c = 0; c < channels; c++) {
        for (long r = 0; r < band; r++) {
            float *line = scratch + (c * band + r) * padded_width;
            long y = top + r;
            if (y < 0 || y >= height) {
                for (long x = 0; x < padded_width; x++) line[x] = 0;
            } else {
                for (long x = 0; x < left; x++) line[x] = 0;
                __builtin_memcpy(line + left, input + (c * height + y) * width, (unsigned long)width * sizeof(float));
                for (long x = left + width; x < padded_width; x++) line[x] = 0;
            }
        }
    }
}

// The padded rows y0 − 1 … y1 of every channel, each padded_width ≥ width + 2 long: one zero column, the row,
// zeros to the end; rows outside the image are zero.
CK_INLINE void CK_NAME(pad_band)(long channels, long height, long width, long padded_width, const float *input, long y0, long y1,
                                 float *scratch) {
    CK_NAME(copy_band)(channels, height, width, input, y0 - 1, y1 - y0 + 2, 1, padded_width, scratch);
}

// Every tile of output rows y0 ≤ y < y1: output row y reads the band's rows from (y − y0)·row_step, tap row i
// row_stride further.
CK_INLINE void CK_NAME(conv3x3_sweep)(long out_channels, long in_channels, long out_height, long out_width, const float *band,
                                      long channel_stride, long row_step, long row_stride, long second, long third,
                                      const float *packed, long y0, long y1, bool accumulate, float *output) {
    const long plane = out_height * out_width, tile_size = in_channels * 9 * CK_CONV_CHANNELS;
    for (long tile = 0; tile * CK_CONV_CHANNELS < out_channels; tile++) {
        long first = tile * CK_CONV_CHANNELS, rows = out_channels - first < CK_CONV_CHANNELS ? out_channels - first : CK_CONV_CHANNELS;
        for (long y = y0; y < y1; y++) {
            const float *x = band + (y - y0) * row_step;
            float *out = output + first * plane + y * out_width;
            long column = 0;
            for (; column + CK_CONV_VECTORS * CK_LANES <= out_width; column += CK_CONV_VECTORS * CK_LANES) {
                CK_NAME(conv3x3_tile)(CK_CONV_VECTORS, rows, in_channels, x + column, channel_stride, row_stride, second, third,
                                      packed + tile * tile_size, accumulate, out + column, plane);
            }
            for (; column + CK_LANES <= out_width; column += CK_LANES) {
                CK_NAME(conv3x3_tile)(1, rows, in_channels, x + column, channel_stride, row_stride, second, third,
                                      packed + tile * tile_size, accumulate, out + column, plane);
            }
        }
    }
}

static void CK_NAME(conv3x3_rows)(long out_channels, long in_channels, long height, long width, const float *input,
                                  const float *packed, long y0, long y1, bool accumulate, float *output, float *scratch) {
    // The input rows y0 − 1 … y1 with a zero border, so the tiles need no bounds tests.
    CK_NAME(pad_band)(in_channels, height, width, width + 2, input, y0, y1, scratch);
    const long padded_width = width + 2, channel_stride = (y1 - y0 + 2) * padded_width;
    CK_NAME(conv3x3_sweep)(out_channels, in_channels, height, width, scratch, channel_stride, padded_width, padded_width, 1, 2,
                           packed, y0, y1, accumulate, output);
}

// even[x] = line[2x] for x ≤ pairs, odd[x] = line[2x + 1] for x < pairs: a row of 2·pairs + 1 values split so
// that taps two columns apart read neighbouring floats.
CK_INLINE void CK_NAME(split_columns)(const float *line, long pairs, float *even, float *odd) {
    for (long x = 0; x < pairs; x++) {
        even[x] = line[2 * x];
        odd[x] = line[2 * x + 1];
    }
    even[pairs] = line[2 * pairs];
}

// Stride 2, no padding, input (2·height + 1) × (2·width + 1): the band's input rows 2·y0 … 2·y1, each split
// into its even columns (width + 1) then its odd ones (width), so every tap reads whole vectors.
static void CK_NAME(conv3x3_down_rows)(long out_channels, long in_channels, long height, long width, const float *input,
                                       const float *packed, long y0, long y1, bool accumulate, float *output, float *scratch) {
    const long in_width = 2 * width + 1, in_plane = (2 * height + 1) * in_width, band = 2 * (y1 - y0) + 1;
    for (long c = 0; c < in_channels; c++) {
        for (long r = 0; r < band; r++) {
            const float *source = input + c * in_plane + (2 * y0 + r) * in_width;
            float *even = scratch + (c * band + r) * in_width, *odd = even + width + 1;
            CK_NAME(split_columns)(source, width, even, odd);
        }
    }
    CK_NAME(conv3x3_sweep)(out_channels, in_channels, height, width, scratch, band * in_width, 2 * in_width, in_width, width + 1, 1,
                           packed, y0, y1, accumulate, output);
}

// The weight gradient's tile: CK_WEIGHT_CHANNELS output channels × the 9 taps of one input channel, each a
// vector of lane-partial sums over the band's pixels, summed across lanes and added to the gradient at the end.
CK_INLINE void CK_NAME(conv3x3_weight_tile)(long rows, long band_rows, long width, const float *grad, long grad_channel_stride,
                                            const float *x, long padded_width, float *gradient, long gradient_channel_stride) {
    CK_NAME(vector) sums[CK_WEIGHT_CHANNELS][9];
    for (int r = 0; r < CK_WEIGHT_CHANNELS; r++) for (int k = 0; k < 9; k++) sums[r][k] = CK_NAME(splat)(0);
    for (long y = 0; y < band_rows; y++) {
        for (long column = 0; column < width; column += CK_LANES) {
            CK_NAME(vector) g[CK_WEIGHT_CHANNELS];
            for (int r = 0; r < CK_WEIGHT_CHANNELS; r++) {
                long o = r < rows ? r : rows - 1;
                g[r] = CK_NAME(load)(grad + o * grad_channel_stride + y * width + column);
            }
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    CK_NAME(vector) in = CK_NAME(load)(x + (y + i) * padded_width + column + j);
                    for (int r = 0; r < CK_WEIGHT_CHANNELS; r++) sums[r][i * 3 + j] = CK_NAME(multiply_add)(g[r], in, sums[r][i * 3 + j]);
                }
            }
        }
    }
    for (long r = 0; r < rows; r++) {
        for (int k = 0; k < 9; k++) {
            float total = -0.0f;
            for (int lane = 0; lane < CK_LANES; lane++) total += sums[r][k][lane];
            gradient[r * gradient_channel_stride + k] += total;
        }
    }
}

static void CK_NAME(conv3x3_weight_rows)(long out_first, long out_count, long in_channels, long height, long width,
                                         const float *input, const float *grad, long y0, long y1, float *gradient, float *scratch) {
    CK_NAME(pad_band)(in_channels, height, width, width + 2, input, y0, y1, scratch);
    const long padded_width = width + 2, band = y1 - y0 + 2, plane = height * width;
    for (long o = out_first; o < out_first + out_count; o += CK_WEIGHT_CHANNELS) {
        long rows = out_first + out_count - o < CK_WEIGHT_CHANNELS ? out_first + out_count - o : CK_WEIGHT_CHANNELS;
        for (long c = 0; c < in_channels; c++) {
            CK_NAME(conv3x3_weight_tile)(rows, y1 - y0, width, grad + o * plane + y0 * width, plane,
                                         scratch + c * band * padded_width, padded_width, gradient + (o * in_channels + c) * 9, in_channels * 9);
        }
    }
}

// The stride-2 transposed 3×3 convolution (no padding) of the generator's up-sampling layers, by output
// parity: input row m + 1 of the zero-bordered band feeds output rows 2m (taps i = 0, and i = 2 from row m) and
// 2m + 1 (i = 1); input column n feeds output columns 2n (j = 0, and j = 2 from column n − 1) and 2n + 1 (j = 1).
// A tile is CK_UP_CHANNELS output channels × CK_UP_VECTORS vectors of n for the four parities, interleaved on store.
CK_INLINE CK_NAME(vector) CK_NAME(interleave_low)(CK_NAME(vector) even, CK_NAME(vector) odd) {
#if CK_LANES == 16
    return __builtin_shufflevector(even, odd, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
#else
    return __builtin_shufflevector(even, odd, 0, 8, 1, 9, 2, 10, 3, 11);
#endif
}

CK_INLINE CK_NAME(vector) CK_NAME(interleave_high)(CK_NAME(vector) even, CK_NAME(vector) odd) {
#if CK_LANES == 16
    return __builtin_shufflevector(even, odd, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
#else
    return __builtin_shufflevector(even, odd, 4, 12, 5, 13, 6, 14, 7, 15);
#endif
}

// Stores the even and odd columns 2n0 … 2n0 + 2·CK_LANES − 1 of one output row, interleaved.
CK_INLINE void CK_NAME(store_interleaved)(float *target, CK_NAME(vector) even, CK_NAME(vector) odd) {
    CK_NAME(store)(target, CK_NAME(interleave_low)(even, odd));
    CK_NAME(store)(target + CK_LANES, CK_NAME(interleave_high)(even, odd));
}

// Output rows 2m and 2m + 1 (when m < height) at columns 2n … 2n + 2·vectors·CK_LANES − 1 of CK_UP_CHANNELS output
// channels. Each input vector is loaded once and used for all its taps before the next, so the registers hold
// the 4·CK_UP_CHANNELS·vectors sums, one vector and one weight.
CK_INLINE void CK_NAME(conv3x3_up_tile)(int vectors, long rows, long in_channels, const float *above, const float *below,
                                        long channel_stride, const float *weights, float *even_row, long out_width, long plane,
                                        bool odd_row) {
    // [channel][vector][even row even column, even row odd column, odd row even column, odd row odd column]
    CK_NAME(vector) sums[CK_UP_CHANNELS][CK_UP_VECTORS][4];
    for (int r = 0; r < CK_UP_CHANNELS; r++) for (int v = 0; v < CK_UP_VECTORS; v++) for (int p = 0; p < 4; p++) sums[r][v][p] = CK_NAME(splat)(0);
    for (long c = 0; c < in_channels; c++) {
        const float *taps = weights + c * 9 * CK_UP_CHANNELS;
        // (source row, column offset, taps and the parity each feeds), in the order every element's chain takes them.
#define CK_UP_STEP(source, offset, body)                                                                     \
        for (int v = 0; v < vectors; v++) {                                                                  \
            CK_NAME(vector) in = CK_NAME(load)((source) + c * channel_stride + v * CK_LANES + (offset));     \
            for (int r = 0; r < CK_UP_CHANNELS; r++) { body }                                                \
        }
#define CK_UP_FMA(parity, k) sums[r][v][parity] = CK_NAME(multiply_add)(CK_NAME(splat)(taps[(k) * CK_UP_CHANNELS + r]), in, sums[r][v][parity]);
        CK_UP_STEP(below, 1, CK_UP_FMA(0, 0) CK_UP_FMA(1, 1) CK_UP_FMA(2, 3) CK_UP_FMA(3, 4))
        CK_UP_STEP(below, 0, CK_UP_FMA(0, 2) CK_UP_FMA(2, 5))
        CK_UP_STEP(above, 1, CK_UP_FMA(0, 6) CK_UP_FMA(1, 7))
        CK_UP_STEP(above, 0, CK_UP_FMA(0, 8))
#undef CK_UP_FMA
#undef CK_UP_STEP
    }
    for (long r = 0; r < rows; r++) {
        for (int v = 0; v < vectors; v++) {
            float *target = even_row + r * plane + 2 * v * CK_LANES;
            CK_NAME(store_interleaved)(target, sums[r][v][0], sums[r][v][1]);
            if (odd_row) CK_NAME(store_interleaved)(target + out_width, sums[r][v][2], sums[r][v][3]);
        }
    }
}

static void CK_NAME(conv3x3_up_rows)(long out_channels, long in_channels, long height, long width, const float *input,
                                     const float *packed, long m0, long m1, float *output, float *scratch) {
    // Columns −1 … width of each input row.
    const long padded_width = width + 2, band = m1 - m0 + 2, channel_stride = band * padded_width;
    CK_NAME(pad_band)(in_channels, height, width, padded_width, input, m0, m1, scratch);
    const long out_height = 2 * height + 1, out_width = 2 * width + 1, plane = out_height * out_width;
    const long tile_size = in_channels * 9 * CK_UP_CHANNELS;
    for (long tile = 0; tile * CK_UP_CHANNELS < out_channels; tile++) {
        long first = tile * CK_UP_CHANNELS, rows = out_channels - first < CK_UP_CHANNELS ? out_channels - first : CK_UP_CHANNELS;
        const float *weights = packed + tile * tile_size;
        for (long m = m0; m < m1; m++) {
            const float *above = scratch + (m - m0) * padded_width, *below = above + padded_width;
            float *even_row = output + first * plane + 2 * m * out_width;
            long n = 0;
            for (; n + CK_UP_VECTORS * CK_LANES <= width; n += CK_UP_VECTORS * CK_LANES) {
                CK_NAME(conv3x3_up_tile)(CK_UP_VECTORS, rows, in_channels, above + n, below + n, channel_stride, weights,
                                         even_row + 2 * n, out_width, plane, m < height);
            }
            for (; n + CK_LANES <= width; n += CK_LANES) {
                CK_NAME(conv3x3_up_tile)(1, rows, in_channels, above + n, below + n, channel_stride, weights,
                                         even_row + 2 * n, out_width, plane, m < height);
            }
            // The last column, 2·width, takes only tap j = 2 from input column width − 1 (padded column width). The
            // tile's channels run side by side, so their chains overlap instead of waiting on each other.
            float even[CK_UP_CHANNELS] = {0}, odd[CK_UP_CHANNELS] = {0};
            for (long c = 0; c < in_channels; c++) {
                const float *taps = weights + c * 9 * CK_UP_CHANNELS;
                float lower = below[c * channel_stride + width], upper = above[c * channel_stride + width];
                for (int r = 0; r < CK_UP_CHANNELS; r++) {
#if CK_FUSED
                    even[r] = __builtin_fmaf(taps[2 * CK_UP_CHANNELS + r], lower, even[r]);
                    even[r] = __builtin_fmaf(taps[8 * CK_UP_CHANNELS + r], upper, even[r]);
                    odd[r] = __builtin_fmaf(taps[5 * CK_UP_CHANNELS + r], lower, odd[r]);
#else
                    even[r] = taps[2 * CK_UP_CHANNELS + r] * lower + even[r];
                    even[r] = taps[8 * CK_UP_CHANNELS + r] * upper + even[r];
                    odd[r] = taps[5 * CK_UP_CHANNELS + r] * lower + odd[r];
#endif
                }
            }
            for (long r = 0; r < rows; r++) {
                even_row[r * plane + 2 * width] = even[r];
                if (m < height) even_row[r * plane + out_width + 2 * width] = odd[r];
            }
        }
    }
}

// C rows first … first + rows of Σ_c A[c][r]·B[c][·] over `vectors` vectors: the direct kernel's tile with one tap.
CK_INLINE void CK_NAME(row_products)(int vectors, long rows, long channels, const float *b, long ldb, const float *weights,
                                     float *out, long ldc) {
    CK_NAME(vector) sums[CK_CONV_CHANNELS][CK_CONV_VECTORS] = {{0}};
    for (long c = 0; c < channels; c++) {
        CK_NAME(vector) in[CK_CONV_VECTORS];
        for (int v = 0; v < vectors; v++) in[v] = CK_NAME(load)(b + c * ldb + v * CK_LANES);
        const float *taps = weights + c * CK_CONV_CHANNELS;
        for (int r = 0; r < CK_CONV_CHANNELS; r++) {
            CK_NAME(vector) factor = CK_NAME(splat)(taps[r]);
            for (int v = 0; v < vectors; v++) sums[r][v] = CK_NAME(multiply_add)(factor, in[v], sums[r][v]);
        }
    }
    for (long r = 0; r < rows; r++) for (int v = 0; v < vectors; v++) CK_NAME(store)(out + r * ldc + v * CK_LANES, sums[r][v]);
}

// row_products of one vector for two consecutive tiles of channels, whose packed weights follow each other (`weights`, then
// `weights` + channels·CK_CONV_CHANNELS), into rows 0 … CK_CONV_CHANNELS + second_rows − 1 of out: 12 chains of
// multiply-adds on one load of B where row_products of one vector has 6. The first tile is whole; the second has
// `second_rows` rows.
CK_INLINE void CK_NAME(row_products_pair)(long second_rows, long channels, const float *b, long ldb, const float *weights, float *out,
                                          long ldc) {
    enum { T = CK_CONV_CHANNELS };
    CK_NAME(vector) sums[2 * T] = {0};
    const float *second = weights + channels * T;
    for (long c = 0; c < channels; c++) {
        const CK_NAME(vector) in = CK_NAME(load)(b + c * ldb);
        for (int r = 0; r < T; r++) sums[r] = CK_NAME(multiply_add)(CK_NAME(splat)(weights[c * T + r]), in, sums[r]);
        for (int r = 0; r < T; r++) sums[T + r] = CK_NAME(multiply_add)(CK_NAME(splat)(second[c * T + r]), in, sums[T + r]);
    }
    for (long r = 0; r < T + second_rows; r++) CK_NAME(store)(out + r * ldc, sums[r]);
}
