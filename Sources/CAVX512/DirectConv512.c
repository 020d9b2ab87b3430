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
#else
void topiary_direct_tiles_avx512(const float *xp, long stride, long channels, long wp, const float *weights,
                                 float *out, long ld, long count) {
    (void)xp; (void)stride; (void)channels; (void)wp; (void)weights; (void)out; (void)ld; (void)count;
}
#endif
