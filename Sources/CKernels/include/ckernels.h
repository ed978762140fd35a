#ifndef TOONKIT_CKERNELS_H
#define TOONKIT_CKERNELS_H

// The engine's vector kernels, compiled once per instruction set and chosen at run time
// (docs/engine-kernels.md): no target flags on the package, so other packages can depend on it.

#include <stdbool.h>

#pragma clang assume_nonnull begin

typedef enum {
    ck_baseline = 0,  // what the compiler targets by default (x86-64 SSE2, or the host's aarch64)
    ck_avx2 = 1,      // AVX2 + FMA, 256-bit vectors
    ck_avx512 = 2,    // AVX-512 F/BW/VL + FMA, 512-bit vectors
    ck_avx2x16 = 3,   // AVX-512's 16-lane kernels compiled for AVX2 + FMA, so machines without AVX-512 check those code paths
} ck_instruction_set;

/// Where a band's transforms for the Winograd weight gradient lie in its scratch (`scratch` floats): V[ξ][c][t]
/// at transformed_input and M̂[ξ][o][t] at transformed_gradient, `stride` floats per channel, input_positions and
/// gradient_positions floats from one position ξ to the next, tiles t < `tiles` (of every sample in the band). The
/// forward pass by bands of samples uses the band copies and V only: the first transformed_gradient floats.
typedef struct {
    long tiles, stride, input_positions, gradient_positions, transformed_input, transformed_gradient, scratch;
} ck_winograd_band;

/// The stride-1 Winograd forward kernels' shapes (F(2×2, 3×3), F(4×4, 3×3) and F(4×4, 5×5); see ck_kernel_table): the
/// weights' transform, the scratch of a band (also the parity kernels' scratch, whose last argument is their own width: the
/// up-sampling's input's, the down-sampling's output's), and a band's output rows.
typedef void (*ck_winograd_pack)(long out_channels, long in_channels, const float *weight, long out_stride, long in_stride, bool flip,
                                 float *packed, long first_tile, long end_tile);
typedef long (*ck_winograd_scratch)(long out_channels, long in_channels, long rows, long out_width);
/// The up- and down-sampling's Winograd weight transforms (see ck_kernel_table), which place each tap by its parity.
typedef void (*ck_parity_pack)(long out_channels, long in_channels, const float *weight, long out_stride, long in_stride, float *packed,
                               long first_tile, long end_tile);
typedef void (*ck_winograd_rows)(long out_channels, long in_channels, long in_height, long in_width, long pad, long out_height,
                                 long out_width, const float *input, const float *packed, long y0, long y1, bool accumulate, float *output,
                                 float *scratch);

typedef struct {
    /// Whether the products of row_combinations and dot_products are fused into their sums (every set
    /// but x86-64's baseline, which has no such instruction); lerp always fuses.
    bool fuses_products;
    /// C[i, j] (+)= Σ_p A(i, p)·B[p, j] for every row i and the columns j0 ≤ j < j1, where
    /// A(i, p) = a[i·row_stride + p·depth_stride]. j0 is a multiple of 16; every element is one chain of
    /// multiply-adds over p, also in the columns past the last full 16 (through a zero-padded copy of B's).
    void (*row_combinations)(long m, long k, const float *a, long row_stride, long depth_stride,
                             const float *b, long ldb, bool accumulate, float *c, long ldc, long j0, long j1);
    /// C[i, j] (+)= Σ_p A(i, p)·B(p, j) for every row i and the columns j0 ≤ j < j1, B(p, j) = B[p, j], or B[j, p] when
    /// transpose_b (docs/engine-kernels.md "Blocked products"). j0 is a multiple of blocked_panel_columns; every element is
    /// one chain of multiply-adds over p in order, from 0, or from C when accumulating.
    void (*blocked_products)(long m, long k, const float *a, long row_stride, long depth_stride,
                             const float *b, long ldb, bool transpose_b, bool accumulate, float *c, long ldc, long j0, long j1);
    /// Columns of C per panel of blocked_products: its register tile's (64 with 16 lanes, 16 with 8).
    long blocked_panel_columns;
    /// Rows of B per depth block of blocked_products: 128, a 64-column panel's 32 KB.
    long blocked_depth;
    /// C[i, j] (+)= Σ_p A[i, p]·B[j, p] for every row i and the columns j0 ≤ j < j1.
    void (*dot_products)(long m, long k, const float *a, long lda, const float *b, long ldb,
                         bool accumulate, float *c, long ldc, long j0, long j1);
    /// out[i] = torch.lerp(start[i], end[i], weight), one fused multiply-add from the nearer end.
    void (*lerp)(long n, const float *start, const float *end, float weight, float *out);
    /// One Adam step of n elements in place (torch.optim.Adam; see AdamStep.swift): the gradient sanitised (NaN → 0,
    /// ±inf → ±1e5), m = β₁·m + (1 − β₁)·g, v = β₂·v + (1 − β₂)·g·g, p −= step·m / (√v / root2 + ε), unfused.
    void (*adam)(long n, const float *gradient, float *first, float *second, float *parameter, float beta1, float one_minus_beta1,
                 float beta2, float one_minus_beta2, float step_size, float root2, float epsilon);
    /// target[i] = clamp(act((source[i]·scale if scaled) + addend[i] + bias)·gain, ±limit), act(t) = t > 0 ? t : t·slope.
    void (*bias_act)(long n, const float *source, bool scaled, float scale, const float *_Nullable addend, float bias,
                     float slope, float gain, float limit, float *target);
    /// target[i] = |output[i]| < limit ? gradient[i]·(output[i] > 0 ? gain : gain_slope) : 0, bias_act's gradient
    /// given its output (gain_slope = gain·slope).
    void (*bias_act_gradient)(long n, const float *gradient, const float *output, float gain, float gain_slope, float limit,
                              float *target);
    /// target[i·target_stride] += weight·source[i·source_stride] for i < count, the product and the sum rounded apart: one
    /// tap of the FIR filter's horizontal pass over a run of pixels (UpFirDn.swift). Source and target must not overlap.
    void (*fir_add_tap)(long count, float weight, const float *source, long source_stride, float *target, long target_stride);
    /// out[x] = ((0 + weights[0]·lines[0][x]) + weights[1]·lines[1][x]) + … over `taps` rows, x < width, each product and
    /// sum rounded apart: a row of the FIR filter's vertical pass (UpFirDn.swift).
    void (*fir_sum_rows)(long taps, const float *weights, const float *_Nonnull const *_Nonnull lines, long width, float *out);
    /// out[i] = ((0 + weights[0]·source[i·step]) + weights[1]·source[i·step + 1]) + … over `taps` taps, i < count, each
    /// product and sum rounded apart: the outputs of a row of the FIR filter's horizontal pass at up = 1 that every tap
    /// reaches (UpFirDn.swift).
    void (*fir_row)(long taps, const float *weights, const float *source, long step, long count, float *out);
    /// col2im of the unpadded 3×3 stride-2 geometry (the up-sampling's, and the down-sampling's backward data) for one
    /// channel of one sample: input rows first_row ≤ iy < end_row of a plane 2·width + 1 wide, from the block's output
    /// rows block_start ≤ oy < block_end, whose kernel row i, column j entries start at
    /// sample + (3i + j)·columns + (oy − block_start)·width. Each pixel's taps summed onto zero in kernel row, then
    /// column order, the sum written (`overwriting`) or added after the image's value (Im2col.swift `col2im`).
    void (*col2im_stride_two_rows)(long width, long columns, const float *sample, long block_start, long block_end,
                                   long first_row, long end_row, float *plane, bool overwriting);
    /// Output channels per tile of the direct 3×3 convolution (conv3x3_rows) and of the up-sampling one (conv3x3_up_rows).
    long conv3x3_tile_channels;
    long conv3x3_up_tile_channels;
    /// packed[tile][c][k][r] = weight[o·out_stride + c·in_stride + (flip ? 8 − k : k)], o = tile·T + r (the last
    /// output channel repeated past out_channels), T = tile_channels: ⌈out/T⌉·T·in·9 floats. Writes only the tiles
    /// first_tile ≤ tile < end_tile, so threads can pack disjoint ranges.
    void (*conv3x3_pack)(long tile_channels, long out_channels, long in_channels, const float *weight, long out_stride, long in_stride,
                         bool flip, float *packed, long first_tile, long end_tile);
    /// conv_transpose2d with stride 2 and no padding: output[o, Y, X] = Σ_c Σ_ij input[c, y, x]·w[o, c, i, j] over
    /// Y = 2y + i, X = 2x + j, for the output rows 2·m0 ≤ Y < min(2·m1, 2·height + 1) of [out, 2·height + 1, 2·width + 1]
    /// planes, 0 ≤ m0 < m1 ≤ height + 1; width a multiple of 16; weights packed with conv3x3_up_tile_channels;
    /// scratch holds in·(m1 − m0 + 2)·(width + 2) floats.
    void (*conv3x3_up_rows)(long out_channels, long in_channels, long height, long width, const float *input,
                            const float *packed, long m0, long m1, float *output, float *scratch);
    /// output[o, y, x] (+)= Σ_c Σ_ij input[c, y + i − 1, x + j − 1]·w[o, c, i, j] (zero outside the image) for rows
    /// y0 ≤ y < y1 of [out, height, width] planes; width a multiple of 16. scratch holds in·(y1 − y0 + 2)·(width + 2).
    void (*conv3x3_rows)(long out_channels, long in_channels, long height, long width, const float *input,
                         const float *packed, long y0, long y1, bool accumulate, float *output, float *scratch);
    /// conv2d with stride 2 and no padding from [in, 2·height + 1, 2·width + 1] planes to [out, height, width] ones,
    /// rows y0 ≤ y < y1, weights and width as conv3x3_rows; scratch holds in·(2·(y1 − y0) + 1)·(2·width + 1) floats.
    void (*conv3x3_down_rows)(long out_channels, long in_channels, long height, long width, const float *input,
                              const float *packed, long y0, long y1, bool accumulate, float *output, float *scratch);
    /// Output channels per tile of the weight gradient: callers split the output channels at its multiples.
    long conv3x3_weight_tile_channels;
    /// gradient[o, c, i, j] += Σ_{y0 ≤ y < y1} Σ_x grad[o, y, x]·input[c, y + i − 1, x + j − 1] (zero outside) for
    /// out_first ≤ o < out_first + out_count, with [out, height, width] grad planes, [in, height, width] input planes and
    /// a [out, in, 3, 3] gradient; width a multiple of 16; scratch as conv3x3_rows. Each element's sum runs over
    /// rows, then vectors of pixels in lane-partial chains summed across lanes, so sets of different widths differ
    /// in rounding.
    void (*conv3x3_weight_rows)(long out_first, long out_count, long in_channels, long height, long width,
                                const float *input, const float *grad, long y0, long y1, float *gradient, float *scratch);
    /// Winograd F(2×2, 3×3) for stride-1 3×3 convolutions: U[ξ][tile][c][r] = (G g Gᵀ)[ξ] of the weight addressed
    /// as conv3x3_pack does (16·⌈out/T⌉·T·in floats, T = conv3x3_tile_channels); the rows' scratch size for bands of at
    /// most `rows` output rows of out_width; output rows y0 ≤ y < y1 of
    /// output[o, y, x] (+)= Σ_c Σ_{i,j} w[o, c, i, j]·input[c, y + i − pad, x + j − pad] (zero outside the input), with
    /// [in, in_height, in_width] input planes, [out, out_height, out_width] output planes, 0 ≤ pad ≤ 2 and out = in + 2·pad − 2
    /// (in ≥ 1) on both axes, any sizes; y1 − y0 at most the `rows` the scratch was sized for.
    ck_winograd_pack winograd_pack;
    ck_winograd_scratch winograd_scratch;
    ck_winograd_rows conv3x3_winograd_rows;
    /// The same convolution's forward pass by Winograd F(4×4, 3×3) (docs/engine-kernels.md "Winograd F(4×4, 3×3)"): 36
    /// transformed weights per channel pair (36·⌈out/T⌉·T·in floats), the scratch and rows as above. With y0 a multiple of
    /// 4 (bands of whole tile rows) every pixel's result is the same whatever the bands; another y0 is correct but groups the
    /// pixels into other tiles, which round differently. About 13 times the rounding of F(2×2, 3×3).
    ck_winograd_pack winograd4_pack;
    ck_winograd_scratch winograd4_scratch;
    ck_winograd_rows conv3x3_winograd4_rows;
    /// A stride-1 5×5 convolution's forward pass by Winograd F(4×4, 5×5) (docs/engine-kernels.md "Winograd F(4×4, 5×5)"):
    /// 64 transformed weights per channel pair from the 25 taps (64·⌈out/T⌉·T·in floats, the weight addressed as
    /// conv3x3_pack does with 25 taps per pair), the scratch and rows as above but with 5×5 taps, out = in + 2·pad − 4.
    /// Bands as F(4×4, 3×3)'s, with about its rounding over four times the channels.
    ck_winograd_pack winograd4_5x5_pack;
    ck_winograd_scratch winograd4_5x5_scratch;
    ck_winograd_rows conv5x5_winograd4_rows;
    /// The Winograd weight gradient of that convolution (docs/engine-kernels.md "Winograd weight gradient"), per band of
    /// output rows y0 ≤ y < y1 of `samples` samples (whole planes when more than one): winograd_band_transforms writes
    /// the band's V of the input channels and M̂ = A gy Aᵀ of the output channels ([out, out_height, out_width] gy planes,
    /// input_sample and grad_sample floats from one sample to the next), for the channel items first ≤ k < end numbered
    /// inputs first (so threads can split them); the caller adds M̂[ξ] V[ξ]ᵀ to dU[ξ] ([16][out][in]) for every position;
    /// once every band is in, winograd_unpack_gradient writes gradient[o·out_stride + c·in_stride + i·3 + j] =
    /// (Gᵀ dU[·][o][c] G)[i][j] for out_first ≤ o < out_end.
    ck_winograd_band (*winograd_band)(long out_channels, long in_channels, long rows, long out_width, long samples);
    void (*winograd_band_transforms)(long out_channels, long in_channels, long in_height, long in_width, long pad,
                                         long out_height, long out_width, const float *input, const float *grad, long y0, long y1,
                                         long samples, long input_sample, long grad_sample, long first, long end, float *scratch);
    void (*winograd_unpack_gradient)(long out_channels, long in_channels, const float *du, long out_stride, long in_stride,
                                     float *gradient, long out_first, long out_end);
    /// The F(2×2, 3×3) forward pass over bands of several samples' whole planes (docs/engine-kernels.md "Winograd by
    /// samples"), threads splitting the output channels: winograd_band_transforms writes the band's V (items
    /// first ≤ k < end ≤ in_channels, rows 0 … out_height; `grad` unused); winograd_samples_products_floats is the M
    /// scratch of `channels` output channels at V's `stride` (winograd_band); conv3x3_winograd_samples_rows writes (or
    /// adds to) output channels of the tiles first_tile ≤ tile < end_tile (T = conv3x3_tile_channels) of each sample's
    /// [out, out_height, out_width] planes, output_sample floats apart, from the weights packed by winograd_pack. The same
    /// bits as conv3x3_winograd_rows.
    long (*winograd_samples_products_floats)(long channels, long stride);
    void (*conv3x3_winograd_samples_rows)(long out_channels, long in_channels, long out_height, long out_width, long samples,
                                          const float *packed, const float *v, long first_tile, long end_tile, bool accumulate,
                                          float *output, long output_sample, float *m);
    /// conv3x3_up_rows' transposed convolution by Winograd F(3×3, 2×2) over its four output parities (docs/engine-kernels.md
    /// "Winograd up-sampling"), any height and width: winograd_up_pack writes the 25 transformed weights of the
    /// [out, in, 3, 3] taps addressed as conv3x3_pack addresses them (25·⌈out/T⌉·T·in floats, T = conv3x3_tile_channels,
    /// tiles first_tile ≤ tile < end_tile); winograd_up_scratch is the scratch of bands of at most `rows` parity rows;
    /// winograd_up_rows writes the output rows 2·m0 ≤ Y < min(2·m1, 2·height + 1), 0 ≤ m0 < m1 ≤ height + 1. With m0 a
    /// multiple of 3 (bands of whole tile rows) every pixel's result is the same whatever the bands; another m0 is correct
    /// but groups the pixels into other tiles, which round differently.
    ck_parity_pack winograd_up_pack;
    ck_winograd_scratch winograd_up_scratch;
    void (*winograd_up_rows)(long out_channels, long in_channels, long height, long width, const float *input,
                             const float *packed, long m0, long m1, float *output, float *scratch);
    /// conv3x3_down_rows' convolution by Winograd F(2×2, 2×2) over its input's four parities (docs/engine-kernels.md
    /// "Winograd down-sampling"), any height and width: winograd_down_pack writes the 16 transformed weights of the
    /// [out, in, 3, 3] taps addressed as conv3x3_pack addresses them (16·⌈out/T⌉·T·in floats); winograd_down_scratch is
    /// the scratch of bands of at most `rows` output rows; winograd_down_rows writes (or adds to) output rows y0 ≤ y < y1.
    /// With y0 even (bands of whole tile rows) every pixel's result is the same whatever the bands; an odd y0 is correct
    /// but groups the pixels into other tiles.
    ck_parity_pack winograd_down_pack;
    ck_winograd_scratch winograd_down_scratch;
    void (*winograd_down_rows)(long out_channels, long in_channels, long height, long width, const float *input,
                               const float *packed, long y0, long y1, bool accumulate, float *output, float *scratch);
    /// conv3x3_down_rows' weight gradient without im2col (docs/engine-kernels.md "Down-sampling weight gradient"), computed
    /// transposed. conv3x3_down_weight_panels writes panels[panel][p][k] = grad[(panel·P + k)·plane + p] (0 past
    /// out_channels), P = conv3x3_down_weight_panel_channels, p < plane, for first_panel ≤ panel < end_panel.
    /// conv3x3_down_weight_rows adds Σ_{y0 ≤ y < y1} Σ_x grad[o, y, x]·input[c, 2y + i, 2x + j] to
    /// gradient_t[(c·9 + i·3 + j)·ldc + o] for the channels in_first ≤ c < in_end and the output channels of the panels
    /// first_panel ≤ panel < end_panel, with [in, 2·height + 1, 2·width + 1] input planes, width ≥ 1, any other sizes; it
    /// writes whole panels' columns (ldc ≥ end_panel·P). Each element is one chain of multiply-adds over rows, then
    /// pixels, in order, continued from the value it reads: the same bits whatever the calls' split, on every set that fuses.
    long conv3x3_down_weight_panel_channels;
    void (*conv3x3_down_weight_panels)(long out_channels, long plane, const float *grad, float *panels, long first_panel,
                                       long end_panel);
    void (*conv3x3_down_weight_rows)(long height, long width, const float *input, const float *panels, long first_panel,
                                     long end_panel, long in_first, long in_end, long y0, long y1, float *gradient_t, long ldc);
    /// conv3x3_down_weight_unpack writes output[(panel·P + k)·patch + r] = gradient_t[r·ldc + panel·P + k] for the
    /// panels' output channels below out_channels and r < patch, for first_panel ≤ panel < end_panel: the gradient in
    /// [out, patch] order.
    void (*conv3x3_down_weight_unpack)(long out_channels, long patch, long ldc, const float *gradient_t,
                                       float *output, long first_panel, long end_panel);
    /// Winograd F(outputs, taps) along one axis (LineWinograd.swift), taps ∈ {3, 7}, outputs ∈ {2, 4}, α = taps + outputs − 1,
    /// over `tiles` tiles of one plane's lines (line_stride floats apart, each readable a whole vector past `across`).
    /// line_winograd_input writes V[ξ] = (Bᵀ d)[ξ], d[j] = line outputs·t + j, for tile t and p < across at
    /// v[t·tile_stride + ξ·position_stride + p] (only p < across). line_winograd_output reads M[ξ] at
    /// m[t·tile_stride + ξ·position_stride + p] (a whole vector past `across`) and writes output i of tile t, whole
    /// vectors, to line outputs·t + i. The same bits on every set.
    void (*line_winograd_input)(int taps, int outputs, long tiles, long across, const float *lines, long line_stride,
                                float *v, long tile_stride, long position_stride);
    void (*line_winograd_output)(int taps, int outputs, long tiles, long across, const float *m, long tile_stride,
                                 long position_stride, float *lines, long line_stride);
    /// u[ξ·filters + f] = Σ_k filter[ξ·taps + k]·weight[f·taps + k] (G g, in double precision, rounded once) for the
    /// filters first ≤ f < end and every position ξ < points.
    void (*line_winograd_weight)(int taps, int points, const double *filter, const float *weight, long filters, long first,
                                 long end, float *u);
} ck_kernel_table;

/// Whether this CPU (and the OS, for the wider registers' state) can run `set`.
bool ck_cpu_supports(ck_instruction_set set);

/// The kernels compiled for `set`; NULL when this build has none for it (non-x86 machines).
const ck_kernel_table *_Nullable ck_kernels(ck_instruction_set set);

#pragma clang assume_nonnull end

#endif
