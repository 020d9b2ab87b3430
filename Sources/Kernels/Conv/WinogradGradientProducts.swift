import CAVX512

/// ∂L/∂w's 36 products of a Winograd chunk, M[ξ] += Fˆ[ξ]·V[ξ]ᵀ ([K, tiles]·[tiles, C]
/// each, `Conv2dKernel.weightGradientWinograd`), by our own register tile for the
/// few-channel shapes where 36 OpenBLAS calls per chunk cost more than the products: at 16
/// channels and 128 tiles each is a 16×16×128 GEMM. The sum runs along the tiles, which
/// are contiguous in both operands: a tile of 4 output × 2 input channels keeps 8 vector
/// accumulators over 8 tiles each, takes 6 loads per 8 fused multiply-adds, and folds each
/// accumulator once at the end of the chunk.
///
/// Each M element gains Σ_t over ascending vectors of 8 tiles, one FMA per lane, then the
/// lanes' sum: the same order whatever the channel counts, so the result does not depend on
/// which tile of the register block a channel falls in — nor on the AVX-512 kernel
/// (`topiary_winograd_gradient_products_avx512`: 8 or 4 output × 4 input channels, two of
/// these 8-lane accumulators a 16-float vector; 8 rows take 12 loads per 16 fused
/// multiply-adds. Intel Xeon family 6 model 207, batch 128, old and new binaries alternated 3
/// rounds, medians, 1 | 2 threads: ∂L/∂w 32c16 4.85–5.18 → 3.27–4.62 ms | 2.62–3.41 →
/// 1.92–2.45, 16c32 5.9–6.6 → 4.2–5.5 | 3.0–3.2 → 2.9–3.0, against 4 rows a tile; a tile's
/// sums then added to M four at a time, not one: 32c16 4.4–4.7 → 2.8–4.0 | 2.5–2.6 → 2.1,
/// 16c32 at two threads 3.0–3.7 → 2.5).
public enum WinogradGradientProducts {
    /// Whether the AVX-512 kernel runs where the CPU has it (`bench --ab dw-products-512`).
    nonisolated(unsafe) public static var wide = true

    /// M[ξ][k][c] += Σ_t F[ξ][k][t]·V[ξ][c][t] for t < `columns` (a multiple of 8); F and
    /// V with rows `ld` apart and points `fStride` and `vStride` apart, M dense [36][K][C].
    static func accumulate(_ f: UnsafePointer<Float>, _ v: UnsafePointer<Float>, outChannels K: Int, inChannels C: Int,
                           columns: Int, ld: Int, fStride: Int, vStride: Int, into m: UnsafeMutablePointer<Float>) {
        if CPU.useAVX512 && wide {   // 8 (or 4) × 4 channels a tile, two 8-lane sums a 16-float vector (the same bits)
            topiary_winograd_gradient_products_avx512(f, v, K, C, columns, ld, fStride, vStride, m)
            return
        }
        for xi in 0..<Winograd.points {
            let fx = f + xi * fStride, vx = v + xi * vStride, mx = m + xi * K * C
            var k = 0
            while k < K {
                var c = 0
                while c < C {
                    tile(fx + k * ld, rows: min(4, K - k), vx + c * ld, channels: min(2, C - c), ld: ld, columns: columns,
                         out: mx + k * C + c, outStride: C)
                    c += 2
                }
                k += 4
            }
        }
    }

    /// One register tile: `rows` (≤ 4) output channels × `channels` (≤ 2) input channels;
    /// missing rows and channels re-read the last real one and are not stored.
    @inline(__always)
    private static func tile(_ f: UnsafePointer<Float>, rows: Int, _ v: UnsafePointer<Float>, channels: Int, ld: Int,
                             columns: Int, out: UnsafeMutablePointer<Float>, outStride: Int) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        let f0 = f, f1 = f + min(1, rows - 1) * ld, f2 = f + min(2, rows - 1) * ld, f3 = f + min(3, rows - 1) * ld
        let v0 = v, v1 = v + min(1, channels - 1) * ld
        var a00 = V(), a01 = V(), a10 = V(), a11 = V(), a20 = V(), a21 = V(), a30 = V(), a31 = V()
        var t = 0
        while t < columns {
            let x0 = load(v0 + t), x1 = load(v1 + t)
            let w0 = load(f0 + t), w1 = load(f1 + t), w2 = load(f2 + t), w3 = load(f3 + t)
            a00 = a00.addingProduct(w0, x0); a01 = a01.addingProduct(w0, x1)
            a10 = a10.addingProduct(w1, x0); a11 = a11.addingProduct(w1, x1)
            a20 = a20.addingProduct(w2, x0); a21 = a21.addingProduct(w2, x1)
            a30 = a30.addingProduct(w3, x0); a31 = a31.addingProduct(w3, x1)
            t += 8
        }
        @inline(__always) func add(_ r: Int, _ a: V, _ b: V) {
            out[r * outStride] += a.sum()
            if channels > 1 { out[r * outStride + 1] += b.sum() }
        }
        add(0, a00, a01)
        if rows > 1 { add(1, a10, a11) }
        if rows > 2 { add(2, a20, a21) }
        if rows > 3 { add(3, a30, a31) }
    }
}
