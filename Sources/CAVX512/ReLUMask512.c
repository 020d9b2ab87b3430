// A ReLU output's mask as bits (see CAVX512.h and NN/ReLUMask.swift): 16 floats' `> 0` per
// 16-bit word, and back to 1.0 / 0.0 floats.
#include "CAVX512.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

AVX512 void topiary_relu_mask_pack_avx512(const float *x, unsigned short *bits, long n) {
    const __m512 zero = _mm512_setzero_ps();
    long i = 0, k = 0;
    for (; i + 16 <= n; i += 16, k++)
        bits[k] = (unsigned short)_mm512_cmp_ps_mask(_mm512_loadu_ps(x + i), zero, _CMP_GT_OQ);
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        bits[k] = (unsigned short)_mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, x + i), zero, _CMP_GT_OQ);
    }
}

AVX512 void topiary_relu_mask_unpack_avx512(const unsigned short *bits, float *y, long n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    long i = 0, k = 0;
    for (; i + 16 <= n; i += 16, k++) _mm512_storeu_ps(y + i, _mm512_maskz_mov_ps((__mmask16)bits[k], one));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, _mm512_maskz_mov_ps((__mmask16)bits[k], one));
    }
}

#else
void topiary_relu_mask_pack_avx512(const float *x, unsigned short *bits, long n) { (void)x; (void)bits; (void)n; }
void topiary_relu_mask_unpack_avx512(const unsigned short *bits, float *y, long n) { (void)bits; (void)y; (void)n; }
#endif
