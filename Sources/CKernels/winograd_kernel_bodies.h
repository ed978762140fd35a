// The Winograd convolution kernels of ckernels.h (docs/engine-kernels.md "Winograd"), included by kernel_bodies.h
// after conv_kernel_bodies.h (whose register tile, band copy and interleaving stores they use), once per instruction
// set, as that file. No include guard.

// Winograd F(2×2, 3×3) for stride-1 3×3 convolutions with padding 0, 1 or 2 (docs/engine-kernels.md "Winograd"):
// each 2×2 block of output pixels ("tile") is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over the 4×4 input patch d, so the
// products per output pixel fall from 9 to 4 per channel pair. The 16 element-wise products summed over input
// channels are 16 matrix products U[ξ] (out × in) · V[ξ] (in × tiles), run by the same register tiles as the
// direct kernel with one tap. Planes of any size: a row of tiles is transformed in whole vectors of tile columns,
// whose tail (past the plane) the next row's tiles overwrite, so the products run over the plane's tiles (rounded up
// to whole vectors) only; the partial tiles of an odd width or height are computed and only their pixels inside the
// plane stored. Vector lanes past the band's last tile read whatever the scratch held and are never stored.

// Floats of one position of the packed transformed weights: ⌈out / T⌉·T·in, T = CK_CONV_CHANNELS.
CK_INLINE long CK_NAME(winograd_position_floats)(long out_channels, long in_channels) {
    return (out_channels + CK_CONV_CHANNELS - 1) / CK_CONV_CHANNELS * in_channels * CK_CONV_CHANNELS;
}

// The most transformed weights per channel pair (F(4×4, 5×5)'s 64), and the most taps (5×5).
#define CK_WINOGRAD_MAX_POSITIONS 64
#define CK_WINOGRAD_MAX_TAPS 25

// winograd_pack_with transforms the weights of CK_WINOGRAD_PACK_CHANNELS input channels (a block: CK_CONV_CHANNELS · 8
// channel pairs, whole vectors of 8 or 16) at a time, and stores them a run of CK_WINOGRAD_PACK_RUN blocks at a time.
#define CK_WINOGRAD_PACK_CHANNELS 8
#define CK_WINOGRAD_PACK_RUN 4
_Static_assert(CK_CONV_CHANNELS * CK_WINOGRAD_PACK_CHANNELS % CK_LANES == 0, "a pack block of whole vectors");

// taps[k][c·T + r] = tap k < `taps` (9 for 3×3, 25 for 5×5) of the weights (rows[r], input channel c0 + c), T =
// CK_CONV_CHANNELS, as conv3x3_pack reads them (turned by 180° with `flip`); zeros for the channels at or past in_channels.
CK_INLINE void CK_NAME(winograd_pack_gather)(int taps, const float *const rows[CK_CONV_CHANNELS], long in_stride, bool flip, long c0,
                                             long in_channels, float gathered[CK_WINOGRAD_MAX_TAPS][CK_CONV_CHANNELS * CK_WINOGRAD_PACK_CHANNELS]) {
    // The next block's taps, fetched while this one's are gathered: loads from rows of the weight far apart had stalled
    // the gather (docs/engine-kernels.md "Prefetching the packs' taps"). With the input channels a row of the weight apart
    // (backward data's transposed weight) those are the next 8 rows' 6 tiles' taps, else the tile's 6 rows' next 8
    // channels.
    if (in_stride > taps * CK_CONV_CHANNELS) {
        for (long c = 0; c < CK_WINOGRAD_PACK_CHANNELS && c0 + CK_WINOGRAD_PACK_CHANNELS + c < in_channels; c++) {
            const char *next = (const char *)(rows[0] + (c0 + CK_WINOGRAD_PACK_CHANNELS + c) * in_stride);
            for (long line = 0; line < taps * CK_CONV_CHANNELS * (long)sizeof(float); line += 64) __builtin_prefetch(next + line);
        }
    } else if (c0 + CK_WINOGRAD_PACK_CHANNELS < in_channels) {
        for (long r = 0; r < CK_CONV_CHANNELS; r++) {
            const char *next = (const char *)(rows[r] + (c0 + CK_WINOGRAD_PACK_CHANNELS) * in_stride);
            for (long line = 0; line < taps * CK_WINOGRAD_PACK_CHANNELS * (long)sizeof(float); line += 64) __builtin_prefetch(next + line);
        }
    }
    for (long c = 0; c < CK_WINOGRAD_PACK_CHANNELS; c++) {
        CK_STRIDED_COPY
        for (long r = 0; r < CK_CONV_CHANNELS; r++) {
            const long pair = c * CK_CONV_CHANNELS + r;
            if (c0 + c >= in_channels) {
                for (int k = 0; k < taps; k++) gathered[k][pair] = 0;
                continue;
            }
            const float *source = rows[r] + (c0 + c) * in_stride;
            for (int k = 0; k < taps; k++) gathered[k][pair] = source[flip ? taps - 1 - k : k];
        }
    }
}

// U[ξ][tile][c][r] = transform(taps of weight (o = tile·T + r, c))[ξ] for `positions` ≤ CK_WINOGRAD_MAX_POSITIONS
// positions ξ, from `taps` ≤ CK_WINOGRAD_MAX_TAPS taps, T = CK_CONV_CHANNELS, the taps read as conv3x3_pack reads them
// (turned by 180° with `flip`; the last output channel repeated past out_channels), for the tiles first_tile ≤ tile <
// end_tile only. Vectorised over the channel pairs in their packed order (c, r): a block's taps are gathered tap by
// tap, a vector of pairs transformed at a time (each lane does the scalar transform's operations in the same order, so
// the values are the same to the bit), and a run of blocks kept on the stack, then each position's part of the run
// copied out in one piece. Transforming a pair at a time and storing a tile's 6 pairs per position, a whole position
// apart, took 2–3 times as long where the packed weights stay in the cache and 1.15–2 times on 512 × 512 channels, one
// thread (docs/engine-kernels.md "Packing the transformed weights").
CK_INLINE void CK_NAME(winograd_pack_with)(int positions, int taps, long out_channels, long in_channels, const float *weight, long out_stride,
                                           long in_stride, bool flip, float *packed, long first_tile, long end_tile,
                                           void (*transform)(const CK_NAME(vector) *taps, CK_NAME(vector) *u)) {
    enum { T = CK_CONV_CHANNELS, block_pairs = T * CK_WINOGRAD_PACK_CHANNELS, run_channels = CK_WINOGRAD_PACK_RUN * CK_WINOGRAD_PACK_CHANNELS };
    const long tiles = (out_channels + T - 1) / T;
    const long per_position = CK_NAME(winograd_position_floats)(out_channels, in_channels);
    float run[CK_WINOGRAD_MAX_POSITIONS][run_channels * T] __attribute__((aligned(64)));
    for (long tile = first_tile; tile < end_tile && tile < tiles; tile++) {
        const float *rows[T];
        for (long r = 0; r < T; r++) rows[r] = weight + (tile * T + r < out_channels ? tile * T + r : out_channels - 1) * out_stride;
        for (long run_c0 = 0; run_c0 < in_channels; run_c0 += run_channels) {
            const long channels = in_channels - run_c0 < run_channels ? in_channels - run_c0 : run_channels;
            for (long b0 = 0; b0 < channels; b0 += CK_WINOGRAD_PACK_CHANNELS) {
                float gathered[CK_WINOGRAD_MAX_TAPS][block_pairs] __attribute__((aligned(64)));
                CK_NAME(winograd_pack_gather)(taps, rows, in_stride, flip, run_c0 + b0, in_channels, gathered);
                for (int v = 0; v < block_pairs / CK_LANES; v++) {
                    CK_NAME(vector) t[CK_WINOGRAD_MAX_TAPS], u[CK_WINOGRAD_MAX_POSITIONS];
                    for (int k = 0; k < taps; k++) t[k] = CK_NAME(load)(gathered[k] + v * CK_LANES);
                    transform(t, u);
                    for (int k = 0; k < positions; k++) CK_NAME(store)(run[k] + b0 * T + v * CK_LANES, u[k]);
                }
            }
            float *target = packed + (tile * in_channels + run_c0) * T;
            for (int k = 0; k < positions; k++) __builtin_memcpy(target + k * per_position, run[k], channels * T * sizeof(float));
        }
    }
}

// (G g Gᵀ)[i·4 + j] of the taps g (i·3 + j), for a vector of channel pairs.
CK_INLINE void CK_NAME(winograd_transform_weight)(const CK_NAME(vector) taps[9], CK_NAME(vector) *u) {
    CK_NAME(vector) t[4][3];
    for (int j = 0; j < 3; j++) {
        t[0][j] = taps[j];
        t[1][j] = 0.5f * (taps[j] + taps[3 + j] + taps[6 + j]);
        t[2][j] = 0.5f * (taps[j] - taps[3 + j] + taps[6 + j]);
        t[3][j] = taps[6 + j];
    }
    for (int i = 0; i < 4; i++) {
        u[i * 4 + 0] = t[i][0];
        u[i * 4 + 1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        u[i * 4 + 2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        u[i * 4 + 3] = t[i][2];
    }
}

// U[ξ][tile][c][r] = (G g Gᵀ)[ξ] of weight (o = tile·T + r, c), T = CK_CONV_CHANNELS; addressing as conv3x3_pack.
static void CK_NAME(winograd_pack)(long out_channels, long in_channels, const float *weight, long out_stride, long in_stride,
                                   bool flip, float *packed, long first_tile, long end_tile) {
    CK_NAME(winograd_pack_with)(16, 9, out_channels, in_channels, weight, out_stride, in_stride, flip, packed, first_tile, end_tile,
                                CK_NAME(winograd_transform_weight));
}

// Where a band's pieces lie in the scratch, for a band of `rows` output rows of out_width (for the up-sampling, parity
// rows and columns): one place for the kernels (forward, weight gradient, up- and down-sampling) and the scratch size
// they ask for. In order: the band copy of every input channel, V, M (the products, or the weight gradient's M̂), the
// forward's even and odd column buffers. The up- and down-sampling use V and M only (winograd_up_scratch,
// winograd_down_scratch): they split their input rows on the stack.
typedef struct {
    long tiles_per_row;       // tile columns in the plane: ⌈out_width / side⌉
    long columns;             // tile columns transformed per row of tiles: tiles_per_row rounded up to whole vectors
    long tile_rows;           // ⌈rows / side⌉
    long stride;              // floats per channel of V and M: to the last sample's last row's whole vectors, rounded up to whole vectors
    long input_positions;     // floats from one position of V to the next (winograd_position_stride)
    long output_positions;    // floats from one position of M to the next
    long padded_width;        // the band copy's row: side·columns + halo input columns
    long band_rows;           // the band copy's rows: side·tile_rows + halo
    long channel_stride;      // floats per channel of the band copy
    long transformed_input;   // offset of V
    long transformed_output;  // offset of M
    long temporaries;         // offset of the column buffers: F(2×2)'s even and odd columns, columns + 1 floats each;
                              // F(4×4)'s columns 4x + k, columns + CK_LANES floats each
    long scratch;             // floats in all
} CK_NAME(winograd_layout);

CK_INLINE long CK_NAME(whole_vectors)(long n) {
    return (n + CK_LANES - 1) / CK_LANES * CK_LANES;
}

// Floats from one position of V or M to the next: `channels`·`stride` rounded up to an odd number of cache lines. A
// transform reads or writes all 16–64 positions of a tile at once; whole 4 KB pages apart (as channels·stride is
// whenever 128 channels or more meet a stride of whole vectors) they all fall in one set of the 8-way L1 cache and
// evict each other. An odd number of lines puts every position in a set of its own (docs/engine-kernels.md "Positions
// apart in the cache").
CK_INLINE long CK_NAME(winograd_position_stride)(long channels, long stride) {
    const long lines = (channels * stride + 15) / 16;
    return 16 * (lines | 1);
}

// `positions`: 16 for F(2×2, 3×3), 25 for the down-sampling's parities (winograd_down_rows), 36 for F(4×4, 3×3), 49 for
// the up-sampling's (winograd_up_rows); `side`: output pixels per tile along each axis, 2, 3 for the up-sampling's
// parity pixels, or 4 for F(4×4, 3×3) and F(4×4, 5×5). `samples`: bands of that many samples' planes whose tiles follow
// one another (the weight gradient's on small planes, winograd_band); the band copy holds one sample's rows at a time.
// `halo`: the kernel's size less one, the input rows and columns a band's tiles read past its output's (2 for 3×3, 4 for
// F(4×4, 5×5)).
CK_INLINE CK_NAME(winograd_layout) CK_NAME(winograd_halo_plan)(int positions, int side, int halo, long out_channels, long in_channels,
                                                               long rows, long out_width, long samples) {
    CK_NAME(winograd_layout) layout;
    layout.tiles_per_row = (out_width + side - 1) / side;
    layout.columns = CK_NAME(whole_vectors)(layout.tiles_per_row);
    layout.tile_rows = (rows + side - 1) / side;
    layout.stride = CK_NAME(whole_vectors)((samples * layout.tile_rows - 1) * layout.tiles_per_row + layout.columns);
    layout.padded_width = side * layout.columns + halo;
    layout.band_rows = side * layout.tile_rows + halo;
    layout.channel_stride = layout.band_rows * layout.padded_width;
    layout.input_positions = CK_NAME(winograd_position_stride)(in_channels, layout.stride);
    layout.output_positions = CK_NAME(winograd_position_stride)(out_channels, layout.stride);
    layout.transformed_input = in_channels * layout.channel_stride;
    layout.transformed_output = layout.transformed_input + positions * layout.input_positions;
    layout.temporaries = layout.transformed_output + positions * layout.output_positions;
    // Only the stride-1 kernels use the column buffers: F(4×4)'s four, F(2×2, 3×3)'s two (the parity kernels none).
    layout.scratch = layout.temporaries + (side == 4 ? 4 * (layout.columns + CK_LANES) : 2 * (layout.columns + 1));
    return layout;
}

CK_INLINE CK_NAME(winograd_layout) CK_NAME(winograd_samples_plan)(int positions, int side, long out_channels, long in_channels,
                                                                  long rows, long out_width, long samples) {
    return CK_NAME(winograd_halo_plan)(positions, side, 2, out_channels, in_channels, rows, out_width, samples);
}

CK_INLINE CK_NAME(winograd_layout) CK_NAME(winograd_plan)(int positions, int side, long out_channels, long in_channels, long rows,
                                                          long out_width) {
    return CK_NAME(winograd_samples_plan)(positions, side, out_channels, in_channels, rows, out_width, 1);
}

// The parity kernels' scratch (winograd_up_kernel_bodies.h, winograd_down_kernel_bodies.h): V, then M (from
// parity_products_offset on), without the band copy and column buffers, since they split their input rows on the stack.
CK_INLINE long CK_NAME(parity_scratch)(const CK_NAME(winograd_layout) *l) {
    return l->temporaries - l->transformed_input;
}

CK_INLINE long CK_NAME(parity_products_offset)(const CK_NAME(winograd_layout) *l) {
    return l->transformed_output - l->transformed_input;
}

static long CK_NAME(winograd_scratch)(long out_channels, long in_channels, long rows, long out_width) {
    return CK_NAME(winograd_plan)(16, 2, out_channels, in_channels, rows, out_width).scratch;
}

// M[ξ][o][t] = Σ_c U[ξ][o][c]·V[ξ][c][t] for one position ξ, every output channel and `tiles` tiles, with `stride`
// floats per channel (at least `tiles` rounded up to whole vectors). Tiles of CK_CONV_VECTORS vectors, then (16-lane
// sets) of two, then the last vector or two, partial or whole, two tiles of channels at a time (docs/engine-kernels.md
// "The products' tiles"): one vector of one channel tile has only 6 chains of multiply-adds, too few to keep the FMA units
// busy, and on 16-lane sets bands of 32 tiles (512 channels at 16² and 32²) or 16 (8²) would run all in such tiles. An odd
// last channel tile still runs alone. Each element is one chain over c in order whatever its tile, so the tiles give the
// same bits.
CK_INLINE void CK_NAME(winograd_products)(long out_channels, long in_channels, long tiles, long stride, const float *u, const float *v,
                                          float *m) {
    enum { T = CK_CONV_CHANNELS };
    const long channel_tiles = (out_channels + T - 1) / T, tile_floats = in_channels * T;
    const long wide = tiles / (CK_CONV_VECTORS * CK_LANES) * (CK_CONV_VECTORS * CK_LANES);
#if CK_CONV_VECTORS > 2
    const long narrow = wide + (tiles - wide) / (2 * CK_LANES) * (2 * CK_LANES);
#else
    const long narrow = wide;
#endif
    for (long tile = 0; tile < channel_tiles; tile++) {
        const long first = tile * T, rows = out_channels - first < T ? out_channels - first : T;
        long t = 0;
        for (; t < wide; t += CK_CONV_VECTORS * CK_LANES) {
            CK_NAME(row_products)(CK_CONV_VECTORS, rows, in_channels, v + t, stride, u + tile * tile_floats, m + first * stride + t, stride);
        }
        for (; t < narrow; t += 2 * CK_LANES) {
            CK_NAME(row_products)(2, rows, in_channels, v + t, stride, u + tile * tile_floats, m + first * stride + t, stride);
        }
    }
    for (long t = narrow; t < tiles; t += CK_LANES) {
        long tile = 0;
        for (; tile + 1 < channel_tiles; tile += 2) {
            const long first = tile * T, rows = out_channels - first - T < T ? out_channels - first - T : T;
            CK_NAME(row_products_pair)(rows, in_channels, v + t, stride, u + tile * tile_floats, m + first * stride + t, stride);
        }
        if (tile < channel_tiles) {
            const long first = tile * T;
            CK_NAME(row_products)(1, out_channels - first, in_channels, v + t, stride, u + tile * tile_floats, m + first * stride + t, stride);
        }
    }
}

// Every position's products over `tiles` tiles for the output channels first … first + channels − 1 (first a multiple of
// CK_CONV_CHANNELS): M[ξ] = U[weight_of[ξ]]·V[ξ] for ξ < positions (U[ξ] without weight_of), M's positions
// `output_positions` floats apart.
CK_INLINE void CK_NAME(winograd_channel_products)(int positions, const int *weight_of, long out_channels, long in_channels, long first,
                                                  long channels, long tiles, const CK_NAME(winograd_layout) *l, long output_positions,
                                                  const float *packed, const float *v, float *m) {
    const long per_position = CK_NAME(winograd_position_floats)(out_channels, in_channels);
    for (int position = 0; position < positions; position++) {
        CK_NAME(winograd_products)(channels, in_channels, tiles, l->stride,
                                   packed + (weight_of ? weight_of[position] : position) * per_position + first * in_channels,
                                   v + position * l->input_positions, m + position * output_positions);
    }
}

// Every position's products over the band's tiles, for every output channel.
CK_INLINE void CK_NAME(winograd_band_products)(int positions, const int *weight_of, long out_channels, long in_channels,
                                               const CK_NAME(winograd_layout) *l, const float *packed, const float *v, float *m) {
    CK_NAME(winograd_channel_products)(positions, weight_of, out_channels, in_channels, 0, out_channels, l->tile_rows * l->tiles_per_row, l,
                                       l->output_positions, packed, v, m);
}

// F(2, 3)'s input transform of four values, t = Bᵀ d: each row and column of F(2×2, 3×3)'s patches, and of F(3, 2)'s
// (winograd_up_kernel_bodies.h), whose Bᵀ is the same.
CK_INLINE void CK_NAME(f2_3_input)(CK_NAME(vector) d0, CK_NAME(vector) d1, CK_NAME(vector) d2, CK_NAME(vector) d3, CK_NAME(vector) t[4]) {
    t[0] = d0 - d2;
    t[1] = d1 + d2;
    t[2] = d2 - d1;
    t[3] = d1 - d3;
}

// V[ξ][c][t] = (Bᵀ d B)[ξ] of every tile of the band, t = tile row · half + tile column, vectorised over tile columns,
// for the channels first ≤ c < end. Each row of tiles writes `columns` tile columns; the tail past `half` lies where
// the next row's tiles go.
CK_INLINE void CK_NAME(winograd_input_transform)(long in_channels, long first, long end, long tile_rows, long half, long columns,
                                                 const float *band, long channel_stride, long padded_width, long stride,
                                                 long position_stride, float *v, float *even, float *odd) {
    for (long c = first; c < end; c++) {
        for (long ty = 0; ty < tile_rows; ty++) {
            for (int r = 0; r < 4; r++) {
                const float *line = band + c * channel_stride + (2 * ty + r) * padded_width;
                CK_NAME(split_columns)(line, columns, even, odd);
                odd[columns] = line[2 * columns + 1];
                for (long tx = 0; tx < columns; tx += CK_LANES) {
                    // Columns 2tx + k: even[tx], odd[tx], even[tx + 1], odd[tx + 1].
                    CK_NAME(vector) d0 = CK_NAME(load)(even + tx), d1 = CK_NAME(load)(odd + tx);
                    CK_NAME(vector) d2 = CK_NAME(load)(even + tx + 1), d3 = CK_NAME(load)(odd + tx + 1);
                    float *target = v + (c * stride + ty * half + tx);
                    // The row's d·B, kept per row r in the ξ = r·4 + k slots until all four rows are in.
                    CK_NAME(vector) t[4];
                    CK_NAME(f2_3_input)(d0, d1, d2, d3, t);
                    for (int k = 0; k < 4; k++) CK_NAME(store)(target + (r * 4 + k) * position_stride, t[k]);
                }
            }
            for (long tx = 0; tx < columns; tx += CK_LANES) {
                float *target = v + (c * stride + ty * half + tx);
                for (int k = 0; k < 4; k++) {
                    CK_NAME(vector) t0 = CK_NAME(load)(target + (0 * 4 + k) * position_stride), t1 = CK_NAME(load)(target + (1 * 4 + k) * position_stride);
                    CK_NAME(vector) t2 = CK_NAME(load)(target + (2 * 4 + k) * position_stride), t3 = CK_NAME(load)(target + (3 * 4 + k) * position_stride);
                    CK_NAME(vector) t[4];
                    CK_NAME(f2_3_input)(t0, t1, t2, t3, t);
                    for (int i = 0; i < 4; i++) CK_NAME(store)(target + (i * 4 + k) * position_stride, t[i]);
                }
            }
        }
    }
}

#if CK_LANES == 16
#define CK_EVEN_LANES 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define CK_ODD_LANES 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#else
#define CK_EVEN_LANES 0, 2, 4, 6, 8, 10, 12, 14
#define CK_ODD_LANES 1, 3, 5, 7, 9, 11, 13, 15
#endif

// phase[k][t] = line[4t + k] for k < 4 and t < CK_LANES: the even and odd floats of each pair of vectors, then the even
// and odd of those.
CK_INLINE void CK_NAME(split_fours)(const float *line, CK_NAME(vector) phase[4]) {
    const CK_NAME(vector) a = CK_NAME(load)(line), b = CK_NAME(load)(line + CK_LANES);
    const CK_NAME(vector) c = CK_NAME(load)(line + 2 * CK_LANES), d = CK_NAME(load)(line + 3 * CK_LANES);
    const CK_NAME(vector) ab_even = __builtin_shufflevector(a, b, CK_EVEN_LANES), ab_odd = __builtin_shufflevector(a, b, CK_ODD_LANES);
    const CK_NAME(vector) cd_even = __builtin_shufflevector(c, d, CK_EVEN_LANES), cd_odd = __builtin_shufflevector(c, d, CK_ODD_LANES);
    phase[0] = __builtin_shufflevector(ab_even, cd_even, CK_EVEN_LANES);
    phase[1] = __builtin_shufflevector(ab_odd, cd_odd, CK_EVEN_LANES);
    phase[2] = __builtin_shufflevector(ab_even, cd_even, CK_ODD_LANES);
    phase[3] = __builtin_shufflevector(ab_odd, cd_odd, CK_ODD_LANES);
}

#undef CK_EVEN_LANES
#undef CK_ODD_LANES

// phase[k][t] = line[3t + k] for k < 3 and t < CK_LANES: each phase's floats in the first two vectors, then the rest
// from the third (−1: a lane the second shuffle replaces).
CK_INLINE void CK_NAME(split_threes)(const float *line, CK_NAME(vector) phase[3]) {
    const CK_NAME(vector) a = CK_NAME(load)(line), b = CK_NAME(load)(line + CK_LANES), c = CK_NAME(load)(line + 2 * CK_LANES);
#if CK_LANES == 16
    phase[0] = __builtin_shufflevector(__builtin_shufflevector(a, b, 0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, -1, -1, -1, -1, -1), c,
                                       0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 17, 20, 23, 26, 29);
    phase[1] = __builtin_shufflevector(__builtin_shufflevector(a, b, 1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, -1, -1, -1, -1, -1), c,
                                       0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 18, 21, 24, 27, 30);
    phase[2] = __builtin_shufflevector(__builtin_shufflevector(a, b, 2, 5, 8, 11, 14, 17, 20, 23, 26, 29, -1, -1, -1, -1, -1, -1), c,
                                       0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 19, 22, 25, 28, 31);
#else
    phase[0] = __builtin_shufflevector(__builtin_shufflevector(a, b, 0, 3, 6, 9, 12, 15, -1, -1), c, 0, 1, 2, 3, 4, 5, 10, 13);
    phase[1] = __builtin_shufflevector(__builtin_shufflevector(a, b, 1, 4, 7, 10, 13, -1, -1, -1), c, 0, 1, 2, 3, 4, 8, 11, 14);
    phase[2] = __builtin_shufflevector(__builtin_shufflevector(a, b, 2, 5, 8, 11, 14, -1, -1, -1), c, 0, 1, 2, 3, 4, 9, 12, 15);
#endif
}

// phases[k·stride + t] = line[period·t + k − offset] for k < period, zero outside the row (or without one).
CK_INLINE void CK_NAME(split_patch_column)(const float *line, long width, int period, int offset, long t, float *phases, long stride) {
    for (int k = 0; k < period; k++) {
        const long x = period * t + k - offset;
        phases[k * stride + t] = line && x >= 0 && x < width ? line[x] : 0;
    }
}

// The parity kernels' patches (winograd_down_kernel_bodies.h, winograd_up_kernel_bodies.h): input rows first … first +
// `rows` − 1 of channel c of a height × width plane, row r split into phases[r·period·stride + k·stride + t] =
// row[period·t + k − offset] for k < period (3 or 4) and t ≤ columns, zero outside the plane. Each column of a tile's
// patch is then a whole vector over tile columns. Whole vectors of t inside the row are split by shuffles
// (split_threes, split_fours), the rest a float at a time (docs/engine-kernels.md "Splitting the parities' rows").
CK_INLINE void CK_NAME(split_patch_rows)(const float *input, long c, long height, long width, long first, int rows, int period, int offset,
                                         long columns, float *phases, long stride) {
    for (int r = 0; r < rows; r++) {
        const long row = first + r;
        const float *line = row >= 0 && row < height ? input + (c * height + row) * width : 0;
        float *target = phases + r * period * stride;
        // The first t whose columns are all inside the row.
        const long first_inside = line ? (offset + period - 1) / period : columns + 1;
        long t = 0;
        CK_STRIDED_COPY
        for (; t < first_inside && t <= columns; t++) CK_NAME(split_patch_column)(line, width, period, offset, t, target, stride);
        for (; line && period * (t + CK_LANES) - offset <= width && t + CK_LANES <= columns + 1; t += CK_LANES) {
            CK_NAME(vector) phase[4];
            if (period == 4) {
                CK_NAME(split_fours)(line + 4 * t - offset, phase);
            } else {
                CK_NAME(split_threes)(line + 3 * t - offset, phase);
            }
            for (int k = 0; k < period; k++) CK_NAME(store)(target + k * stride + t, phase[k]);
        }
        CK_STRIDED_COPY
        for (; t <= columns; t++) CK_NAME(split_patch_column)(line, width, period, offset, t, target, stride);
    }
}

// Writes (or adds) the first `count` floats of an interleaved store staged in `values`: the output transforms' partial
// last vectors and accumulating stores (store_interleaved_prefix, store_interleaved4_prefix, store_interleaved6_prefix).
CK_INLINE void CK_NAME(store_staged)(float *target, const float *values, long count, bool accumulate) {
    if (accumulate) {
        for (long x = 0; x < count; x++) target[x] += values[x];
    } else {
        for (long x = 0; x < count; x++) target[x] = values[x];
    }
}

// Stores (or adds) `count` ≤ 2·CK_LANES columns of one output row, the even and odd columns interleaved.
CK_INLINE void CK_NAME(store_interleaved_prefix)(float *target, CK_NAME(vector) even, CK_NAME(vector) odd, long count, bool accumulate) {
    if (count == 2 * CK_LANES && !accumulate) return CK_NAME(store_interleaved)(target, even, odd);
    float values[2 * CK_LANES];
    CK_NAME(store_interleaved)(values, even, odd);
    CK_NAME(store_staged)(target, values, count, accumulate);
}

// Y = Aᵀ M A per tile: output rows y0 + 2ty and (below y1) the next, even and odd columns interleaved on store.
CK_INLINE void CK_NAME(winograd_output_transform)(long out_channels, long out_height, long out_width, long tile_rows, long half,
                                                  long stride, long position_stride, const float *m, long y0, long y1, bool accumulate,
                                                  float *output) {
    const long plane = out_height * out_width;
    for (long o = 0; o < out_channels; o++) {
        for (long ty = 0; ty < tile_rows; ty++) {
            for (long tx = 0; tx < half; tx += CK_LANES) {
                const float *source = m + o * stride + ty * half + tx;
                CK_NAME(vector) s[4], d[4];
                for (int k = 0; k < 4; k++) {
                    CK_NAME(vector) m0 = CK_NAME(load)(source + (0 * 4 + k) * position_stride), m1 = CK_NAME(load)(source + (1 * 4 + k) * position_stride);
                    CK_NAME(vector) m2 = CK_NAME(load)(source + (2 * 4 + k) * position_stride), m3 = CK_NAME(load)(source + (3 * 4 + k) * position_stride);
                    s[k] = m0 + m1 + m2;
                    d[k] = m1 - m2 - m3;
                }
                const long y = y0 + 2 * ty, count = out_width - 2 * tx < 2 * CK_LANES ? out_width - 2 * tx : 2 * CK_LANES;
                float *top = output + o * plane + y * out_width + 2 * tx;
                CK_NAME(store_interleaved_prefix)(top, s[0] + s[1] + s[2], s[1] - s[2] - s[3], count, accumulate);
                if (y + 1 < y1) CK_NAME(store_interleaved_prefix)(top + out_width, d[0] + d[1] + d[2], d[1] - d[2] - d[3], count, accumulate);
            }
        }
    }
}

static void CK_NAME(conv3x3_winograd_rows)(long out_channels, long in_channels, long in_height, long in_width, long pad, long out_height,
                                           long out_width, const float *input, const float *packed, long y0, long y1, bool accumulate,
                                           float *output, float *scratch) {
    const CK_NAME(winograd_layout) l = CK_NAME(winograd_plan)(16, 2, out_channels, in_channels, y1 - y0, out_width);
    // Tile (ty, tx) reads the band's rows 2ty … 2ty + 3 and columns 2tx … 2tx + 3: image pixel (y0 + 2ty + i − pad, 2tx + j − pad).
    float *band = scratch, *v = scratch + l.transformed_input, *m = scratch + l.transformed_output;
    float *even = scratch + l.temporaries, *odd = even + l.columns + 1;
    CK_NAME(copy_band)(in_channels, in_height, in_width, input, y0 - pad, l.band_rows, pad, l.padded_width, band);
    CK_NAME(winograd_input_transform)(in_channels, 0, in_channels, l.tile_rows, l.tiles_per_row, l.columns, band, l.channel_stride, l.padded_width,
                                      l.stride, l.input_positions, v, even, odd);
    CK_NAME(winograd_band_products)(16, 0, out_channels, in_channels, &l, packed, v, m);
    CK_NAME(winograd_output_transform)(out_channels, out_height, out_width, l.tile_rows, l.tiles_per_row, l.stride, l.output_positions, m, y0,
                                       y1, accumulate, output);
}

// The weight gradient by Winograd F(2×2, 3×3), the adjoint of conv3x3_winograd_rows in the weight: for the band's
// tiles, dU[ξ] += M̂[ξ] V[ξ]ᵀ with M̂ = A gy Aᵀ (the output transform's adjoint, gy's 2×2 block per tile, zero outside
// the plane), then dw = Gᵀ dU G once at the end. The caller runs the 16 products (the engine's GEMM over the tiles).

static ck_winograd_band CK_NAME(winograd_band)(long out_channels, long in_channels, long rows, long out_width, long samples) {
    const CK_NAME(winograd_layout) l = CK_NAME(winograd_samples_plan)(16, 2, out_channels, in_channels, rows, out_width, samples);
    return (ck_winograd_band){.tiles = samples * l.tile_rows * l.tiles_per_row, .stride = l.stride, .input_positions = l.input_positions,
                              .gradient_positions = l.output_positions, .transformed_input = l.transformed_input,
                              .transformed_gradient = l.transformed_output, .scratch = l.scratch};
}

// M̂[ξ][o][t] for the output channels first ≤ o < end: each tile's rows of gy split into even and odd columns (zeros
// past the plane and from y1 on), then A·(2×2)·Aᵀ vectorised over tile columns, written as the input transform writes V.
CK_INLINE void CK_NAME(winograd_gradient_transform)(long out_channels, long first, long end, long out_height, long out_width,
                                                    const CK_NAME(winograd_layout) *l, const float *grad, long y0, long y1, float *m) {
    const long plane = out_height * out_width, position_stride = l->output_positions;
    float even[2][l->columns], odd[2][l->columns];
    for (long o = first; o < end; o++) {
        for (long ty = 0; ty < l->tile_rows; ty++) {
            for (int a = 0; a < 2; a++) {
                const long y = y0 + 2 * ty + a;
                for (long x = 0; x < l->columns; x++) even[a][x] = odd[a][x] = 0;
                if (y >= y1) continue;
                const float *line = grad + o * plane + y * out_width;
                for (long x = 0; 2 * x < out_width; x++) even[a][x] = line[2 * x];
                for (long x = 0; 2 * x + 1 < out_width; x++) odd[a][x] = line[2 * x + 1];
            }
            for (long tx = 0; tx < l->columns; tx += CK_LANES) {
                CK_NAME(vector) p0 = CK_NAME(load)(even[0] + tx), q0 = CK_NAME(load)(odd[0] + tx);
                CK_NAME(vector) p1 = CK_NAME(load)(even[1] + tx), q1 = CK_NAME(load)(odd[1] + tx);
                // Each row's gy·Aᵀ, then A·(those rows).
                CK_NAME(vector) e0[4] = {p0, p0 + q0, p0 - q0, -q0}, e1[4] = {p1, p1 + q1, p1 - q1, -q1};
                float *target = m + o * l->stride + ty * l->tiles_per_row + tx;
                for (int k = 0; k < 4; k++) {
                    CK_NAME(store)(target + (0 * 4 + k) * position_stride, e0[k]);
                    CK_NAME(store)(target + (1 * 4 + k) * position_stride, e0[k] + e1[k]);
                    CK_NAME(store)(target + (2 * 4 + k) * position_stride, e0[k] - e1[k]);
                    CK_NAME(store)(target + (3 * 4 + k) * position_stride, -e1[k]);
                }
            }
        }
    }
}

// The band's transforms for the channel items first ≤ k < end, numbered input channels first, then output channels:
// input channel k's band copy and V, or output channel k − in_channels's M̂, for each of `samples` samples (input and
// grad `input_sample` and `grad_sample` floats apart) in turn, each sample's tiles after the previous one's: a row's
// whole last vector spills onto the next row's tiles, which the next row or sample then writes. Items are independent,
// so threads can split them.
static void CK_NAME(winograd_band_transforms)(long out_channels, long in_channels, long in_height, long in_width, long pad,
                                                  long out_height, long out_width, const float *input, const float *grad, long y0,
                                                  long y1, long samples, long input_sample, long grad_sample, long first, long end,
                                                  float *scratch) {
    const CK_NAME(winograd_layout) l = CK_NAME(winograd_samples_plan)(16, 2, out_channels, in_channels, y1 - y0, out_width, samples);
    const long inputs_end = end < in_channels ? end : in_channels, sample_tiles = l.tile_rows * l.tiles_per_row;
    // Per thread, not the scratch's shared column buffers: threads transform different channels at once.
    float even[l.columns + 1], odd[l.columns + 1];
    for (long c = first; c < inputs_end; c++) {
        for (long s = 0; s < samples; s++) {
            CK_NAME(copy_band)(1, in_height, in_width, input + s * input_sample + c * in_height * in_width, y0 - pad, l.band_rows, pad,
                               l.padded_width, scratch + c * l.channel_stride);
            CK_NAME(winograd_input_transform)(in_channels, c, c + 1, l.tile_rows, l.tiles_per_row, l.columns, scratch, l.channel_stride,
                                              l.padded_width, l.stride, l.input_positions, scratch + l.transformed_input + s * sample_tiles,
                                              even, odd);
        }
    }
    const long outputs_first = first > in_channels ? first - in_channels : 0;
    for (long s = 0; end > in_channels && s < samples; s++) {
        CK_NAME(winograd_gradient_transform)(out_channels, outputs_first, end - in_channels, out_height, out_width, &l, grad + s * grad_sample,
                                             y0, y1, scratch + l.transformed_output + s * sample_tiles);
    }
}

// gradient[o·out_stride + c·in_stride + k] = (Gᵀ dU[·][o][c] G)[k] for out_first ≤ o < out_end, dU[ξ][o][c] summed
// over every band: the weight transform's adjoint. It only adds, subtracts and halves (and kernels.c turns off
// contraction), so every set rounds it alike.
static void CK_NAME(winograd_unpack_gradient)(long out_channels, long in_channels, const float *du, long out_stride, long in_stride,
                                              float *gradient, long out_first, long out_end) {
    const long per_position = out_channels * in_channels;
    for (long o = out_first; o < out_end; o++) {
        for (long c = 0; c < in_channels; c++) {
            float t[4][3];
            for (int i = 0; i < 4; i++) {
                const float *row = du + i * 4 * per_position + o * in_channels + c;
                const float half_sum = 0.5f * (row[per_position] + row[2 * per_position]);
                t[i][0] = row[0] + half_sum;
                t[i][1] = 0.5f * (row[per_position] - row[2 * per_position]);
                t[i][2] = half_sum + row[3 * per_position];
            }
            float *target = gradient + o * out_stride + c * in_stride;
            for (int j = 0; j < 3; j++) {
                const float half_sum = 0.5f * (t[1][j] + t[2][j]);
                target[0 * 3 + j] = t[0][j] + half_sum;
                target[1 * 3 + j] = 0.5f * (t[1][j] - t[2][j]);
                target[2 * 3 + j] = half_sum + t[3][j];
            }
        }
    }
}

// The M scratch of conv3x3_winograd_samples_rows for `channels` output channels at V's `stride`: 16 positions of those
// channels only.
static long CK_NAME(winograd_samples_products_floats)(long channels, long stride) {
    return 16 * CK_NAME(winograd_position_stride)(channels, stride);
}

// The forward pass of conv3x3_winograd_rows over a band of `samples` samples' whole planes (winograd_band with rows =
// out_height), whose V winograd_band_transforms wrote (input channels only), for the output channel tiles
// first_tile ≤ tile < end_tile: M[ξ] = U[ξ]·V[ξ] of those channels into `m`, position by position (so V[ξ] stays in the
// cache over the tiles), then Aᵀ M A into each sample's planes, `output_sample` floats apart. The same transforms,
// products and chains over c as conv3x3_winograd_rows, so the same bits (docs/engine-kernels.md "Winograd by samples").
// out_channels sizes `packed` and bounds the last tile; V's layout follows the input channels and the plane only, so a
// caller may pass the pack of a run of output channels alone, with its output planes, as though there were no others
// (docs/engine-kernels.md "Packing by threads").
static void CK_NAME(conv3x3_winograd_samples_rows)(long out_channels, long in_channels, long out_height, long out_width, long samples,
                                                   const float *packed, const float *v, long first_tile, long end_tile, bool accumulate,
                                                   float *output, long output_sample, float *m) {
    enum { T = CK_CONV_CHANNELS };
    const CK_NAME(winograd_layout) l = CK_NAME(winograd_samples_plan)(16, 2, out_channels, in_channels, out_height, out_width, samples);
    const long first = first_tile * T, end = end_tile * T < out_channels ? end_tile * T : out_channels;
    if (first >= end) return;
    const long channels = end - first, sample_tiles = l.tile_rows * l.tiles_per_row;
    // M holds these channels only, as winograd_samples_products_floats sizes it.
    const long m_positions = CK_NAME(winograd_position_stride)(channels, l.stride);
    CK_NAME(winograd_channel_products)(16, 0, out_channels, in_channels, first, channels, samples * sample_tiles, &l, m_positions, packed, v, m);
    for (long s = 0; s < samples; s++) {
        CK_NAME(winograd_output_transform)(channels, out_height, out_width, l.tile_rows, l.tiles_per_row, l.stride, m_positions,
                                           m + s * sample_tiles, 0, out_height, accumulate,
                                           output + s * output_sample + first * out_height * out_width);
    }
}
