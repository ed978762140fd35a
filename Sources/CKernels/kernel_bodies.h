// The kernels of ckernels.h, written once. kernels.c includes this file (through kernel_set.h) once per
// instruction set with CK_NAME (appends the set's suffix to every name), CK_LANES (floats per vector: 8 or
// 16) and CK_FUSED (1 where the set has a fused multiply-add instruction) defined, under that set's target
// attribute. No include guard: it is meant to be included several times.
//
// Every sum is formed in the same order on every set, so the sets with CK_FUSED agree bit for bit: the
// products accumulate in per-element (row combinations) or per-lane-of-8 (dot products) chains; a
// 16-lane set holds two of those 8-lane chains side by side instead of splitting them.

typedef float CK_NAME(vector) __attribute__((vector_size(CK_LANES * sizeof(float)), aligned(sizeof(float))));
typedef float CK_NAME(vector8) __attribute__((vector_size(8 * sizeof(float)), aligned(sizeof(float))));

#define CK_INLINE static inline __attribute__((always_inline))

CK_INLINE CK_NAME(vector) CK_NAME(load)(const float *source) {
    CK_NAME(vector) value;
    __builtin_memcpy(&value, source, sizeof value);
    return value;
}

CK_INLINE CK_NAME(vector8) CK_NAME(load8)(const float *source) {
    CK_NAME(vector8) value;
    __builtin_memcpy(&value, source, sizeof value);
    return value;
}

CK_INLINE void CK_NAME(store)(float *target, CK_NAME(vector) value) { __builtin_memcpy(target, &value, sizeof value); }

// Without the instruction (x86-64's baseline) a product is rounded before it is added: fmaf for every
// product would be about 100 times slower (`toonkit bench kernels`), and GEMM needs no exact rounding.
CK_INLINE CK_NAME(vector) CK_NAME(multiply_add)(CK_NAME(vector) x, CK_NAME(vector) y, CK_NAME(vector) sum) {
#if CK_FUSED
    return __builtin_elementwise_fma(x, y, sum);
#else
    return x * y + sum;
#endif
}

// One lane of multiply_add: the same rounding.
CK_INLINE float CK_NAME(multiply_add_lane)(float x, float y, float sum) {
#if CK_FUSED
    return __builtin_fmaf(x, y, sum);
#else
    return x * y + sum;
#endif
}

// Lane by lane, not `x + zero`, which would turn -0 into +0.
CK_INLINE CK_NAME(vector) CK_NAME(splat)(float x) {
    CK_NAME(vector) value;
    for (int lane = 0; lane < CK_LANES; lane++) value[lane] = x;
    return value;
}

// Eight floats from each address: one 8-lane vector, or two side by side in a 16-lane one.
CK_INLINE CK_NAME(vector) CK_NAME(load_pair)(const float *low, const float *high) {
#if CK_LANES == 16
    return __builtin_shufflevector(CK_NAME(load8)(low), CK_NAME(load8)(high), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#else
    (void)high;
    return CK_NAME(load)(low);
#endif
}

// `tile_rows` (4 or 8) rows × (vectors · CK_LANES) columns of C held in registers while p runs. Rows past `rows`
// repeat the last one (their sums are computed and dropped) so the loop has no branches.
CK_INLINE void CK_NAME(row_tile)(int tile_rows, int vectors, long rows, long k, const float *a, long row_stride, long depth_stride,
                                 const float *b, long ldb, bool accumulate, float *c, long ldc) {
    CK_NAME(vector) sums[8][2] = {{0}};
    long offsets[8];
    for (int r = 0; r < tile_rows; r++) offsets[r] = (r < rows ? r : rows - 1) * row_stride;
    for (long p = 0; p < k; p++) {
        const float *row = b + p * ldb, *column = a + p * depth_stride;
        CK_NAME(vector) low = CK_NAME(load)(row), high = vectors > 1 ? CK_NAME(load)(row + CK_LANES) : low;
        for (int r = 0; r < tile_rows; r++) {
            CK_NAME(vector) factor = CK_NAME(splat)(column[offsets[r]]);
            sums[r][0] = CK_NAME(multiply_add)(factor, low, sums[r][0]);
            if (vectors > 1) sums[r][1] = CK_NAME(multiply_add)(factor, high, sums[r][1]);
        }
    }
    for (int r = 0; r < rows; r++) {
        for (int v = 0; v < vectors; v++) {
            float *target = c + r * ldc + v * CK_LANES;
            CK_NAME(vector) value = sums[r][v];
            if (accumulate) value += CK_NAME(load)(target);
            CK_NAME(store)(target, value);
        }
    }
}

// target[column] = values[column], or target[column] + values[column] when accumulating (as row_tile adds C), for column < count.
CK_INLINE void CK_NAME(store_row_prefix)(float *target, const float *values, long count, bool accumulate) {
    for (long column = 0; column < count; column++) target[column] = accumulate ? values[column] + target[column] : values[column];
}

// The rows of C for the columns j ≤ column < j + vectors · CK_LANES: in tiles of 8 rows while more than 4 are left when
// `eight_rows`, then of 4 (so a product of 3 rows, ToRGB's, computes 4, not 8).
CK_INLINE void CK_NAME(row_tiles)(bool eight_rows, int vectors, long m, long k, const float *a, long row_stride, long depth_stride,
                                  const float *b, long ldb, bool accumulate, float *c, long ldc) {
    long i = 0;
    for (; eight_rows && m - i > 4; i += 8) {
        CK_NAME(row_tile)(8, vectors, m - i < 8 ? m - i : 8, k, a + i * row_stride, row_stride, depth_stride, b, ldb, accumulate,
                          c + i * ldc, ldc);
    }
    for (; i < m; i += 4) {
        CK_NAME(row_tile)(4, vectors, m - i < 4 ? m - i : 4, k, a + i * row_stride, row_stride, depth_stride, b, ldb, accumulate,
                          c + i * ldc, ldc);
    }
}

static void CK_NAME(row_combinations)(long m, long k, const float *a, long row_stride, long depth_stride,
                                      const float *b, long ldb, bool accumulate, float *c, long ldc, long j0, long j1) {
    long j = j0;
    // 16-lane sets have the registers for 8 rows × 2 vectors, which read each row of B half as often; it pays from a
    // depth of 128 (fewer, and the tile's start and stores weigh more).
    const bool eight_rows = CK_LANES == 16 && k >= 128;
    for (; j + 2 * CK_LANES <= j1; j += 2 * CK_LANES) {
        CK_NAME(row_tiles)(eight_rows, 2, m, k, a, row_stride, depth_stride, b + j, ldb, accumulate, c + j, ldc);
    }
    // With 16 lanes, one block of 16 columns may be left: one vector per row.
    for (; j + 16 <= j1; j += 16) {
        CK_NAME(row_tiles)(false, 16 / CK_LANES, m, k, a, row_stride, depth_stride, b + j, ldb, accumulate, c + j, ldc);
    }
    // The last columns (fewer than 16), each element by the same chain of multiply-adds over p as in the tiles. Up to a
    // depth of 512, from a copy of B's last columns padded with zeros to 16 (32 KB on the stack), by the 4-row tile:
    // summed one chain at a time they took about a fifth of the time at 1225 columns, where they are 0.7 % of them
    // (docs/engine-kernels.md). Deeper, by scalar chains, the columns' side by side so that they overlap.
    const long tail = j1 - j;
    if (tail == 0) return;
    enum { padded_depth = 512 };
    if (k <= padded_depth) {
        float padded[padded_depth * 16], result[4 * 16];
        for (long p = 0; p < k; p++) {
            for (long column = 0; column < 16; column++) padded[p * 16 + column] = column < tail ? b[p * ldb + j + column] : 0;
        }
        for (long i = 0; i < m; i += 4) {
            long rows = m - i < 4 ? m - i : 4;
            CK_NAME(row_tile)(4, 16 / CK_LANES, rows, k, a + i * row_stride, row_stride, depth_stride, padded, 16, false, result, 16);
            for (long r = 0; r < rows; r++) CK_NAME(store_row_prefix)(c + (i + r) * ldc + j, result + r * 16, tail, accumulate);
        }
        return;
    }
    for (long i = 0; i < m; i++) {
        float totals[16] = {0};
        for (long p = 0; p < k; p++) {
            const float factor = a[i * row_stride + p * depth_stride], *row = b + p * ldb + j;
            for (long column = 0; column < tail; column++) totals[column] = CK_NAME(multiply_add_lane)(factor, row[column], totals[column]);
        }
        CK_NAME(store_row_prefix)(c + i * ldc + j, totals, tail, accumulate);
    }
}

// 2 rows × 4 vectors of dot products (4 columns, or 8 with 16 lanes), 8 partial sums each along k.
// Rows and columns past `rows` and `columns` repeat the last one.
CK_INLINE void CK_NAME(dot_tile)(long rows, long columns, long k, const float *a, long lda, const float *b, long ldb,
                                 bool accumulate, float *c, long ldc) {
    enum { columns_per_vector = CK_LANES / 8, tile_columns = 4 * columns_per_vector };
    const float *rows_a[2] = {a, a + (rows > 1 ? lda : 0)};
    const float *rows_b[tile_columns];
    for (int j = 0; j < tile_columns; j++) rows_b[j] = b + (j < columns ? j : columns - 1) * ldb;
    CK_NAME(vector) sums[2][4] = {{0}};
    long p = 0;
    for (; p + 8 <= k; p += 8) {
        CK_NAME(vector) x0 = CK_NAME(load_pair)(rows_a[0] + p, rows_a[0] + p), x1 = CK_NAME(load_pair)(rows_a[1] + p, rows_a[1] + p);
        for (int v = 0; v < 4; v++) {
            const float *low = rows_b[v * columns_per_vector], *high = rows_b[v * columns_per_vector + columns_per_vector - 1];
            CK_NAME(vector) y = CK_NAME(load_pair)(low + p, high + p);
            sums[0][v] = CK_NAME(multiply_add)(x0, y, sums[0][v]);
            sums[1][v] = CK_NAME(multiply_add)(x1, y, sums[1][v]);
        }
    }
    // The horizontal sums in lane order from -0 (as Swift's SIMD8.sum()), then the tail of k.
    for (int r = 0; r < rows; r++) {
        for (int j = 0; j < columns; j++) {
            CK_NAME(vector) partial = sums[r][j / columns_per_vector];
            int first = (j % columns_per_vector) * 8;
            float total = -0.0f;
            for (int lane = first; lane < first + 8; lane++) total += partial[lane];
            for (long q = p; q < k; q++) total += rows_a[r][q] * rows_b[j][q];
            float *target = c + r * ldc + j;
            *target = (accumulate ? *target : 0) + total;
        }
    }
}

static void CK_NAME(dot_products)(long m, long k, const float *a, long lda, const float *b, long ldb,
                                  bool accumulate, float *c, long ldc, long j0, long j1) {
    const long tile_columns = 4 * (CK_LANES / 8);
    for (long j = j0; j < j1; j += tile_columns) {
        long columns = j1 - j < tile_columns ? j1 - j : tile_columns;
        for (long i = 0; i < m; i += 2) {
            CK_NAME(dot_tile)(m - i < 2 ? m - i : 2, columns, k, a + i * lda, lda, b + j * ldb, ldb, accumulate, c + i * ldc + j, ldc);
        }
    }
}

static void CK_NAME(lerp)(long n, const float *start, const float *end, float weight, float *out) {
    if (__builtin_fabsf(weight) < 0.5f) {
        for (long i = 0; i < n; i++) out[i] = __builtin_fmaf(weight, end[i] - start[i], start[i]);
    } else {
        const float towardEnd = -(1 - weight);
        for (long i = 0; i < n; i++) out[i] = __builtin_fmaf(towardEnd, end[i] - start[i], end[i]);
    }
}

// Written as in the Swift loop this replaced (AdamStep.swift): the same operations in the same order, none fused
// (FP_CONTRACT is off), so every set and every split of the elements gives that loop's bits. The square root is the
// elementwise builtin, which sets no errno, so the loop vectorises.
static void CK_NAME(adam)(long n, const float *gradient, float *first, float *second, float *parameter, float beta1,
                          float one_minus_beta1, float beta2, float one_minus_beta2, float step_size, float root2, float epsilon) {
    for (long i = 0; i < n; i++) {
        float g = gradient[i];
        g = g != g ? 0 : g == __builtin_inff() ? 1e5f : g == -__builtin_inff() ? -1e5f : g;
        const float m = beta1 * first[i] + one_minus_beta1 * g;
        const float v = beta2 * second[i] + one_minus_beta2 * g * g;
        first[i] = m;
        second[i] = v;
        parameter[i] -= step_size * m / (__builtin_elementwise_sqrt(v) / root2 + epsilon);
    }
}

// Written as in BiasAct.swift, whose loop this replaced: the same operations in the same order, and
// clamping with Swift's max then min (which keep a NaN).
CK_INLINE void CK_NAME(bias_act_loop)(long n, const float *source, bool scaled, float scale, const float *addend, float bias,
                                      float slope, float gain, float limit, float *target) {
    for (long i = 0; i < n; i++) {
        float t = source[i];
        if (scaled) t *= scale;
        if (addend) t += addend[i];
        t += bias;
        float activated = (t > 0 ? t : t * slope) * gain;
        float above = -limit >= activated ? -limit : activated;
        target[i] = limit < above ? limit : above;
    }
}

// One loop per combination of the optional inputs, so each vectorises without tests inside.
static void CK_NAME(bias_act)(long n, const float *source, bool scaled, float scale, const float *addend, float bias,
                              float slope, float gain, float limit, float *target) {
    if (scaled && addend) {
        CK_NAME(bias_act_loop)(n, source, true, scale, addend, bias, slope, gain, limit, target);
    } else if (scaled) {
        CK_NAME(bias_act_loop)(n, source, true, scale, 0, bias, slope, gain, limit, target);
    } else if (addend) {
        CK_NAME(bias_act_loop)(n, source, false, 1, addend, bias, slope, gain, limit, target);
    } else {
        CK_NAME(bias_act_loop)(n, source, false, 1, 0, bias, slope, gain, limit, target);
    }
}

// Written as in BiasAct.swift, whose loop this replaced (gain·slope formed once: the same product every time).
static void CK_NAME(bias_act_gradient)(long n, const float *gradient, const float *output, float gain, float gain_slope, float limit,
                                       float *target) {
    for (long i = 0; i < n; i++) {
        const float y = output[i];
        const float derivative = y > 0 ? gain : gain_slope;
        target[i] = __builtin_fabsf(y) < limit ? gradient[i] * derivative : 0;
    }
}

// The FIR filter's passes, each product and sum in the order of the Swift loops they replaced (docs/engine-kernels.md
// "The FIR filter"). fir_add_tap adds one tap over a run: the horizontal pass's runs at up > 1 (2 through the output),
// which stay scalar, as they were in Swift (written as their own loop they would add onto every other output through
// gathers and scatters), and fir_row's and fir_sum_rows' fallbacks, whose runs step by 1 or 2 through the input and 1
// through the output, each with its own loop so that it vectorises.
static void CK_NAME(fir_add_tap)(long count, float weight, const float *restrict source, long source_stride, float *restrict target,
                                 long target_stride) {
    if (source_stride == 1 && target_stride == 1) {
        for (long i = 0; i < count; i++) target[i] += weight * source[i];
    } else if (target_stride == 1 && source_stride == 2) {
        for (long i = 0; i < count; i++) target[i] += weight * source[2 * i];
    } else {
        CK_STRIDED_COPY
        for (long i = 0; i < count; i++) target[i * target_stride] += weight * source[i * source_stride];
    }
}

// One loop per tap count up to StyleGAN2's four and step 1 or 2, so each vectorises with an output's sum in a register
// over its taps.
CK_INLINE void CK_NAME(fir_row_of)(int taps, long step, const float *weights, const float *source, long count, float *out) {
    for (long i = 0; i < count; i++) {
        float sum = 0;
        for (int t = 0; t < taps; t++) sum = sum + weights[t] * source[i * step + t];
        out[i] = sum;
    }
}

static void CK_NAME(fir_row)(long taps, const float *weights, const float *source, long step, long count, float *out) {
    switch (taps * 4 + (step == 1 ? 0 : step == 2 ? 1 : 2)) {
    case 4: CK_NAME(fir_row_of)(1, 1, weights, source, count, out); break;
    case 5: CK_NAME(fir_row_of)(1, 2, weights, source, count, out); break;
    case 8: CK_NAME(fir_row_of)(2, 1, weights, source, count, out); break;
    case 9: CK_NAME(fir_row_of)(2, 2, weights, source, count, out); break;
    case 12: CK_NAME(fir_row_of)(3, 1, weights, source, count, out); break;
    case 13: CK_NAME(fir_row_of)(3, 2, weights, source, count, out); break;
    case 16: CK_NAME(fir_row_of)(4, 1, weights, source, count, out); break;
    case 17: CK_NAME(fir_row_of)(4, 2, weights, source, count, out); break;
    default:
        // Other tap counts and steps: the same sums in the same order, tap by tap onto the zeroed row.
        for (long i = 0; i < count; i++) out[i] = 0;
        for (long t = 0; t < taps; t++) CK_NAME(fir_add_tap)(count, weights[t], source + t, step, out, 1);
    }
}

// One loop per tap count up to StyleGAN2's four, so each vectorises with an output's sum kept in a register over its rows
// and each output row stored once.
CK_INLINE void CK_NAME(fir_sum_rows_of)(int taps, const float *weights, const float *const *lines, long width, float *out) {
    for (long x = 0; x < width; x++) {
        float sum = 0;
        for (int k = 0; k < taps; k++) sum = sum + weights[k] * lines[k][x];
        out[x] = sum;
    }
}

static void CK_NAME(fir_sum_rows)(long taps, const float *weights, const float *const *lines, long width, float *out) {
    switch (taps) {
    case 1: CK_NAME(fir_sum_rows_of)(1, weights, lines, width, out); break;
    case 2: CK_NAME(fir_sum_rows_of)(2, weights, lines, width, out); break;
    case 3: CK_NAME(fir_sum_rows_of)(3, weights, lines, width, out); break;
    case 4: CK_NAME(fir_sum_rows_of)(4, weights, lines, width, out); break;
    default:
        // No rows, or more than four: row by row onto the zeroed output, the same sums in the same order.
        for (long x = 0; x < width; x++) out[x] = 0;
        for (long k = 0; k < taps; k++) CK_NAME(fir_add_tap)(width, weights[k], lines[k], 1, out, 1);
    }
}

// One image row of col2im_stride_two_rows from `count` kernel rows (0, 1 or 2, a constant in each call), each given by
// its column-0 taps: column 1's are `columns` floats on, column 2's 2·columns. Where the width is a multiple of 8, in
// vectors of 8 output columns: even pixels take column 0 and column 2 read one entry back (at the row's start moved
// right, a zero coming in: adding it changes no sum, which is never −0 after the zero it starts from), and the two
// phases are interleaved into 16 pixels on store.
CK_INLINE void CK_NAME(col2im_stride_two_row)(int count, const float *const *rows, long width, long columns, float *line,
                                              bool overwriting) {
    typedef float v8 __attribute__((vector_size(32)));
    typedef float v16 __attribute__((vector_size(64)));
    const float *c0[2], *c1[2], *c2[2];
    for (int r = 0; r < count; r++) c0[r] = rows[r], c1[r] = rows[r] + columns, c2[r] = rows[r] + 2 * columns;
    long n = 0;
    if (width % 8 == 0) {
        for (; n < width; n += 8) {
            v8 even = {0}, odd = {0};
            for (int r = 0; r < count; r++) {
                v8 zero = {0}, first, back, middle;
                __builtin_memcpy(&first, c0[r] + n, sizeof first);
                __builtin_memcpy(&middle, c1[r] + n, sizeof middle);
                if (n == 0) {
                    __builtin_memcpy(&back, c2[r], sizeof back);
                    back = __builtin_shufflevector(zero, back, 0, 8, 9, 10, 11, 12, 13, 14);
                } else {
                    __builtin_memcpy(&back, c2[r] + n - 1, sizeof back);
                }
                even = even + first;
                even = even + back;
                odd = odd + middle;
            }
            v16 pixels = __builtin_shufflevector(even, odd, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
            if (!overwriting) {
                v16 image;
                __builtin_memcpy(&image, line + 2 * n, sizeof image);
                pixels = image + pixels;
            }
            __builtin_memcpy(line + 2 * n, &pixels, sizeof pixels);
        }
    } else {
        CK_STRIDED_COPY
        for (; n < width; n++) {
            float even = 0, odd = 0;
            for (int r = 0; r < count; r++) {
                even = even + c0[r][n];
                if (n > 0) even = even + c2[r][n - 1];
                odd = odd + c1[r][n];
            }
            line[2 * n] = overwriting ? even : line[2 * n] + even;
            line[2 * n + 1] = overwriting ? odd : line[2 * n + 1] + odd;
        }
    }
    float last = 0;
    for (int r = 0; r < count; r++) last = last + c2[r][width - 1];
    line[2 * width] = overwriting ? last : line[2 * width] + last;
}

// col2im_stride_two_rows (its arguments in ckernels.h). Input row iy takes kernel row 0 from output row iy/2 and row 2
// from iy/2 − 1 when even, row 1 from (iy − 1)/2 when odd; within a row, even pixels 2n take kernel columns 0 (output
// column n) and 2 (n − 1), odd pixels column 1 (n).
static void CK_NAME(col2im_stride_two_rows)(long width, long columns, const float *sample, long block_start, long block_end,
                                            long first_row, long end_row, float *plane, bool overwriting) {
    if (width < 1) return;
    for (long iy = first_row; iy < end_row; iy++) {
        const float *rows[2];
        int count = 0;
        const long oy = iy / 2;
        if (oy >= block_start && oy < block_end) rows[count++] = sample + 3 * (iy % 2) * columns + (oy - block_start) * width;
        if (iy % 2 == 0 && oy - 1 >= block_start && oy - 1 < block_end) rows[count++] = sample + 6 * columns + (oy - 1 - block_start) * width;
        float *line = plane + iy * (2 * width + 1);
        switch (count * 2 + overwriting) {
        case 0: CK_NAME(col2im_stride_two_row)(0, rows, width, columns, line, false); break;
        case 1: CK_NAME(col2im_stride_two_row)(0, rows, width, columns, line, true); break;
        case 2: CK_NAME(col2im_stride_two_row)(1, rows, width, columns, line, false); break;
        case 3: CK_NAME(col2im_stride_two_row)(1, rows, width, columns, line, true); break;
        case 4: CK_NAME(col2im_stride_two_row)(2, rows, width, columns, line, false); break;
        default: CK_NAME(col2im_stride_two_row)(2, rows, width, columns, line, true); break;
        }
    }
}

#include "conv_kernel_bodies.h"
#include "blocked_product_kernel_bodies.h"
#include "winograd_kernel_bodies.h"
#include "winograd_down_kernel_bodies.h"
#include "winograd_up_kernel_bodies.h"
#include "conv3x3_down_weight_kernel_bodies.h"
#include "winograd4_kernel_bodies.h"
#include "winograd4_5x5_kernel_bodies.h"
#include "line_winograd_kernel_bodies.h"

static const ck_kernel_table CK_NAME(kernel_table) = {
    .fuses_products = CK_FUSED,
    .row_combinations = CK_NAME(row_combinations),
    .blocked_products = CK_NAME(blocked_products),
    .blocked_panel_columns = CK_BLOCK_COLUMNS,
    .blocked_depth = CK_BLOCK_DEPTH,
    .dot_products = CK_NAME(dot_products),
    .lerp = CK_NAME(lerp),
    .adam = CK_NAME(adam),
    .bias_act = CK_NAME(bias_act),
    .bias_act_gradient = CK_NAME(bias_act_gradient),
    .fir_add_tap = CK_NAME(fir_add_tap),
    .fir_sum_rows = CK_NAME(fir_sum_rows),
    .fir_row = CK_NAME(fir_row),
    .col2im_stride_two_rows = CK_NAME(col2im_stride_two_rows),
    .conv3x3_tile_channels = CK_CONV_CHANNELS,
    .conv3x3_pack = CK_NAME(conv3x3_pack),
    .conv3x3_rows = CK_NAME(conv3x3_rows),
    .conv3x3_down_rows = CK_NAME(conv3x3_down_rows),
    .conv3x3_weight_tile_channels = CK_WEIGHT_CHANNELS,
    .conv3x3_weight_rows = CK_NAME(conv3x3_weight_rows),
    .winograd_pack = CK_NAME(winograd_pack),
    .winograd_scratch = CK_NAME(winograd_scratch),
    .conv3x3_winograd_rows = CK_NAME(conv3x3_winograd_rows),
    .winograd4_pack = CK_NAME(winograd4_pack),
    .winograd4_scratch = CK_NAME(winograd4_scratch),
    .conv3x3_winograd4_rows = CK_NAME(conv3x3_winograd4_rows),
    .winograd4_5x5_pack = CK_NAME(winograd4_5x5_pack),
    .winograd4_5x5_scratch = CK_NAME(winograd4_5x5_scratch),
    .conv5x5_winograd4_rows = CK_NAME(conv5x5_winograd4_rows),
    .winograd_band = CK_NAME(winograd_band),
    .winograd_band_transforms = CK_NAME(winograd_band_transforms),
    .winograd_unpack_gradient = CK_NAME(winograd_unpack_gradient),
    .winograd_samples_products_floats = CK_NAME(winograd_samples_products_floats),
    .conv3x3_winograd_samples_rows = CK_NAME(conv3x3_winograd_samples_rows),
    .winograd_up_pack = CK_NAME(winograd_up_pack),
    .winograd_up_scratch = CK_NAME(winograd_up_scratch),
    .winograd_up_rows = CK_NAME(winograd_up_rows),
    .winograd_down_pack = CK_NAME(winograd_down_pack),
    .winograd_down_scratch = CK_NAME(winograd_down_scratch),
    .winograd_down_rows = CK_NAME(winograd_down_rows),
    .conv3x3_down_weight_panel_channels = CK_NAME(conv3x3_down_weight_panel_channels),
    .conv3x3_down_weight_panels = CK_NAME(conv3x3_down_weight_panels),
    .conv3x3_down_weight_rows = CK_NAME(conv3x3_down_weight_rows),
    .conv3x3_down_weight_unpack = CK_NAME(conv3x3_down_weight_unpack),
    .conv3x3_up_tile_channels = CK_UP_CHANNELS,
    .conv3x3_up_rows = CK_NAME(conv3x3_up_rows),
    .line_winograd_input = CK_NAME(line_winograd_input),
    .line_winograd_output = CK_NAME(line_winograd_output),
    .line_winograd_weight = CK_NAME(line_winograd_weight),
};

#undef CK_CONV_VECTORS
#undef CK_BLOCK_DEPTH
#undef CK_BLOCK_COLUMNS
#undef CK_WEIGHT_CHANNELS
#undef CK_UP_CHANNELS
#undef CK_UP_VECTORS
#undef CK_INLINE
