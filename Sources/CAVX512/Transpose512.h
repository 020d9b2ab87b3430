// Lane shuffles shared by the 16-float kernels (WinogradTransforms512.c,
// WinogradGradientProducts512.c); included after <immintrin.h> and the AVX512 / INLINE macros.
#ifndef TOPIARY_TRANSPOSE512_H
#define TOPIARY_TRANSPOSE512_H

// Pairs of floats: (a0, a1, b0, b1) and (a2, a3, b2, b3) in every 128-bit lane.
INLINE AVX512 __m512 lo2(__m512 a, __m512 b) {
    return _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)));
}
INLINE AVX512 __m512 hi2(__m512 a, __m512 b) {
    return _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)));
}

// In each 256-bit half, the 8×8 transpose of rows r[0…7]: c[s] holds (r0[s], …, r7[s]) in
// its low half and the same for the high halves' rows in its high half.
INLINE AVX512 void transpose8x8_halves(const __m512 r[8], __m512 c[8]) {
    __m512 t[8], s[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    s[0] = lo2(t[0], t[2]); s[1] = hi2(t[0], t[2]); s[2] = lo2(t[1], t[3]); s[3] = hi2(t[1], t[3]);
    s[4] = lo2(t[4], t[6]); s[5] = hi2(t[4], t[6]); s[6] = lo2(t[5], t[7]); s[7] = hi2(t[5], t[7]);
    // 128-bit lanes: (s[i].0, s[i + 4].0 | s[i].2, s[i + 4].2) and (… .1 … | … .3 …)
    const __m512i low = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
    const __m512i high = _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
    for (int i = 0; i < 4; i++) {
        c[i] = _mm512_permutex2var_ps(s[i], low, s[i + 4]);
        c[i + 4] = _mm512_permutex2var_ps(s[i], high, s[i + 4]);
    }
}

#endif
