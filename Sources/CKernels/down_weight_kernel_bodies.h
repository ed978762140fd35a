// The down-sampling's weight gradient (3×3, stride 2, no padding) as outer products read straight from the input, without
// im2col (docs/engine-kernels.md "Down-sampling weight gradient"). Included by kernel_bodies.h once per instruction set.
//
// The gradient is computed transposed, gradient_t[r][o] with r = c·9 + i·3 + j, in tiles of 6 rows r × one panel of
// 2·CK_LANES output channels held in registers: per pixel the panel's gradients are two vector loads and each row's
// input value one broadcast, 12 multiply-adds for 8 loads. The input is read where it lies (a row r's values for the
// pixels of an output row are input[c, 2y + i, 2x + j], every other float), so nothing is copied but the output
// gradient, transposed once per sample into panels. Each element is one chain of multiply-adds over the samples, the
// rows and the pixels of a row in order, its partial sum stored and loaded unchanged between calls and bands: the same
// bits whatever the bands, the blocking and the threads, and on every set that fuses.

enum { CK_NAME(down_weight_rows_per_tile) = 6, CK_NAME(down_weight_band_pixels) = 512 };

// panels[panel][p][k] = grad[(panel·P + k)·plane + p] (0 past out_channels), P = 2·CK_LANES, p < height·width, for the
// panels first_panel ≤ panel < end_panel.
static void CK_NAME(down_weight_panels)(long out_channels, long plane, const float *grad, float *panels, long first_panel,
                                        long end_panel) {
    enum { panel_channels = 2 * CK_LANES };
    for (long panel = first_panel; panel < end_panel; panel++) {
        float *target = panels + panel * plane * panel_channels;
        const long first = panel * panel_channels;
        const long channels = out_channels - first < panel_channels ? out_channels - first : panel_channels;
        // In blocks of pixels whose panel lines stay in cache while each channel's run fills its column of them.
        enum { block = 64 };
        for (long p0 = 0; p0 < plane; p0 += block) {
            const long p1 = p0 + block < plane ? p0 + block : plane;
            for (long k = 0; k < panel_channels; k++) {
                const float *source = grad + (first + k) * plane;
                for (long p = p0; p < p1; p++) target[p * panel_channels + k] = k < channels ? source[p] : 0;
            }
        }
    }
}

// Rows r0 ≤ r < r0 + 6 of one panel over the output rows y0 ≤ y < y1. Rows past `rows` repeat the last one's input
// (computed and dropped) so the loop has no branches.
CK_INLINE void CK_NAME(down_weight_tile)(long rows, const long *offsets, const float *input, long in_width, long width, long y0,
                                         long y1, const float *panel, float *gradient_t, long ldc) {
    enum { tile_rows = CK_NAME(down_weight_rows_per_tile), panel_channels = 2 * CK_LANES };
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
// [in, 2·height + 1, 2·width + 1] input planes and panels as down_weight_panels wrote them. In bands of a few output rows,
// each band's panels crossed with the channels' rows: the band's input and panels stay in cache while every tile reads them.
static void CK_NAME(down_weight_rows)(long height, long width, const float *input, const float *panels, long first_panel,
                                      long end_panel, long in_first, long in_end, long y0, long y1, float *gradient_t, long ldc) {
    enum { tile_rows = CK_NAME(down_weight_rows_per_tile), panel_channels = 2 * CK_LANES };
    const long in_width = 2 * width + 1, in_plane = (2 * height + 1) * in_width, plane = height * width;
    const long r_first = in_first * 9, r_end = in_end * 9;
    const long band_rows = width >= CK_NAME(down_weight_band_pixels) ? 1 : CK_NAME(down_weight_band_pixels) / width;
    long tap_offsets[9];
    for (int tap = 0; tap < 9; tap++) tap_offsets[tap] = (tap / 3) * in_width + tap % 3;
    for (long band = y0; band < y1; band += band_rows) {
        const long band_end = band + band_rows < y1 ? band + band_rows : y1;
        for (long panel = first_panel; panel < end_panel; panel++) {
            const float *source = panels + panel * plane * panel_channels;
            long channel = in_first, tap = 0;
            for (long r0 = r_first; r0 < r_end; r0 += tile_rows) {
                const long rows = r_end - r0 < tile_rows ? r_end - r0 : tile_rows;
                long offsets[tile_rows];
                for (int k = 0; k < tile_rows; k++) {
                    if (k < rows) offsets[k] = channel * in_plane + tap_offsets[tap];
                    else offsets[k] = offsets[k - 1];
                    if (k < rows && ++tap == 9) tap = 0, channel++;
                }
                CK_NAME(down_weight_tile)(rows, offsets, input, in_width, width, band, band_end, source,
                                          gradient_t + r0 * ldc + panel * panel_channels, ldc);
            }
        }
    }
}
