// Winograd F(4×4, 3×3)'s input and output transforms for 16 tiles at a time, one 512-bit
// lane per tile (see CAVX512.h and Conv2d+Winograd.swift's `winogradInput` / `winogradOutput`,
// whose 8-lane arithmetic these repeat operation for operation: the same bits).
#include "CAVX512.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))

typedef __m512 V;

#include "Transpose512.h"

// Bᵀ applied to a column (d0…d5), as `Winograd.input`.
INLINE AVX512 void input(V d0, V d1, V d2, V d3, V d4, V d5, V q[6]) {
    V four = _mm512_set1_ps(4), five = _mm512_set1_ps(5), two = _mm512_set1_ps(2);
    V a = _mm512_sub_ps(d4, _mm512_mul_ps(four, d2)), b = _mm512_sub_ps(d3, _mm512_mul_ps(four, d1));
    V c = _mm512_sub_ps(d4, d2), e = _mm512_mul_ps(two, _mm512_sub_ps(d3, d1));
    q[0] = _mm512_add_ps(_mm512_sub_ps(_mm512_mul_ps(four, d0), _mm512_mul_ps(five, d2)), d4);
    q[1] = _mm512_add_ps(a, b);
    q[2] = _mm512_sub_ps(a, b);
    q[3] = _mm512_add_ps(c, e);
    q[4] = _mm512_sub_ps(c, e);
    q[5] = _mm512_add_ps(_mm512_sub_ps(_mm512_mul_ps(four, d1), _mm512_mul_ps(five, d3)), d5);
}

// Aᵀ applied to a column (m0…m5), as `Winograd.output`: its three scaled sums are fused
// multiply-adds (as there).
INLINE AVX512 void output(V m0, V m1, V m2, V m3, V m4, V m5, V o[4]) {
    V p = _mm512_add_ps(m1, m2), q = _mm512_sub_ps(m1, m2), r = _mm512_add_ps(m3, m4), s = _mm512_sub_ps(m3, m4);
    o[0] = _mm512_add_ps(_mm512_add_ps(m0, p), r);
    o[1] = _mm512_fmadd_ps(_mm512_set1_ps(2), s, q);
    o[2] = _mm512_fmadd_ps(_mm512_set1_ps(4), r, p);
    o[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8), s, q), m5);
}


// The 4×4 transpose inside every 128-bit lane: element e of lane L of out[j] is element j of
// lane L of r[e].
INLINE AVX512 void transpose4_in_lanes(V r0, V r1, V r2, V r3, V out[4]) {
    V t0 = _mm512_unpacklo_ps(r0, r1), t1 = _mm512_unpackhi_ps(r0, r1);
    V t2 = _mm512_unpacklo_ps(r2, r3), t3 = _mm512_unpackhi_ps(r2, r3);
    out[0] = lo2(t0, t2); out[1] = hi2(t0, t2); out[2] = lo2(t1, t3); out[3] = hi2(t1, t3);
}

// The 4×4 transpose of 128-bit lanes: lane k of out[j] is lane j of (a, b, c, d)[k].
INLINE AVX512 void transpose4_lanes(V a, V b, V c, V d, V out[4]) {
    V u0 = _mm512_shuffle_f32x4(a, b, 0x44), u1 = _mm512_shuffle_f32x4(a, b, 0xEE);
    V u2 = _mm512_shuffle_f32x4(c, d, 0x44), u3 = _mm512_shuffle_f32x4(c, d, 0xEE);
    out[0] = _mm512_shuffle_f32x4(u0, u2, 0x88); out[1] = _mm512_shuffle_f32x4(u0, u2, 0xDD);
    out[2] = _mm512_shuffle_f32x4(u1, u3, 0x88); out[3] = _mm512_shuffle_f32x4(u1, u3, 0xDD);
}

// The column pass shared by both input kernels: tv[6r + j] = (d·B)[r][j] of 16 tiles becomes
// V = Bᵀ·(d·B), point 6i + j at v + (6i + j)·vs.
INLINE AVX512 void input_columns(const V tv[36], float *v, long vs) {
    for (int j = 0; j < 6; j++) {
        V q[6];
        input(tv[j], tv[6 + j], tv[12 + j], tv[18 + j], tv[24 + j], tv[30 + j], q);
        for (int i = 0; i < 6; i++) _mm512_storeu_ps(v + (6 * i + j) * vs, q[i]);
    }
}

// Row `at` (an offset from each tile's corner) of 16 tiles, 8 floats each, as columns:
// d[s] holds float s of tiles 0…15, one lane a tile.
INLINE AVX512 void tile_columns16(const float *pad, const long *offs, long at, V d[8]) {
    V rows[8];
    for (int l = 0; l < 8; l++) {
        __m256 lo = _mm256_loadu_ps(pad + offs[l] + at), hi = _mm256_loadu_ps(pad + offs[l + 8] + at);
        rows[l] = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(lo)),
                                                      _mm256_castps_pd(hi), 1));
    }
    transpose8x8_halves(rows, d);
}

AVX512 void topiary_winograd_input16_avx512(const float *pad, const long *offs, long wp, float *v, long vs) {
    V tv[36];   // (d·B)[r][j]
    for (int r = 0; r < 6; r++) {
        V d[8];
        tile_columns16(pad, offs, r * wp, d);
        input(d[0], d[1], d[2], d[3], d[4], d[5], tv + 6 * r);
    }
    input_columns(tv, v, vs);
}

// A applied to a column (f0…f3) of a ∂L/∂y tile, as `Winograd.gradient`.
INLINE AVX512 void gradient(V f0, V f1, V f2, V f3, V q[6]) {
    V p = _mm512_add_ps(f0, f2), r = _mm512_add_ps(f1, f3);
    V u = _mm512_add_ps(f0, _mm512_mul_ps(_mm512_set1_ps(4), f2));
    V s = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(2), f1), _mm512_mul_ps(_mm512_set1_ps(8), f3));
    q[0] = f0;
    q[1] = _mm512_add_ps(p, r);
    q[2] = _mm512_sub_ps(p, r);
    q[3] = _mm512_add_ps(u, s);
    q[4] = _mm512_sub_ps(u, s);
    q[5] = f3;
}

AVX512 void topiary_winograd_gradient16_avx512(const float *pad, const long *offs, long wq, float *f, long fs) {
    V tv[24];   // (F·Aᵀ)[r][j]
    for (int r = 0; r < 4; r++) {
        V d[8];
        tile_columns16(pad, offs, r * wq, d);
        gradient(d[0], d[1], d[2], d[3], tv + 6 * r);
    }
    for (int j = 0; j < 6; j++) {
        V q[6];
        gradient(tv[j], tv[6 + j], tv[12 + j], tv[18 + j], q);
        for (int i = 0; i < 6; i++) _mm512_storeu_ps(f + (6 * i + j) * fs, q[i]);
    }
}

// One row of the four runs of `topiary_winograd_input16_runs_avx512`: run k's row as two
// 16-float vectors, read from the row's start (a…e) and from its float 2 (a2…e2). Lane l = 4k
// + t is tile t of run k: 128-bit lane t of the first vector holds tile t's columns 0–3, of the
// second its columns 4 and 5 (at 2 and 3). A 4×4 transpose inside the 128-bit lanes of the four
// runs' vectors leaves column j of tile t of run k at element 4t + k; one permute puts it at
// 4k + t (`interleaved`: left there). Bᵀ applied to the row: tv[j] = (d·B)[r][j].
INLINE AVX512 void runs_row(V a, V b, V c, V e, V a2, V b2, V c2, V e2, int interleaved, V tv[6]) {
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    V d[6];
    transpose4_in_lanes(a, b, c, e, d);
    V ab2 = _mm512_unpackhi_ps(a2, b2), ce2 = _mm512_unpackhi_ps(c2, e2);   // columns 4, 5: the upper half of the transpose
    d[4] = lo2(ab2, ce2);
    d[5] = hi2(ab2, ce2);
    if (!interleaved)
        for (int j = 0; j < 6; j++) d[j] = _mm512_permutexvar_ps(order, d[j]);
    input(d[0], d[1], d[2], d[3], d[4], d[5], tv);
}

AVX512 void topiary_winograd_input16_runs_avx512(const float *pad, const long *offs, long wp, float *v, long vs,
                                                 int interleaved) {
    const float *run0 = pad + offs[0], *run1 = pad + offs[4], *run2 = pad + offs[8], *run3 = pad + offs[12];
    V tv[36];   // (d·B)[r][j]
    for (int r = 0; r < 6; r++) {
        long at = r * wp;
        runs_row(_mm512_loadu_ps(run0 + at), _mm512_loadu_ps(run1 + at), _mm512_loadu_ps(run2 + at),
                 _mm512_loadu_ps(run3 + at), _mm512_loadu_ps(run0 + at + 2), _mm512_loadu_ps(run1 + at + 2),
                 _mm512_loadu_ps(run2 + at + 2), _mm512_loadu_ps(run3 + at + 2), interleaved, tv + 6 * r);
    }
    input_columns(tv, v, vs);
}

// The lanes e of a 16-float read from column `col` of a row `w` floats wide that lie in the
// row (0 ≤ col + e < w).
INLINE __mmask16 inside(long col, long w) {
    long lo = col < 0 ? -col : 0, hi = w - col;
    if (hi > 16) hi = 16;
    if (hi <= lo) return 0;
    return (__mmask16)((0xFFFFu >> (16 - (hi - lo))) << lo);
}

// x's 16 floats at `at` where `keep` holds and (with a gate) the gate's float is > 0, else 0 —
// `ReLUGate.apply`'s select (a NaN gate gives 0). Masked-off lanes are not read: a run's first
// column may lie before the plane.
INLINE AVX512 V gated(const float *x, const float *gate, long at, __mmask16 keep) {
    if (gate)
        keep = _mm512_mask_cmp_ps_mask(keep, _mm512_maskz_loadu_ps(keep, gate + at), _mm512_setzero_ps(), _CMP_GT_OQ);
    return _mm512_maskz_loadu_ps(keep, x + at);
}

AVX512 void topiary_winograd_input16_runs_direct_avx512(const float *x, const float *gate, const long *runs, long h,
                                                        long w, float *v, long vs, int interleaved) {
    __mmask16 m0[4], m2[4];
    for (int k = 0; k < 4; k++) {
        m0[k] = inside(runs[3 * k + 2], w);
        m2[k] = inside(runs[3 * k + 2] + 2, w);
    }
    V tv[36];   // (d·B)[r][j]
    for (int r = 0; r < 6; r++) {
        V lo[4], hi[4];
        for (int k = 0; k < 4; k++) {
            long row = runs[3 * k + 1] + r, at = runs[3 * k] + r * w;
            int in = row >= 0 && row < h;
            lo[k] = in ? gated(x, gate, at, m0[k]) : _mm512_setzero_ps();
            hi[k] = in ? gated(x, gate, at + 2, m2[k]) : _mm512_setzero_ps();
        }
        runs_row(lo[0], lo[1], lo[2], lo[3], hi[0], hi[1], hi[2], hi[3], interleaved, tv + 6 * r);
    }
    input_columns(tv, v, vs);
}

// 16×16 transpose: out[l][i] = in[i][l].
INLINE AVX512 void transpose16(const V in[16], V out[16]) {
    V t[16], u[16], w[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(in[2 * i], in[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(in[2 * i], in[2 * i + 1]);
    }
    // 4×4 blocks transposed in every 128-bit lane: u[4b + k] holds rows 4b…4b + 3, column k of each lane
    for (int b = 0; b < 4; b++) {
        V a0 = t[4 * b], a1 = t[4 * b + 1], a2 = t[4 * b + 2], a3 = t[4 * b + 3];
        u[4 * b] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a0), _mm512_castps_pd(a2)));
        u[4 * b + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a0), _mm512_castps_pd(a2)));
        u[4 * b + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a1), _mm512_castps_pd(a3)));
        u[4 * b + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a1), _mm512_castps_pd(a3)));
    }
    // 128-bit lanes: w[8h + k] = lanes (2h, 2h + 1) of u[k] and of u[4 + k] … then of rows 8…15
    for (int k = 0; k < 4; k++) {
        w[k] = _mm512_shuffle_f32x4(u[k], u[4 + k], 0x88);        // lanes 0, 2 of each
        w[4 + k] = _mm512_shuffle_f32x4(u[k], u[4 + k], 0xDD);    // lanes 1, 3
        w[8 + k] = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0x88);
        w[12 + k] = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0xDD);
    }
    for (int k = 0; k < 4; k++) {
        out[k] = _mm512_shuffle_f32x4(w[k], w[8 + k], 0x88);
        out[8 + k] = _mm512_shuffle_f32x4(w[k], w[8 + k], 0xDD);
        out[4 + k] = _mm512_shuffle_f32x4(w[4 + k], w[12 + k], 0x88);
        out[12 + k] = _mm512_shuffle_f32x4(w[4 + k], w[12 + k], 0xDD);
    }
}

// Aᵀ·M·A of 16 tiles, M's point ξ at m + ξ·ms: res[4a + b] the output at (a, b) of every tile.
INLINE AVX512 void output_tiles(const float *m, long ms, V res[16]) {
    V tv[24];   // (Aᵀ·M)[a][j]
    for (int j = 0; j < 6; j++) {
        V o[4];
        output(_mm512_loadu_ps(m + j * ms), _mm512_loadu_ps(m + (6 + j) * ms), _mm512_loadu_ps(m + (12 + j) * ms),
               _mm512_loadu_ps(m + (18 + j) * ms), _mm512_loadu_ps(m + (24 + j) * ms),
               _mm512_loadu_ps(m + (30 + j) * ms), o);
        for (int a = 0; a < 4; a++) tv[6 * a + j] = o[a];
    }
    for (int a = 0; a < 4; a++) output(tv[6 * a], tv[6 * a + 1], tv[6 * a + 2], tv[6 * a + 3], tv[6 * a + 4],
                                       tv[6 * a + 5], res + 4 * a);
}

AVX512 void topiary_winograd_output16_avx512(const float *m, long ms, float *tiles) {
    V res[16], t[16];
    output_tiles(m, ms, res);
    transpose16(res, t);
    for (int l = 0; l < 16; l++) _mm512_storeu_ps(tiles + 16 * l, t[l]);
}

// The output pass on one vector, as `ConvEpilogue.Channel.store` does it lane by lane: bias,
// scale, shift, residual, ReLU, gate (the value where the gate is > 0, else 0), each step only
// when asked for and in that order.
INLINE AVX512 V epilogue(V v, const float *res, const float *gate, int flags, V b, V a, V t) {
    if (flags & 1) v = _mm512_add_ps(v, b);
    if (flags & 2) v = _mm512_mul_ps(v, a);
    if (flags & 4) v = _mm512_add_ps(v, t);
    if (res) v = _mm512_add_ps(v, _mm512_loadu_ps(res));
    if (flags & 8) v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), _mm512_setzero_ps());
    if (gate) v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_loadu_ps(gate), _mm512_setzero_ps(), _CMP_GT_OQ), v);
    return v;
}

AVX512 void topiary_winograd_store16_avx512(const float *tiles, float *y, const long *offs, long ow, const float *res,
                                            const float *gate, int flags, float bias, float scale, float shift) {
    V b = _mm512_set1_ps(bias), a = _mm512_set1_ps(scale), t = _mm512_set1_ps(shift);
    for (int q = 0; q < 16; q += 4) {
        const long *o = offs + q;
        V t0 = _mm512_loadu_ps(tiles + 16 * q), t1 = _mm512_loadu_ps(tiles + 16 * (q + 1));
        V t2 = _mm512_loadu_ps(tiles + 16 * (q + 2)), t3 = _mm512_loadu_ps(tiles + 16 * (q + 3));
        if (o[1] == o[0] + 4 && o[2] == o[0] + 8 && o[3] == o[0] + 12) {
            // four tiles side by side: row r of all four is 16 consecutive outputs (a 4×4
            // transpose of 128-bit lanes: lane r of t0, t1, t2, t3)
            V rows[4];
            transpose4_lanes(t0, t1, t2, t3, rows);
            for (int r = 0; r < 4; r++) {
                long at = o[0] + r * ow;
                _mm512_storeu_ps(y + at, epilogue(rows[r], res ? res + at : 0, gate ? gate + at : 0, flags, b, a, t));
            }
        } else {
            // each tile alone: its four rows gathered into one vector (lane r: row r)
            V ts[4] = {t0, t1, t2, t3};
            for (int l = 0; l < 4; l++) {
                long at = o[l];
                V v = ts[l];
                float rg[16], gg[16];
                if (res) for (int r = 0; r < 4; r++) _mm_storeu_ps(rg + 4 * r, _mm_loadu_ps(res + at + r * ow));
                if (gate) for (int r = 0; r < 4; r++) _mm_storeu_ps(gg + 4 * r, _mm_loadu_ps(gate + at + r * ow));
                v = epilogue(v, res ? rg : 0, gate ? gg : 0, flags, b, a, t);
                _mm_storeu_ps(y + at, _mm512_extractf32x4_ps(v, 0));
                _mm_storeu_ps(y + at + ow, _mm512_extractf32x4_ps(v, 1));
                _mm_storeu_ps(y + at + 2 * ow, _mm512_extractf32x4_ps(v, 2));
                _mm_storeu_ps(y + at + 3 * ow, _mm512_extractf32x4_ps(v, 3));
            }
        }
    }
}
AVX512 void topiary_winograd_output_runs16_avx512(const float *m, long ms, float *y, const long *offs, long ow,
                                                  const float *res, const float *gate, int flags, float bias,
                                                  float scale, float shift, int interleaved) {
    V b = _mm512_set1_ps(bias), a = _mm512_set1_ps(scale), t = _mm512_set1_ps(shift);
    V out[16];
    output_tiles(m, ms, out);
    for (int row = 0; row < 4; row++) {
        // u[e]'s 128-bit lane L is row `row` of the tile in lane 4L + e: run k's row is lane k of
        // u[0…3] (tile t of run k in lane 4k + t), or u[k] itself (`interleaved`: lane 4t + k)
        V u[4], runs[4];
        transpose4_in_lanes(out[4 * row], out[4 * row + 1], out[4 * row + 2], out[4 * row + 3], u);
        if (interleaved) {
            for (int k = 0; k < 4; k++) runs[k] = u[k];
        } else {
            transpose4_lanes(u[0], u[1], u[2], u[3], runs);
        }
        for (int k = 0; k < 4; k++) {
            long at = offs[4 * k] + row * ow;
            _mm512_storeu_ps(y + at, epilogue(runs[k], res ? res + at : 0, gate ? gate + at : 0, flags, b, a, t));
        }
    }
}

AVX512 void topiary_winograd_output_planes8_avx512(const float *m, long ms, float *y, const long *offs, const float *res,
                                                   const float *gate, int flags, float bias, float scale, float shift) {
    V b = _mm512_set1_ps(bias), a = _mm512_set1_ps(scale), t = _mm512_set1_ps(shift);
    V out[16], tile[16];
    output_tiles(m, ms, out);
    transpose16(out, tile);   // tile[l]: tile l's rows 0…3 in its 128-bit lanes 0…3
    for (int i = 0; i < 4; i++) {
        const long at = offs[4 * i];
        for (int p = 0; p < 4; p++) {
            // rows 2p, 2p + 1 of the plane: rows 2(p % 2), 2(p % 2) + 1 of its tiles (p / 2, 0) and (p / 2, 1)
            V left = tile[4 * i + 2 * (p >> 1)], right = tile[4 * i + 2 * (p >> 1) + 1];
            V pair = (p & 1) ? _mm512_shuffle_f32x4(left, right, 0xEE) : _mm512_shuffle_f32x4(left, right, 0x44);
            V rows = _mm512_shuffle_f32x4(pair, pair, 0xD8);   // (left, right) of the first row, then of the second
            long to = at + 16 * p;
            _mm512_storeu_ps(y + to, epilogue(rows, res ? res + to : 0, gate ? gate + to : 0, flags, b, a, t));
        }
    }
}
#else
void topiary_winograd_gradient16_avx512(const float *pad, const long *offs, long wq, float *f, long fs) {
    (void)pad; (void)offs; (void)wq; (void)f; (void)fs;
}
void topiary_winograd_input16_avx512(const float *pad, const long *offs, long wp, float *v, long vs) {
    (void)pad; (void)offs; (void)wp; (void)v; (void)vs;
}
void topiary_winograd_input16_runs_avx512(const float *pad, const long *offs, long wp, float *v, long vs,
                                          int interleaved) {
    (void)pad; (void)offs; (void)wp; (void)v; (void)vs; (void)interleaved;
}
void topiary_winograd_input16_runs_direct_avx512(const float *x, const float *gate, const long *runs, long h,
                                                 long w, float *v, long vs, int interleaved) {
    (void)x; (void)gate; (void)runs; (void)h; (void)w; (void)v; (void)vs; (void)interleaved;
}
void topiary_winograd_output_runs16_avx512(const float *m, long ms, float *y, const long *offs, long ow,
                                           const float *res, const float *gate, int flags, float bias, float scale,
                                           float shift, int interleaved) {
    (void)m; (void)ms; (void)y; (void)offs; (void)ow; (void)res; (void)gate; (void)flags; (void)bias; (void)scale;
    (void)shift; (void)interleaved;
}
void topiary_winograd_output16_avx512(const float *m, long ms, float *tiles) { (void)m; (void)ms; (void)tiles; }
void topiary_winograd_output_planes8_avx512(const float *m, long ms, float *y, const long *offs, const float *res,
                                            const float *gate, int flags, float bias, float scale, float shift) {
    (void)m; (void)ms; (void)y; (void)offs; (void)res; (void)gate; (void)flags; (void)bias; (void)scale; (void)shift;
}
void topiary_winograd_store16_avx512(const float *tiles, float *y, const long *offs, long ow, const float *res,
                                     const float *gate, int flags, float bias, float scale, float shift) {
    (void)tiles; (void)y; (void)offs; (void)ow; (void)res; (void)gate; (void)flags; (void)bias; (void)scale; (void)shift;
}
#endif
