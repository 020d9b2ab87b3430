// Winograd ∂L/∂w chunk products with 16-float vectors (see CAVX512.h and
// WinogradGradientProducts.swift).
#include "CAVX512.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))

#include "Transpose512.h"

enum { CHANNELS = 4, POINTS = 36 };

// Two 8-float rows side by side: a in lanes 0–7, b in lanes 8–15.
INLINE AVX512 __m512 pair(const float *a, const float *b) {
    __m512d lo = _mm512_castpd256_pd512(_mm256_castps_pd(_mm256_loadu_ps(a)));
    return _mm512_castpd_ps(_mm512_insertf64x4(lo, _mm256_castps_pd(_mm256_loadu_ps(b)), 1));
}

// One 8-float row in both halves.
INLINE AVX512 __m512 twice(const float *a) {
    return _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_loadu_ps(a))));
}

// Adds the lane sums of 4 rows' accumulators (acc[r][h]: (r, c) in half c % 2 of acc[r][c / 2])
// to out for the first `rows` × `channels`: each accumulator's lanes added in lane order
// (SIMD8.sum()'s order) with the 16 sums side by side — transposed so that vector j holds
// lane j of every sum, then added vector by vector.
INLINE AVX512 void add_lane_sums(__m512 acc[][2], int rows, int channels, float *out, long out_stride) {
    // each 256-bit half of acc[r][h] is row 2(2r + h) + half of a 16 × 8 matrix (element
    // 4r + c, its 8 lanes); the two halves' 8 × 8 blocks transposed at once give t[j] = lane j
    // of elements 0, 2, …, 14 | 1, 3, …, 15, added in lane order
    __m512 rr[8], t[8];
    for (int r = 0; r < 4; r++) { rr[2 * r] = acc[r][0]; rr[2 * r + 1] = acc[r][1]; }
    transpose8x8_halves(rr, t);
    __m512 sum = t[0];
    for (int j = 1; j < 8; j++) sum = _mm512_add_ps(sum, t[j]);
    // element e = 4r + c back at lane e: each row's 4 sums side by side
    const __m512i order = _mm512_setr_epi32(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
    float s[16];
    _mm512_storeu_ps(s, _mm512_permutexvar_ps(order, sum));
    if (channels == 4) {
        for (int r = 0; r < rows; r++)
            _mm_storeu_ps(out + r * out_stride, _mm_add_ps(_mm_loadu_ps(out + r * out_stride), _mm_loadu_ps(s + 4 * r)));
    } else {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < channels; c++) out[r * out_stride + c] += s[4 * r + c];
    }
}

// A register tile of `rows` (≤ R: 4, or 8 where 8 output channels remain) output channels ×
// `channels` (≤ 4) input channels: the accumulator of (k, c) is the half c % 2 of
// acc[k][c / 2], each lane summing the products of the tiles t ≡ lane (mod 8) in ascending
// order, one fused multiply-add a term — the Swift tile's 8-lane accumulators. Missing rows
// and channels re-read the last real one and are not stored. With R = 8 the pairs of V rows
// feed 16 fused multiply-adds instead of 8: 12 loads for 16, not 8 for 8.
INLINE AVX512 void tile(const float *f, int rows, const float *v, int channels, long ld, long columns, float *out,
                        long out_stride, const int R) {
    const float *fr[8], *vr[CHANNELS];
    for (int r = 0; r < R; r++) fr[r] = f + (r < rows ? r : rows - 1) * ld;
    for (int c = 0; c < CHANNELS; c++) vr[c] = v + (c < channels ? c : channels - 1) * ld;
    __m512 acc[8][2];
    for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (long t = 0; t < columns; t += 8) {
        __m512 x0 = pair(vr[0] + t, vr[1] + t), x1 = pair(vr[2] + t, vr[3] + t);
        for (int r = 0; r < R; r++) {
            __m512 w = twice(fr[r] + t);
            acc[r][0] = _mm512_fmadd_ps(w, x0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(w, x1, acc[r][1]);
        }
    }
    add_lane_sums(acc, rows < 4 ? rows : 4, channels, out, out_stride);
    if (R == 8 && rows > 4) add_lane_sums(acc + 4, rows - 4, channels, out + 4 * out_stride, out_stride);
}

AVX512 void topiary_winograd_gradient_products_avx512(const float *f, const float *v, long K, long C, long columns,
                                                      long ld, long f_stride, long v_stride, float *m) {
    for (int xi = 0; xi < POINTS; xi++) {
        const float *fx = f + xi * f_stride, *vx = v + xi * v_stride;
        float *mx = m + xi * K * C;
        for (long k = 0; k < K;) {
            int eight = K - k >= 8, rows = (int)(eight ? 8 : (K - k < 4 ? K - k : 4));
            for (long c = 0; c < C; c += CHANNELS) {
                int channels = (int)(C - c < CHANNELS ? C - c : CHANNELS);
                if (eight) tile(fx + k * ld, rows, vx + c * ld, channels, ld, columns, mx + k * C + c, C, 8);
                else tile(fx + k * ld, rows, vx + c * ld, channels, ld, columns, mx + k * C + c, C, 4);
            }
            k += rows;
        }
    }
}
#else
void topiary_winograd_gradient_products_avx512(const float *f, const float *v, long K, long C, long columns, long ld,
                                               long f_stride, long v_stride, float *m) {
    (void)f; (void)v; (void)K; (void)C; (void)columns; (void)ld; (void)f_stride; (void)v_stride; (void)m;
}
#endif
