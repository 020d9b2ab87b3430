// Winograd ∂L/∂w chunk products with 16-float vectors (see CAVX512.h and
// WinogradGradientProducts.swift).
#include "CAVX512.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))

#include "Transpose512.h"

enum { ROWS = 4, CHANNELS = 4, POINTS = 36 };

// Two 8-float rows side by side: a in lanes 0–7, b in lanes 8–15.
INLINE AVX512 __m512 pair(const float *a, const float *b) {
    __m512d lo = _mm512_castpd256_pd512(_mm256_castps_pd(_mm256_loadu_ps(a)));
    return _mm512_castpd_ps(_mm512_insertf64x4(lo, _mm256_castps_pd(_mm256_loadu_ps(b)), 1));
}

// One 8-float row in both halves.
INLINE AVX512 __m512 twice(const float *a) {
    return _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_loadu_ps(a))));
}

// A register tile of `rows` (≤ 4) output channels × `channels` (≤ 4) input channels: the
// accumulator of (k, c) is the half c % 2 of acc[k][c / 2], each lane summing the products of
// the tiles t ≡ lane (mod 8) in ascending order, one fused multiply-add a term — the Swift
// tile's 8-lane accumulators. Missing rows and channels re-read the last real one and are not
// stored. Each accumulator's lanes are then added in lane order (SIMD8.sum()'s order) with the
// 16 sums of a tile side by side: transposed so that vector j holds lane j of every sum, then
// added vector by vector.
INLINE AVX512 void tile(const float *f, int rows, const float *v, int channels, long ld, long columns, float *out,
                        long out_stride) {
    const float *fr[ROWS], *vr[CHANNELS];
    for (int r = 0; r < ROWS; r++) fr[r] = f + (r < rows ? r : rows - 1) * ld;
    for (int c = 0; c < CHANNELS; c++) vr[c] = v + (c < channels ? c : channels - 1) * ld;
    __m512 acc[ROWS][2];
    for (int r = 0; r < ROWS; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (long t = 0; t < columns; t += 8) {
        __m512 x0 = pair(vr[0] + t, vr[1] + t), x1 = pair(vr[2] + t, vr[3] + t);
        for (int r = 0; r < ROWS; r++) {
            __m512 w = twice(fr[r] + t);
            acc[r][0] = _mm512_fmadd_ps(w, x0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(w, x1, acc[r][1]);
        }
    }
    // lane sums: each 256-bit half of acc[r][h] is row 2(2r + h) + half of a 16 × 8 matrix
    // (element 4r + c, its 8 lanes); the two halves' 8 × 8 blocks transposed at once give
    // t[j] = lane j of elements 0, 2, …, 14 | 1, 3, …, 15, added in lane order
    __m512 rr[8], t[8];
    for (int r = 0; r < ROWS; r++) { rr[2 * r] = acc[r][0]; rr[2 * r + 1] = acc[r][1]; }
    transpose8x8_halves(rr, t);
    __m512 sum = t[0];
    for (int j = 1; j < 8; j++) sum = _mm512_add_ps(sum, t[j]);
    float s[16];
    _mm512_storeu_ps(s, sum);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < channels; c++) {
            int e = 4 * r + c;
            out[r * out_stride + c] += s[(e & 1) * 8 + e / 2];
        }
}

AVX512 void topiary_winograd_gradient_products_avx512(const float *f, const float *v, long K, long C, long columns,
                                                      long ld, long f_stride, long v_stride, float *m) {
    for (int xi = 0; xi < POINTS; xi++) {
        const float *fx = f + xi * f_stride, *vx = v + xi * v_stride;
        float *mx = m + xi * K * C;
        for (long k = 0; k < K; k += ROWS) {
            int rows = (int)(K - k < ROWS ? K - k : ROWS);
            for (long c = 0; c < C; c += CHANNELS) {
                int channels = (int)(C - c < CHANNELS ? C - c : CHANNELS);
                tile(fx + k * ld, rows, vx + c * ld, channels, ld, columns, mx + k * C + c, C);
            }
        }
    }
}
#else
void topiary_winograd_gradient_products_avx512(const float *f, const float *v, long K, long C, long columns, long ld,
                                               long f_stride, long v_stride, float *m) {
    (void)f; (void)v; (void)K; (void)C; (void)columns; (void)ld; (void)f_stride; (void)v_stride; (void)m;
}
#endif
