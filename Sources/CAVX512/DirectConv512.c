// The direct 3×3 convolution's register tiles with 16-float vectors (see CAVX512.h and
// Conv2d+Direct.swift).
#include "CAVX512.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))

enum { BLOCK = 4 };

// 4 output channels × `vectors` (3, a constant after inlining) vectors of 16 positions.
INLINE AVX512 void tile48(const float *xp, long stride, long channels, long wp, const float *w, float *out, long ld) {
    __m512 acc[BLOCK][3];
    for (int r = 0; r < BLOCK; r++)
        for (int j = 0; j < 3; j++) acc[r][j] = _mm512_setzero_ps();
    const float *plane = xp;
    for (long c = 0; c < channels; c++) {
        const float *row = plane;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                __m512 x0 = _mm512_loadu_ps(row + j), x1 = _mm512_loadu_ps(row + j + 16),
                       x2 = _mm512_loadu_ps(row + j + 32);
                for (int r = 0; r < BLOCK; r++) {
                    __m512 wr = _mm512_set1_ps(w[r]);
                    acc[r][0] = _mm512_fmadd_ps(wr, x0, acc[r][0]);
                    acc[r][1] = _mm512_fmadd_ps(wr, x1, acc[r][1]);
                    acc[r][2] = _mm512_fmadd_ps(wr, x2, acc[r][2]);
                }
                w += BLOCK;
            }
            row += wp;
        }
        plane += stride;
    }
    for (int r = 0; r < BLOCK; r++)
        for (int j = 0; j < 3; j++) _mm512_storeu_ps(out + r * ld + 16 * j, acc[r][j]);
}

// One 24-position tile (the last of an odd count): three 8-float vectors.
INLINE AVX512 void tile24(const float *xp, long stride, long channels, long wp, const float *w, float *out, long ld) {
    __m256 acc[BLOCK][3];
    for (int r = 0; r < BLOCK; r++)
        for (int j = 0; j < 3; j++) acc[r][j] = _mm256_setzero_ps();
    const float *plane = xp;
    for (long c = 0; c < channels; c++) {
        const float *row = plane;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                __m256 x0 = _mm256_loadu_ps(row + j), x1 = _mm256_loadu_ps(row + j + 8),
                       x2 = _mm256_loadu_ps(row + j + 16);
                for (int r = 0; r < BLOCK; r++) {
                    __m256 wr = _mm256_set1_ps(w[r]);
                    acc[r][0] = _mm256_fmadd_ps(wr, x0, acc[r][0]);
                    acc[r][1] = _mm256_fmadd_ps(wr, x1, acc[r][1]);
                    acc[r][2] = _mm256_fmadd_ps(wr, x2, acc[r][2]);
                }
                w += BLOCK;
            }
            row += wp;
        }
        plane += stride;
    }
    for (int r = 0; r < BLOCK; r++)
        for (int j = 0; j < 3; j++) _mm256_storeu_ps(out + r * ld + 8 * j, acc[r][j]);
}

AVX512 void topiary_direct_tiles_avx512(const float *xp, long stride, long channels, long wp, const float *weights,
                                        float *out, long ld, long count) {
    long k = 0;
    for (; k + 2 <= count; k += 2) tile48(xp + 24 * k, stride, channels, wp, weights, out + 24 * k, ld);
    if (k < count) tile24(xp + 24 * k, stride, channels, wp, weights, out + 24 * k, ld);
}

// 4 output channels × V (1–4, a constant after inlining) runs of 16 outputs, each run 16
// consecutive outputs of one output row (`width` a multiple of 16), stored straight into the
// output planes (rows `plane` apart; only the first `kcount` of the 4): run v's input under
// tap (i, j) is xp + (oh·wp + ow) + i·wp + j. Each output summed channel by channel, tap by
// tap, one fused multiply-add a term, as `tile48` sums it (same bits).
INLINE AVX512 void rows_tile(const float *xp, long stride, long channels, long wp, const float *w, float *y,
                             long plane, long width, long first, long kcount, const int V) {
    __m512 acc[BLOCK][4];
    long xo[4], yo[4];
    for (int v = 0; v < V; v++) {
        long p = 16 * (first + v);
        yo[v] = p;
        xo[v] = p / width * wp + p % width;
    }
    for (int r = 0; r < BLOCK; r++)
        for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
    const float *plane_in = xp;
    for (long c = 0; c < channels; c++) {
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                __m512 x[4];
                for (int v = 0; v < V; v++) x[v] = _mm512_loadu_ps(plane_in + xo[v] + i * wp + j);
                for (int r = 0; r < BLOCK; r++) {
                    __m512 wr = _mm512_set1_ps(w[r]);
                    for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(wr, x[v], acc[r][v]);
                }
                w += BLOCK;
            }
        }
        plane_in += stride;
    }
    for (int r = 0; r < BLOCK && r < kcount; r++)
        for (int v = 0; v < V; v++) _mm512_storeu_ps(y + r * plane + yo[v], acc[r][v]);
}

AVX512 void topiary_direct_rows_avx512(const float *xp, long stride, long channels, long wp, const float *weights,
                                       float *y, long plane, long width, long first, long vectors, long kcount) {
    switch (vectors) {
    case 4: rows_tile(xp, stride, channels, wp, weights, y, plane, width, first, kcount, 4); break;
    case 3: rows_tile(xp, stride, channels, wp, weights, y, plane, width, first, kcount, 3); break;
    case 2: rows_tile(xp, stride, channels, wp, weights, y, plane, width, first, kcount, 2); break;
    case 1: rows_tile(xp, stride, channels, wp, weights, y, plane, width, first, kcount, 1); break;
    default: break;
    }
}

// 8 floats at p in both 256-bit halves.
INLINE AVX512 __m512 bcast8(const float *p) {
    return _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_loadu_ps(p))));
}

AVX512 void topiary_direct_dw_tiles_avx512(const float *dya, const float *dyb, long ld, const float *x, long rows,
                                           long vectors, long row_stride, long dy_row_stride, float *acc) {
    // acc[k][j]: lanes 0–7 output channel k of block a, lanes 8–15 of block b, tap j
    __m512 a[BLOCK][3];
    for (int k = 0; k < BLOCK; k++)
        for (int j = 0; j < 3; j++) a[k][j] = _mm512_setzero_ps();
    for (long r = 0; r < rows; r++) {
        long q = r * row_stride, p = r * dy_row_stride;
        for (long v = 0; v < vectors; v++, q += 8, p += 8) {
            // the same 8 input positions in both halves (AVX-512F's 256-bit broadcast and
            // insert are the 64-bit ones: the bits move as they are)
            __m512 x0 = bcast8(x + q), x1 = bcast8(x + q + 1), x2 = bcast8(x + q + 2);
            for (int k = 0; k < BLOCK; k++) {
                __m512 d = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(_mm256_loadu_ps(dya + k * ld + p))),
                                                               _mm256_castps_pd(_mm256_loadu_ps(dyb + k * ld + p)), 1));
                a[k][0] = _mm512_fmadd_ps(d, x0, a[k][0]);
                a[k][1] = _mm512_fmadd_ps(d, x1, a[k][1]);
                a[k][2] = _mm512_fmadd_ps(d, x2, a[k][2]);
            }
        }
    }
    for (int k = 0; k < BLOCK; k++)
        for (int j = 0; j < 3; j++) _mm512_storeu_ps(acc + 16 * (3 * k + j), a[k][j]);
}
#else
void topiary_direct_dw_tiles_avx512(const float *dya, const float *dyb, long ld, const float *x, long rows,
                                    long vectors, long row_stride, long dy_row_stride, float *acc) {
    (void)dya; (void)dyb; (void)ld; (void)x; (void)rows; (void)vectors; (void)row_stride; (void)dy_row_stride; (void)acc;
}
void topiary_direct_tiles_avx512(const float *xp, long stride, long channels, long wp, const float *weights,
                                 float *out, long ld, long count) {
    (void)xp; (void)stride; (void)channels; (void)wp; (void)weights; (void)out; (void)ld; (void)count;
}
void topiary_direct_rows_avx512(const float *xp, long stride, long channels, long wp, const float *weights,
                                float *y, long plane, long width, long first, long vectors, long kcount) {
    (void)xp; (void)stride; (void)channels; (void)wp; (void)weights; (void)y; (void)plane; (void)width; (void)first;
    (void)vectors; (void)kcount;
}
#endif
