// Winograd F(m, r) along one axis (LineWinograd.swift, docs/engine-kernels.md "Winograd along one axis"): the data and
// output transforms of FID Inception's 1×r and r×1 convolutions, a vector of CK_LANES values across the lines at a time.
// Included by kernel_bodies.h once per instruction set. Every set forms each value with the same operations in the same
// order (products are not fused: kernels.c turns contraction off), so the sets agree bit for bit.
//
// Bᵀ holds small integers (the denominators are in G, which LineWinograd.swift forms); the rows of a pair of points ±p
// share their even and odd inputs' parts, formed once: V[+p] = even + odd, V[−p] = even − odd.

// a·x + b·y + c·z + e·w, as two pairs.
CK_INLINE CK_NAME(vector) CK_NAME(four_terms)(float a, CK_NAME(vector) x, float b, CK_NAME(vector) y, float c, CK_NAME(vector) z,
                                              float e, CK_NAME(vector) w) {
    return (a * x + b * y) + (c * z + e * w);
}

// The first `count` lanes (all when count ≥ CK_LANES): nothing past a row's `across` values is written.
CK_INLINE void CK_NAME(store_first)(float *target, CK_NAME(vector) value, long count) {
    if (count >= CK_LANES) {
        CK_NAME(store)(target, value);
    } else {
        for (long lane = 0; lane < count; lane++) target[lane] = value[lane];
    }
}

// V = Bᵀ d for one vector: d[j] at d + j·d_stride, V[ξ] (its first `count` lanes) at v + ξ·v_stride.
CK_INLINE void CK_NAME(line_input_vector)(int taps, int outputs, const float *d, long d_stride, float *v, long v_stride, long count) {
#define CK_D(j) CK_NAME(load)(d + (j) * d_stride)
#define CK_PUT(position, value) CK_NAME(store_first)(v + (position) * v_stride, (value), count)
#define CK_PAIR(position, even, odd) do { CK_NAME(vector) e_ = (even), o_ = (odd); CK_PUT(position, e_ + o_); CK_PUT((position) + 1, e_ - o_); } while (0)
    if (taps == 3 && outputs == 2) {
        CK_NAME(vector) d0 = CK_D(0), d1 = CK_D(1), d2 = CK_D(2), d3 = CK_D(3);
        CK_PUT(0, d0 - d2);
        CK_PUT(1, d1 + d2);
        CK_PUT(2, d2 - d1);
        CK_PUT(3, d3 - d1);
    } else if (taps == 3) {
        CK_NAME(vector) d0 = CK_D(0), d1 = CK_D(1), d2 = CK_D(2), d3 = CK_D(3), d4 = CK_D(4), d5 = CK_D(5);
        CK_PUT(0, 4.0f * d0 - 5.0f * d2 + d4);
        CK_PAIR(1, d4 - 4.0f * d2, d3 - 4.0f * d1);
        CK_PAIR(3, d4 - d2, 2.0f * (d3 - d1));
        CK_PUT(5, 4.0f * d1 - 5.0f * d3 + d5);
    } else if (taps != 7 || (outputs != 2 && outputs != 4)) {
        __builtin_trap();  // no such set: LineWinograd.Transforms lists the four
    } else if (outputs == 2) {
        CK_NAME(vector) d0 = CK_D(0), d1 = CK_D(1), d2 = CK_D(2), d3 = CK_D(3), d4 = CK_D(4), d5 = CK_D(5), d6 = CK_D(6), d7 = CK_D(7);
        CK_PUT(0, 4.0f * (d0 - d6) + 21.0f * (d4 - d2));
        CK_PAIR(1, 17.0f * d4 - 4.0f * (d2 + d6), 17.0f * d3 - 4.0f * (d1 + d5));
        CK_PAIR(3, d2 - 5.0f * d4 + 4.0f * d6, 2.0f * d1 - 10.0f * d3 + 8.0f * d5);
        CK_PAIR(5, 128.0f * d2 - 160.0f * d4 + 32.0f * d6, 64.0f * d1 - 80.0f * d3 + 16.0f * d5);
        CK_PUT(7, 4.0f * (d7 - d1) + 21.0f * (d3 - d5));
    } else {
        CK_NAME(vector) d0 = CK_D(0), d1 = CK_D(1), d2 = CK_D(2), d3 = CK_D(3), d4 = CK_D(4);
        CK_NAME(vector) d5 = CK_D(5), d6 = CK_D(6), d7 = CK_D(7), d8 = CK_D(8), d9 = CK_D(9);
        CK_PUT(0, CK_NAME(four_terms)(36, d0, -205, d2, 273, d4, -120, d6) + 16.0f * d8);
        CK_PAIR(1, CK_NAME(four_terms)(-36, d2, 169, d4, -104, d6, 16, d8), CK_NAME(four_terms)(-36, d1, 169, d3, -104, d5, 16, d7));
        CK_PAIR(3, CK_NAME(four_terms)(-9, d2, 49, d4, -56, d6, 16, d8), 2.0f * CK_NAME(four_terms)(-9, d1, 49, d3, -56, d5, 16, d7));
        CK_PAIR(5, 2.0f * CK_NAME(four_terms)(-36, d2, 61, d4, -29, d6, 4, d8), CK_NAME(four_terms)(-36, d1, 61, d3, -29, d5, 4, d7));
        CK_PAIR(7, CK_NAME(four_terms)(42, d4, -42, d6, 8, d8, -8, d2), CK_NAME(four_terms)(63, d3, -63, d5, 12, d7, -12, d1));
        CK_PUT(9, CK_NAME(four_terms)(36, d1, -205, d3, 273, d5, -120, d7) + 16.0f * d9);
    }
#undef CK_D
#undef CK_PUT
#undef CK_PAIR
}

// y = Aᵀ M for one vector: M[ξ] at m + ξ·m_stride, output i stored whole at y + i·y_stride.
CK_INLINE void CK_NAME(line_output_vector)(int taps, int outputs, const float *m, long m_stride, float *y, long y_stride) {
#define CK_M(position) CK_NAME(load)(m + (position) * m_stride)
#define CK_PUT(i, value) CK_NAME(store)(y + (i) * y_stride, (value))
    if (taps == 3 && outputs == 2) {
        CK_NAME(vector) m0 = CK_M(0), m1 = CK_M(1), m2 = CK_M(2), m3 = CK_M(3);
        CK_PUT(0, m0 + m1 + m2);
        CK_PUT(1, m1 - m2 + m3);
    } else if (taps == 3) {
        CK_NAME(vector) m1 = CK_M(1), m2 = CK_M(2), m3 = CK_M(3), m4 = CK_M(4);
        CK_NAME(vector) sum1 = m1 + m2, difference1 = m1 - m2, sum2 = m3 + m4, difference2 = m3 - m4;
        CK_PUT(0, CK_M(0) + sum1 + sum2);
        CK_PUT(1, difference1 + 2.0f * difference2);
        CK_PUT(2, sum1 + 4.0f * sum2);
        CK_PUT(3, difference1 + 8.0f * difference2 + CK_M(5));
    } else if (taps != 7 || (outputs != 2 && outputs != 4)) {
        __builtin_trap();  // no such set: LineWinograd.Transforms lists the four
    } else if (outputs == 2) {
        CK_NAME(vector) m0 = CK_M(0), m1 = CK_M(1), m2 = CK_M(2), m3 = CK_M(3), m4 = CK_M(4), m5 = CK_M(5), m6 = CK_M(6), m7 = CK_M(7);
        CK_PUT(0, m0 + m1 + m2 + m3 + m4 + m5 + m6);
        CK_PUT(1, (m1 - m2) + 2.0f * (m3 - m4) + 0.5f * (m5 - m6) + m7);
    } else {
        CK_NAME(vector) sum1 = CK_M(1) + CK_M(2), difference1 = CK_M(1) - CK_M(2);
        CK_NAME(vector) sum2 = CK_M(3) + CK_M(4), difference2 = CK_M(3) - CK_M(4);
        CK_NAME(vector) sum_half = CK_M(5) + CK_M(6), difference_half = CK_M(5) - CK_M(6);
        CK_NAME(vector) sum_three_halves = CK_M(7) + CK_M(8), difference_three_halves = CK_M(7) - CK_M(8);
        CK_PUT(0, CK_NAME(four_terms)(1, sum1, 1, sum2, 1, sum_half, 1, sum_three_halves) + CK_M(0));
        CK_PUT(1, CK_NAME(four_terms)(1, difference1, 2, difference2, 0.5f, difference_half, 1.5f, difference_three_halves));
        CK_PUT(2, CK_NAME(four_terms)(1, sum1, 4, sum2, 0.25f, sum_half, 2.25f, sum_three_halves));
        CK_PUT(3, CK_NAME(four_terms)(1, difference1, 8, difference2, 0.125f, difference_half, 3.375f, difference_three_halves) + CK_M(9));
    }
#undef CK_M
#undef CK_PUT
}

static void CK_NAME(line_winograd_input)(int taps, int outputs, long tiles, long across, const float *lines, long line_stride,
                                         float *v, long tile_stride, long position_stride) {
    for (long t = 0; t < tiles; t++) {
        for (long p = 0; p < across; p += CK_LANES) {
            CK_NAME(line_input_vector)(taps, outputs, lines + t * outputs * line_stride + p, line_stride, v + t * tile_stride + p,
                                       position_stride, across - p);
        }
    }
}

static void CK_NAME(line_winograd_output)(int taps, int outputs, long tiles, long across, const float *m, long tile_stride,
                                          long position_stride, float *lines, long line_stride) {
    for (long t = 0; t < tiles; t++) {
        for (long p = 0; p < across; p += CK_LANES) {
            CK_NAME(line_output_vector)(taps, outputs, m + t * tile_stride + p, position_stride, lines + t * outputs * line_stride + p,
                                        line_stride);
        }
    }
}

// U[ξ][f] = Σ_k G[ξ][k]·w[f][k] in double precision, rounded once, for the filters first ≤ f < end; each sum runs over k
// in order from +0, as the Swift loop it replaced did. Vectors of CK_LANES / 2 filters at a time, so the positions' chains
// of dependent additions overlap.
typedef double CK_NAME(doubles) __attribute__((vector_size(CK_LANES / 2 * sizeof(double))));
typedef float CK_NAME(half_floats) __attribute__((vector_size(CK_LANES / 2 * sizeof(float)), aligned(sizeof(float))));

static void CK_NAME(line_winograd_weight)(int taps, int points, const double *filter, const float *weight, long filters, long first,
                                          long end, float *u) {
    enum { lanes = CK_LANES / 2 };
    if (taps > 7) __builtin_trap();  // w holds seven taps
    long f = first;
    for (; f + lanes <= end; f += lanes) {
        CK_NAME(doubles) w[7];
        for (int k = 0; k < taps; k++) {
            for (int lane = 0; lane < lanes; lane++) w[k][lane] = (double)weight[(f + lane) * taps + k];
        }
        for (int position = 0; position < points; position++) {
            CK_NAME(doubles) sum = {0};
            for (int k = 0; k < taps; k++) sum += filter[position * taps + k] * w[k];
            CK_NAME(half_floats) rounded = __builtin_convertvector(sum, CK_NAME(half_floats));
            __builtin_memcpy(u + position * filters + f, &rounded, sizeof rounded);
        }
    }
    for (; f < end; f++) {
        const float *w = weight + f * taps;
        for (int position = 0; position < points; position++) {
            const double *row = filter + position * taps;
            double sum = 0;
            for (int k = 0; k < taps; k++) sum += row[k] * (double)w[k];
            u[position * filters + f] = (float)sum;
        }
    }
}
