import CAVX512
import Foundation
import Tensor

/// ∂L/∂weight of a 3×3 stride-1 convolution by Winograd F(4×4, 3×3) run backwards. Over
/// one 4×4 output tile F of ∂L/∂y and the 6×6 input tile d under it, the weight gradient is
/// the correlation dW[p][q] = Σ_ab F[a][b]·d[a + p][b + q]. The forward's identity
/// y = Aᵀ[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]A, read as a trilinear form in (F, g, d), gives
///
///     dW = Gᵀ·[ (A·F·Aᵀ) ⊙ (Bᵀ·d·B) ]·G,
///
/// so with V[ξ][c][t] from the forward's input transform and Fˆ[ξ][k][t] = (A·F·Aᵀ)[ξ],
/// the sum over tiles and images is 36 GEMMs M[ξ] += Fˆ[ξ]·V[ξ]ᵀ ([K, tiles]·[tiles, C])
/// and Gᵀ·M·G is taken once per weight at the end, in double: 36 multiplies per tile and
/// channel pair instead of im2col's 144, a 4× cut of ∂L/∂w's arithmetic.
extension Conv2dKernel {
    /// `TOPIARY_WINOGRAD_DW=0` keeps ∂L/∂w on the direct and im2col paths.
    nonisolated(unsafe) public static var winogradWeightGradientEnabled =
        ProcessInfo.processInfo.environment["TOPIARY_WINOGRAD_DW"] != "0"

    /// The one place that chooses Winograd for ∂L/∂w: the forward's conditions (≥ 8
    /// channels, planes of 8×8 and more, ≥ 64 tiles a chunk). "AMD EPYC" Zen 1 (family 23
    /// model 1), batch 128, `topiary bench conv --ab winograd-dw`, 3–5 alternating rounds,
    /// direct or im2col / Winograd, 1 thread | 2 threads: ResNet 16c32 27.1 / 18.1 |
    /// 14.5 / 10.0 ms, 32c16 20.1 / 12.3 | 19.6 / 14.3, 64c8 26.4 / 7.9 | 15.4 / 7.3; VGG
    /// 64c32 273 / 117 | 281 / 111, 128c16 416 / 124 | 268 / 82, 256c8 265 / 99 | 161 / 64;
    /// pruned 16→8 c32 1.11× | 1.26×, 16→11 c32 1.91× | 1.31×, 8→16 c32 1.34× | 1.38×,
    /// 32→23 c16 16.0 / 8.8 | 8.6 / 6.0, 64→45 c8 14.4 / 7.4 | 8.3 / 5.0. (The VM was
    /// noisy: absolute times moved by up to 1.5× between runs, the ratios much less.)
    /// Not on 4×4 planes, where the forward takes Winograd: VGG 512c4 ∂L/∂w on Zen 4 against
    /// the per-tap GEMMs, 4 alternating rounds, 1 | 2 threads: 0.86× | 0.55×.
    public static func usesWinogradWeightGradient(_ g: ConvGeometry) -> Bool {
        guard winogradWeightGradientEnabled, winogradEnabled, winogradApplies(g) else { return false }
        if winogradMinChannels <= 1 { return true }   // tests: every shape it computes
        let tl = WinogradTiling(g), parts = ParallelBatch.parts(g.batch), perPart = (g.batch + parts - 1) / parts
        return min(g.inChannels, g.outChannels) >= winogradMinChannels && g.outHeight >= 8 && g.outWidth >= 8
            && min(perPart * tl.perImage, winogradTiles) >= 64
    }

    /// Whether ∂L/∂w's chunk products run on `WinogradGradientProducts` (up to 32 channels,
    /// and never above `winogradOwnMaxChannels`, so 0 turns it off as for the forward).
    /// Zen 1, batch 128, 4 alternating rounds, OpenBLAS / own, 1 thread | 2 threads: 16c32
    /// 20.5 / 12.5 | 18.3 / 10.9 ms, 32c16 12.6 / 10.1 | 14.4 / 11.1, 16→8 c32 1.27× |
    /// 1.32×, 16→11 c32 1.25× | 1.63×, 32→23 c16 1.19× | 1.13×; at 64 channels even or
    /// slower (64c8 0.95× | 1.07×, 64→45 c8 0.91× | 0.99×, VGG 64c32 0.96× | 0.99×).
    static func ownWinogradGradientProducts(_ g: ConvGeometry) -> Bool {
        max(g.inChannels, g.outChannels) <= min(winogradOwnMaxChannels, 32)
    }

    /// dw += ∂L/∂weight by F(4×4, 3×3); `g` must satisfy `winogradApplies`. Each thread
    /// sums its images' M into its own block; the blocks are added in part order, so the
    /// result does not depend on timing.
    public static func weightGradientWinograd(_ g: ConvGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                              dw: UnsafeMutablePointer<Float>) throws {
        let ch = try WinogradChunks(g)
        let C = g.inChannels, K = g.outChannels, tl = ch.tiling, nb = ch.images, vs = ch.inStride, fs = ch.outStride
        let parts = ParallelBatch.parts(g.batch)
        let mSize = 36 * K * C, dyPlane = 16 * tl.perImage, own = ownWinogradGradientProducts(g)
        try Scratch.with(parts * mSize, zeroed: true) { local in
            try ParallelBatch.run(g.batch, op: "conv2d backward") { part, lo, hi, stop in
                let mine = local + part * mSize
                Scratch.with(36 * vs, 36 * fs) { v, f in
                    // tmp: transform temporaries; pad: the input planes with their zero border
                    // (+ 8 floats of slack); dpad: ∂L/∂y's planes rounded up to whole tiles,
                    // then one zero tile for the lanes past the last tile (+ 8 of slack).
                    Scratch.with(80 * 8, nb * tl.hp * tl.wp + 8, nb * dyPlane + 16 * tl.tilesW + 8,
                                 zeroed: true) { tmp, pad, dpad in
                        var n0 = lo
                        var tables: WinogradChunkTables?   // once per chunk size; the plain tile order
                        while n0 < hi {
                            if stop() { return }
                            let m = min(nb, hi - n0), cols = (m * tl.perImage + 7) & ~7
                            if tables?.m != m { tables = WinogradChunkTables(g, tl, m: m, ld: cols, interleave: false, outputs: false) }
                            winogradInput(g, tl, x: x, n0: n0, m: m, pad: pad, v: v, ld: cols, pointStride: vs, tmp: tmp,
                                          tables: tables)
                            winogradGradientInput(g, tl, dy: dy, n0: n0, m: m, pad: dpad, zeroTile: nb * dyPlane,
                                                  f: f, ld: cols, pointStride: fs, tmp: tmp)
                            if own {
                                WinogradGradientProducts.accumulate(f, v, outChannels: K, inChannels: C, columns: cols,
                                                                    ld: cols, fStride: fs, vStride: vs, into: mine)
                            } else {
                                for xi in 0..<36 {
                                    // M[ξ][K, C] += Fˆ[ξ][K, cols] · V[ξ][C, cols]ᵀ
                                    BLAS.sgemm(transA: false, transB: true, m: K, n: C, k: cols, a: f + xi * fs, lda: cols,
                                               b: v + xi * vs, ldb: cols, beta: 1, c: mine + xi * K * C, ldc: C)
                                }
                            }
                            n0 += m
                        }
                    }
                }
            }
            sumParts(local, parts: parts, size: mSize)
            Winograd.addWeightGradient(local, outChannels: K, inChannels: C, into: dw)
        }
    }

    /// Fˆ[ξ][k][t] = (A·F·Aᵀ)[ξ] for the 4×4 tiles F of ∂L/∂y of images n0 ..< n0 + m, in
    /// the tile order of `winogradInput`. Each channel's planes are first copied into `pad`
    /// with their rows 4·tilesW apart, so partial tiles at the bottom and right read zeros;
    /// the lanes past the last tile read the zero tile at `zeroTile`, so their Fˆ is zero
    /// and the garbage V of those lanes (`winogradInput`) adds nothing to the GEMMs.
    static func winogradGradientInput(_ g: ConvGeometry, _ tl: WinogradTiling, dy: UnsafePointer<Float>, n0: Int, m: Int,
                                      pad: UnsafeMutablePointer<Float>, zeroTile: Int, f: UnsafeMutablePointer<Float>,
                                      ld: Int, pointStride fs: Int, tmp: UnsafeMutablePointer<Float>) {
        let K = g.outChannels, OH = g.outHeight, OW = g.outWidth, P = g.outPlane
        let wq = 4 * tl.tilesW, plane = 16 * tl.perImage
        let offs = tl.corners(tiles: m * tl.perImage, count: ld, plane: plane, rowStride: wq, rest: zeroTile)
        let tv = UnsafeMutableRawPointer(tmp), wide = CPU.useAVX512 && wideTransforms
        offs.withUnsafeBufferPointer { ob in
            let o = ob.baseAddress!
            for k in 0..<K {
                for j in 0..<m {
                    let src = dy + ((n0 + j) * K + k) * P, dst = pad + j * plane
                    for r in 0..<OH { copyRow(src + r * OW, to: dst + r * wq, count: OW) }
                }
                var t0 = 0
                if wide {   // 16 tiles at a time, one 512-bit lane each (the same bits)
                    while t0 + 16 <= ld {
                        topiary_winograd_gradient16_avx512(pad, o + t0, wq, f + k * ld + t0, fs)
                        t0 += 16
                    }
                }
                while t0 < ld {
                    let p0 = pad + o[t0], p1 = pad + o[t0 + 1], p2 = pad + o[t0 + 2], p3 = pad + o[t0 + 3]
                    let p4 = pad + o[t0 + 4], p5 = pad + o[t0 + 5], p6 = pad + o[t0 + 6], p7 = pad + o[t0 + 7]
                    // rows: (F·Aᵀ)[r][j] at tv[6r + j], each row of 8 tiles read as 8 columns (4 used)
                    for r in 0..<4 {
                        @inline(__always) func row(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
                            UnsafeRawPointer(p + r * wq).loadUnaligned(as: SIMD8<Float>.self)
                        }
                        let d = Transpose8x8.transposed(row(p0), row(p1), row(p2), row(p3), row(p4), row(p5), row(p6), row(p7))
                        let q = Winograd.gradient(d.0, d.1, d.2, d.3)
                        Winograd.store(q, at: tv + r * 6 * 32, stride: 32)
                    }
                    // columns: A·(F·Aᵀ), into Fˆ[6i + j][k][t0 ..< t0 + 8]
                    for j in 0..<6 {
                        @inline(__always) func ld8(_ r: Int) -> SIMD8<Float> {
                            tv.load(fromByteOffset: (r * 6 + j) * 32, as: SIMD8<Float>.self)
                        }
                        let q = Winograd.gradient(ld8(0), ld8(1), ld8(2), ld8(3))
                        let out = UnsafeMutableRawPointer(f + j * fs + k * ld + t0), step = 6 * fs * 4
                        Winograd.store(q, at: out, stride: step)
                    }
                    t0 += 8
                }
            }
        }
    }
}

extension Winograd {
    /// A applied to a column (f0…f3) of a ∂L/∂y tile: its values at the six points
    /// 0, 1, −1, 2, −2, ∞ (the transpose of the output transform `output`).
    @inline(__always)
    static func gradient(_ f0: SIMD8<Float>, _ f1: SIMD8<Float>, _ f2: SIMD8<Float>, _ f3: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let p = f0 + f2, q = f1 + f3, r = f0 + 4 * f2, s = 2 * f1 + 8 * f3
        return (f0, p + q, p - q, r + s, r - s, f3)
    }

    /// dw[k, c] += Gᵀ·M[·][k][c]·G (3×3 from the 6×6 points ξ = 6i + j of M[ξ][K][C]), in
    /// double, output channels split over threads.
    static func addWeightGradient(_ m: UnsafePointer<Float>, outChannels K: Int, inChannels C: Int,
                                  into dw: UnsafeMutablePointer<Float>) {
        let g = Winograd.g.flatMap { $0 }   // G[ξ][p] at g[3ξ + p]
        Parallel.ranges(K, grain: max(1, (1 << 12) / max(C, 1))) { lo, hi in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 18) { buffer in
                let t = buffer.baseAddress!   // (Gᵀ·M)[p][j] at t[6p + j]
                for k in lo..<hi {
                    for c in 0..<C {
                        t.update(repeating: 0, count: 18)
                        for i in 0..<6 {
                            for j in 0..<6 {
                                let v = Double(m[((i * 6 + j) * K + k) * C + c])
                                for p in 0..<3 { t[p * 6 + j] += g[i * 3 + p] * v }
                            }
                        }
                        let out = dw + (k * C + c) * 9
                        for p in 0..<3 {
                            for q in 0..<3 {
                                var s = 0.0
                                for j in 0..<6 { s += t[p * 6 + j] * g[j * 3 + q] }
                                out[p * 3 + q] += Float(s)
                            }
                        }
                    }
                }
            }
        }
    }
}
