// AVX-512 versions of the few kernels where 512-bit vectors pay (CPUs that run them at full
// width: Zen 5, Intel server parts), chosen at run time: the rest of Topiary is built for the
// AVX2 floor (Package.swift), so these functions carry their own target attribute and run
// only where `topiary_avx512_usable` says the CPU and the OS support them. Each computes
// exactly what its Swift counterpart does, in the same order (results bit-equal).
#ifndef TOPIARY_CAVX512_H
#define TOPIARY_CAVX512_H

#include <stddef.h>

/// 1 when the CPU has AVX-512F and the OS saves its registers (XCR0 opmask, ZMM state);
/// 0 otherwise, and always 0 off x86-64.
int topiary_avx512_usable(void);
/// Whether the CPU and the OS support AVX2 with FMA3 (CPUID and XCR0).
int topiary_avx2_fma_usable(void);

/// Winograd's 36 chunk products M[ξ][k][t] = Σ_c U[ξ][k][c]·V[ξ][c][t], the register tile
/// of `WinogradProducts.multiply` (Kernels/Conv/WinogradProducts.swift) with 16-float vectors:
/// `up` packed [36][⌈K/4⌉][C][4]; V and M rows `ld` apart, points `v_stride` / `m_stride`
/// apart; `columns` a multiple of 8. The sum runs over ascending c with one fused
/// multiply-add a term, as the Swift tile's. Only call when `topiary_avx512_usable()`.
void topiary_winograd_products_avx512(const float *up, const float *v, long out_channels, long in_channels,
                                      long columns, long ld, long v_stride, float *m, long m_stride);

/// `count` consecutive register tiles of the direct 3×3 convolution (`Conv2dKernel.directTile`
/// in Conv2d+Direct.swift, its common layout: 3 vectors of 8 virtual positions 8 apart, so a
/// tile is 24 consecutive positions): out[r][q] = Σ_c Σ_tap w[c][tap][r]·xp[c][q + tap's
/// offset] for the 4 output channels r of the packed block `weights` ([channels][9][4]), input
/// planes `stride` apart with rows `wp` apart, out rows `ld` apart. Two tiles at a time as
/// three 16-float vectors; every position summed channel by channel, tap by tap, one fused
/// multiply-add a term, as the Swift tile (same bits). Only call when
/// `topiary_avx512_usable()`.
void topiary_direct_tiles_avx512(const float *xp, long stride, long channels, long wp, const float *weights,
                                 float *out, long ld, long count);

/// The same register tiles (`topiary_direct_tiles_avx512`'s sums, the same bits) over output
/// rows a multiple of 16 wide, written straight into the output instead of a virtual plane:
/// runs first ..< first + `vectors` (1–4) of 16 outputs (run v: outputs 16v ..< 16v + 16 of
/// the plane, one output row's part), for the 4 output channels of the packed block
/// `weights`, into y + r·`plane` for r < `kcount` (≤ 4). `width` is the output width, `xp`,
/// `stride`, `wp` the zero-bordered input planes as for `topiary_direct_tiles_avx512`. Only
/// call when `topiary_avx512_usable()`.
void topiary_direct_rows_avx512(const float *xp, long stride, long channels, long wp, const float *weights,
                                float *y, long plane, long width, long first, long vectors, long kcount);

/// Two of the direct ∂L/∂w register tiles (`Conv2dKernel.directWeightTile`) side by side: for
/// the 4 dy rows k of each block (at dya / dyb + k·`ld`) and taps j < 3, the per-lane sums
/// Σ dy[k][q]·x[q + j] over the positions q of `rows` runs of `vectors` × 8, `row_stride`
/// apart in x and `dy_row_stride` apart in dy (dy's own rows, or its copy in x's layout),
/// into acc[(3k + j)·16 + lane] (lanes 0–7 block a, 8–15 block b): each lane the same fused
/// multiply-adds in the same order as the 8-lane tile's, so the caller's 8-lane sums of each
/// half are its bits. Only call when `topiary_avx512_usable()`.
void topiary_direct_dw_tiles_avx512(const float *dya, const float *dyb, long ld, const float *x, long rows,
                                    long vectors, long row_stride, long dy_row_stride, float *acc);

/// Winograd's input transform for 16 tiles (`Conv2dKernel.winogradInput`, one lane per tile):
/// tile l's 6×6 input at pad + offs[l] (rows `wp` apart, 8 floats readable from each row's
/// start) becomes V = Bᵀ·d·B, point ξ's 16 values stored at v + ξ·`vs`.
void topiary_winograd_input16_avx512(const float *pad, const long *offs, long wp, float *v, long vs);

/// The same transform (the same bits) for 16 tiles that make four runs of four side by side:
/// offs[4k + t] = offs[4k] + 4t for k, t < 4 (rows of tiles 16 or more outputs wide). Each row
/// of a run is read as 16-float vectors whose 128-bit lanes are its tiles: 8 loads, 10
/// in-lane shuffles and 6 permutes a row of the 16 tiles instead of 16 half loads, 8 inserts
/// and 22 shuffles. With `interleaved`, tile t of run k goes to lane 4t + k instead of 4k + t
/// (the layout the in-lane transposes leave: no permutes), for a chunk whose output pass takes
/// the same group the same way (`topiary_winograd_output_runs16_avx512`); each lane's values are
/// the same bits either way.
void topiary_winograd_input16_runs_avx512(const float *pad, const long *offs, long wp, float *v, long vs,
                                          int interleaved);

/// The same (the same bits) read straight from the unpadded planes, with no zero-bordered
/// copy: run k's top-left input (its first tile's corner, row and column may be negative) is
/// x + runs[3k], at row runs[3k + 1] and column runs[3k + 2] of a plane h × w (rows w apart);
/// what lies outside the plane is read as 0 (masked loads), and with a `gate` (NULL: none) the
/// input is x where the gate is > 0 and 0 elsewhere (`ReLUGate.apply`'s select), so a backward
/// pass's ReLU is applied as the tiles are read. Only call when `topiary_avx512_usable()`.
void topiary_winograd_input16_runs_direct_avx512(const float *x, const float *gate, const long *runs, long h,
                                                 long w, float *v, long vs, int interleaved);

/// Winograd's output transform for 16 tiles (`Conv2dKernel.winogradOutput`): M's point ξ at
/// m + ξ·`ms` (16 values, one a tile) becomes the 4×4 tile Aᵀ·M·A, tile l's rows at
/// tiles + 16·l (row a's 4 values at 4·a).
void topiary_winograd_output16_avx512(const float *m, long ms, float *tiles);

/// The 16 whole 4×4 tiles that `topiary_winograd_output16_avx512` left at `tiles` into y through
/// the output pass (`Conv2dKernel.winogradOutput`, `ConvEpilogue.Channel.store`): tile l's
/// corner at y + offs[l], rows `ow` apart; `res` (NULL: none) the residual at the same offsets;
/// `flags` 1 bias, 2 scale, 4 shift, 8 ReLU, applied in that order with the channel's `bias`,
/// `scale` and `shift`; then `gate` (NULL: none; at the same offsets): the value where the gate
/// is > 0, else 0. Four tiles side by side in a row of tiles are written as four 16-float
/// rows, any others tile by tile. Only call when `topiary_avx512_usable()`.
void topiary_winograd_store16_avx512(const float *tiles, float *y, const long *offs, long ow, const float *res,
                                     const float *gate, int flags, float bias, float scale, float shift);

/// Both at once (the same bits) for 16 whole tiles that make four runs of four side by side
/// (offs[4k + t] = offs[4k] + 4t): each row of the transformed tiles goes from registers to
/// y as four 16-float rows, by in-lane 4×4 transposes and one of 128-bit lanes, with no
/// 16×16 transpose and no round trip through a tile buffer. Only call when
/// `topiary_avx512_usable()`. With `interleaved`, M's lane 4t + k holds tile t of run k (as
/// the interleaved input kernel left it): each run's row is one in-lane transpose away, with no
/// transpose of 128-bit lanes.
void topiary_winograd_output_runs16_avx512(const float *m, long ms, float *y, const long *offs, long ow,
                                           const float *res, const float *gate, int flags, float bias, float scale,
                                           float shift, int interleaved);

/// Both at once (the same bits) for 16 whole tiles that make four whole 8×8 planes (2×2
/// tiles each, in row order: ResNet's last stage on CIFAR): plane i's corner at y + offs[4i],
/// its rows 8 floats apart, written as four 16-float vectors of two rows each after one 16×16
/// transpose, instead of a round trip through a tile buffer and 64 stores of 4 floats.
/// `res`, `gate`, `flags`, `bias`, `scale`, `shift` as `topiary_winograd_store16_avx512`. Only
/// call when `topiary_avx512_usable()`.
void topiary_winograd_output_planes8_avx512(const float *m, long ms, float *y, const long *offs, const float *res,
                                            const float *gate, int flags, float bias, float scale, float shift);

/// ∂L/∂w's transform of 16 tiles of ∂L/∂y (`Conv2dKernel.winogradGradientInput`, one lane per
/// tile): tile l's 4×4 block at pad + offs[l] (rows `wq` apart, 8 floats readable from each
/// row's start) becomes Fˆ = A·F·Aᵀ, point ξ's 16 values stored at f + ξ·`fs`. Only call
/// when `topiary_avx512_usable()`.
void topiary_winograd_gradient16_avx512(const float *pad, const long *offs, long wq, float *f, long fs);

/// ∂L/∂w's 36 chunk products M[ξ][k][c] += Σ_t F[ξ][k][t]·V[ξ][c][t] for t < `columns` (a
/// multiple of 8), the register tile of `WinogradGradientProducts.accumulate`
/// (Kernels/Conv/WinogradGradientProducts.swift) with two 8-lane accumulators a 16-float
/// vector: each M element gains the same sum in the same order (8 lane sums over ascending
/// tiles, one fused multiply-add a term, then the lanes in order), so the same bits. F and V
/// rows `ld` apart, points `f_stride` / `v_stride` apart, M dense [36][K][C]. Only call when
/// `topiary_avx512_usable()`.
void topiary_winograd_gradient_products_avx512(const float *f, const float *v, long out_channels, long in_channels,
                                               long columns, long ld, long f_stride, long v_stride, float *m);

/// A ReLU output's mask as bits: bit j of bits[k] is x[16k + j] > 0 (false for NaN), for the
/// `n` floats of x; `bits` holds ⌈n/16⌉ words. Only call when `topiary_avx512_usable()`.
void topiary_relu_mask_pack_avx512(const float *x, unsigned short *bits, long n);
/// The mask back as floats: y[i] = 1 where its bit is set, else 0, for `n` floats.
void topiary_relu_mask_unpack_avx512(const unsigned short *bits, float *y, long n);

#endif
