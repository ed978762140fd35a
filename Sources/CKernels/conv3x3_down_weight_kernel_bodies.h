// The down-sampling's weight gradient (3×3, stride 2, no padding) as outer products read straight from the input, without
// im2col (docs/engine-kernels.md "Down-sampling weight gradient"), included by kernel_bodies.h once per instruction set
// with its macros (CK_NAME, CK_LANES, CK_FUSED) and helpers (vector type, load, store, splat, multiply_add) defined. No
// include guard, as kernel_bodies.h.
//
// The gradient is computed transposed, gradient_t[r][o] with r = c·9 + i·3 + j, in tiles of 6 rows r × one panel of
// output channels held in registers: per pixel the panel's gradients are two vector loads and each row's input value one
// broadcast, 12 multiply-adds for 8 loads. The input is read where it lies (a row r's values for the pixels of an output
// row are input[c, 2y + i, 2x + j], every other float), so nothing is copied but the output gradient, transposed once
// per sample into panels. Each element is one chain of multiply-adds over the samples, the rows and the pixels of a row
// in order, its partial sum stored and loaded unchanged between calls and bands: the same bits whatever the bands, the
// blocking and the threads, and on every set that fuses. (row_tile, the skinny GEMM's tile, starts its sums from zero
// and adds C after: a second rounding, and sums that would depend on the split.)

enum {
    // Two vectors of output channels per panel, so a tile is 6 × 2 sums: with the 2 gradient vectors and a broadcast, 15
    // of AVX2's 16 registers (AVX-512 has 32; a wider tile there is unmeasured).
    CK_NAME(conv3x3_down_weight_panel_channels) = 2 * CK_LANES,
    CK_NAME(conv3x3_down_weight_tile_rows) = 6,
    // Output pixels per band: a band's panel (32 KB on 8 lanes) is read by every tile of a channel block while the band's
    // input rows stay in cache. Bands of 256 and 1024 pixels measured alike or slower (docs/engine-kernels.md).
    CK_NAME(conv3x3_down_weight_band_pixels) = 512,
    // Pixels per block of the panels' transpose, whose panel lines stay in cache while each channel fills its column.
    CK_NAME(conv3x3_down_weight_transpose_pixels) = 64,
    // Rows r per block of the gradient's transpose back, whose lines stay in cache while each channel writes its run.
    CK_NAME(conv3x3_down_weight_unpack_rows) = 16,
};

// panels[panel][p][k] = grad[(panel·P + k)·plane + p] (0 past out_channels), P = conv3x3_down_weight_panel_channels, for
// p < plane and the panels first_panel ≤ panel < end_panel.
static void CK_NAME(conv3x3_down_weight_panels)(long out_channels, long plane, const float *grad, float *panels, long first_panel,
                                                long end_panel) {
    enum { panel_channels = CK_NAME(conv3x3_down_weight_panel_channels), block_pixels = CK_NAME(conv3x3_down_weight_transpose_pixels) };
    for (long panel = first_panel; panel < end_panel; panel++) {
        float *target = panels + panel * plane * panel_channels;
        const long first = panel * panel_channels;
        const long channels = out_channels - first < panel_channels ? out_channels - first : panel_channels;
        for (long p0 = 0; p0 < plane; p0 += block_pixels) {
            const long p1 = p0 + block_pixels < plane ? p0 + block_pixels : plane;
            for (long k = 0; k < channels; k++) {
                const float *source = grad + (first + k) * plane;
                CK_STRIDED_COPY
                for (long p = p0; p < p1; p++) target[p * panel_channels + k] = source[p];
            }
            for (long k = channels; k < panel_channels; k++) {
                CK_STRIDED_COPY
                for (long p = p0; p < p1; p++) target[p * panel_channels + k] = 0;
            }
        }
    }
}

// Rows r0 ≤ r < r0 + 6 of one panel over the output rows y0 ≤ y < y1, continuing the sums in gradient_t. Rows past
// `rows` repeat the last one's input (computed and dropped) so the loop has no branches.
CK_INLINE void CK_NAME(conv3x3_down_weight_tile)(long rows, const long *offsets, const float *input, long in_width, long width,
                                                 long y0, long y1, const float *panel, float *gradient_t, long ldc) {
    enum { tile_rows = CK_NAME(conv3x3_down_weight_tile_rows), panel_channels = CK_NAME(conv3x3_down_weight_panel_channels) };
    CK_NAME(vector) sums[tile_rows][2];
    for (int r = 0; r < tile_rows; r++) {
        const float *row = gradient_t + (r < rows ? r : rows - 1) * ldc;
        sums[r][0] = CK_NAME(load)(row);
        sums[r][1] = CK_NAME(load)(row + CK_LANES);
    }
    for (long y = y0; y < y1; y++) {
        const float *line = input + 2 * y * in_width, *gradients = panel + y * width * panel_channels;
        const float *x0 = line + offsets[0], *x1 = line + offsets[1], *x2 = line + offsets[2];
        const float *x3 = line + offsets[3], *x4 = line + offsets[4], *x5 = line + offsets[5];
        for (long x = 0; x < width; x++) {
            const CK_NAME(vector) low = CK_NAME(load)(gradients + x * panel_channels);
            const CK_NAME(vector) high = CK_NAME(load)(gradients + x * panel_channels + CK_LANES);
            const float values[tile_rows] = {x0[2 * x], x1[2 * x], x2[2 * x], x3[2 * x], x4[2 * x], x5[2 * x]};
            for (int r = 0; r < tile_rows; r++) {
                const CK_NAME(vector) value = CK_NAME(splat)(values[r]);
                sums[r][0] = CK_NAME(multiply_add)(value, low, sums[r][0]);
                sums[r][1] = CK_NAME(multiply_add)(value, high, sums[r][1]);
            }
        }
    }
    for (int r = 0; r < rows; r++) {
        CK_NAME(store)(gradient_t + r * ldc, sums[r][0]);
        CK_NAME(store)(gradient_t + r * ldc + CK_LANES, sums[r][1]);
    }
}

// gradient_t[(c·9 + i·3 + j)·ldc + o] += Σ_{y0 ≤ y < y1} Σ_x panels(o, y·width + x)·input[c, 2y + i, 2x + j] for the
// input channels in_first ≤ c < in_end and the output channels of panels first_panel ≤ panel < end_panel, with
// [in, 2·height + 1, 2·width + 1] input planes (width ≥ 1) and panels as conv3x3_down_weight_panels wrote them. In bands
// of about conv3x3_down_weight_band_pixels output pixels, each band's panels crossed with the channels' rows.
static void CK_NAME(conv3x3_down_weight_rows)(long height, long width, const float *input, const float *panels, long first_panel,
                                              long end_panel, long in_first, long in_end, long y0, long y1, float *gradient_t,
                                              long ldc) {
    enum { tile_rows = CK_NAME(conv3x3_down_weight_tile_rows), panel_channels = CK_NAME(conv3x3_down_weight_panel_channels) };
    const long in_width = 2 * width + 1, in_plane = (2 * height + 1) * in_width, plane = height * width;
    const long r_first = in_first * 9, r_end = in_end * 9;
    const long band_rows = width >= CK_NAME(conv3x3_down_weight_band_pixels) ? 1 : CK_NAME(conv3x3_down_weight_band_pixels) / width;
    long tap_offsets[9];
    for (int tap = 0; tap < 9; tap++) tap_offsets[tap] = (tap / 3) * in_width + tap % 3;
    for (long band = y0; band < y1; band += band_rows) {
        const long band_end = band + band_rows < y1 ? band + band_rows : y1;
        for (long panel = first_panel; panel < end_panel; panel++) {
            const float *source = panels + panel * plane * panel_channels;
            for (long r0 = r_first; r0 < r_end; r0 += tile_rows) {
                const long rows = r_end - r0 < tile_rows ? r_end - r0 : tile_rows;
                long offsets[tile_rows];
                for (int k = 0; k < tile_rows; k++) {
                    const long r = r0 + (k < rows ? k : rows - 1);
                    offsets[k] = (r / 9) * in_plane + tap_offsets[r % 9];
                }
                CK_NAME(conv3x3_down_weight_tile)(rows, offsets, input, in_width, width, band, band_end, source,
                                                  gradient_t + r0 * ldc + panel * panel_channels, ldc);
            }
        }
    }
}

// conv3x3_down_weight_unpack (ckernels.h), in blocks of rows r.
static void CK_NAME(conv3x3_down_weight_unpack)(long out_channels, long patch, long ldc, const float *gradient_t, float *output,
                                                long first_panel, long end_panel) {
    enum { panel_channels = CK_NAME(conv3x3_down_weight_panel_channels), block_rows = CK_NAME(conv3x3_down_weight_unpack_rows) };
    for (long panel = first_panel; panel < end_panel; panel++) {
        const long first = panel * panel_channels;
        const long channels = out_channels - first < panel_channels ? out_channels - first : panel_channels;
        for (long r0 = 0; r0 < patch; r0 += block_rows) {
            const long r1 = r0 + block_rows < patch ? r0 + block_rows : patch;
            for (long k = 0; k < channels; k++) {
                float *target = output + (first + k) * patch;
                CK_STRIDED_COPY
                for (long r = r0; r < r1; r++) target[r] = gradient_t[r * ldc + first + k];
            }
        }
    }
}
