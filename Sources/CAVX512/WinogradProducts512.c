// Winograd chunk products with 16-float vectors (see CAVX512.h and WinogradProducts.swift).
#include "CAVX512.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))

enum { BLOCK = 4, POINTS = 36 };

// One register tile: `rows` (≤ 4) output channels × `vectors` (1 or 4, a constant after
// inlining) vectors of 16 tiles: 16 accumulators, 4 loads and 4 broadcasts an input channel.
INLINE AVX512 void tile16(const float *w, const float *v, long channels, long ld, int vectors, int rows,
                          float *out) {
    __m512 acc[BLOCK][4];
    for (int r = 0; r < BLOCK; r++)
        for (int j = 0; j < vectors; j++) acc[r][j] = _mm512_setzero_ps();
    for (long c = 0; c < channels; c++) {
        __m512 x[4];
        for (int j = 0; j < vectors; j++) x[j] = _mm512_loadu_ps(v + 16 * j);
        for (int r = 0; r < BLOCK; r++) {
            __m512 wr = _mm512_set1_ps(w[r]);
            for (int j = 0; j < vectors; j++) acc[r][j] = _mm512_fmadd_ps(wr, x[j], acc[r][j]);
        }
        v += ld;
        w += BLOCK;
    }
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < vectors; j++) _mm512_storeu_ps(out + r * ld + 16 * j, acc[r][j]);
}

// The last 8 columns: the same tile with one 8-float vector.
INLINE AVX512 void tile8(const float *w, const float *v, long channels, long ld, int rows, float *out) {
    __m256 acc[BLOCK];
    for (int r = 0; r < BLOCK; r++) acc[r] = _mm256_setzero_ps();
    for (long c = 0; c < channels; c++) {
        __m256 x = _mm256_loadu_ps(v);
        for (int r = 0; r < BLOCK; r++) acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(w[r]), x, acc[r]);
        v += ld;
        w += BLOCK;
    }
    for (int r = 0; r < rows; r++) _mm256_storeu_ps(out + r * ld, acc[r]);
}

AVX512 void topiary_winograd_products_avx512(const float *up, const float *v, long K, long C, long columns,
                                             long ld, long v_stride, float *m, long m_stride) {
    long blocks = (K + BLOCK - 1) / BLOCK;
    for (int xi = 0; xi < POINTS; xi++) {
        const float *vx = v + xi * v_stride;
        float *mx = m + xi * m_stride;
        for (long b = 0; b < blocks; b++) {
            const float *w = up + (xi * blocks + b) * C * BLOCK;
            int rows = (int)(K - b * BLOCK < BLOCK ? K - b * BLOCK : BLOCK);
            float *out = mx + b * BLOCK * ld;
            long t = 0;
            if (rows == BLOCK) {
                for (; t + 64 <= columns; t += 64) tile16(w, vx + t, C, ld, 4, BLOCK, out + t);
                for (; t + 16 <= columns; t += 16) tile16(w, vx + t, C, ld, 1, BLOCK, out + t);
            } else {
                for (; t + 64 <= columns; t += 64) tile16(w, vx + t, C, ld, 4, rows, out + t);
                for (; t + 16 <= columns; t += 16) tile16(w, vx + t, C, ld, 1, rows, out + t);
            }
            if (t < columns) tile8(w, vx + t, C, ld, rows, out + t);
        }
    }
}
#else
void topiary_winograd_products_avx512(const float *up, const float *v, long K, long C, long columns, long ld,
                                      long v_stride, float *m, long m_stride) {
    (void)up; (void)v; (void)K; (void)C; (void)columns; (void)ld; (void)v_stride; (void)m; (void)m_stride;
}
#endif
