import CAVX512

/// The 36 products M[ξ] = U[ξ]·V[ξ] of a Winograd chunk ([K, C]·[C, tiles] each) by our own
/// register tile, for the few-channel shapes where OpenBLAS's per-call cost outweighs the
/// products: at 16 channels and 128 tiles a product is 33 k multiply-adds, and every sgemm
/// call packs both operands and first zeroes C (sgemm_beta). The tile is the direct
/// kernel's: 4 output channels × 3 vectors of 8 tiles, 12 accumulators, one broadcast per
/// output channel and one load per vector for each input channel.
///
/// Each element is Σ_c U[ξ][k][c]·V[ξ][c][t] in ascending c with one fused multiply-add per
/// term, so the result does not depend on where a tile starts or how the chunk is split —
/// nor on the vector width: where `CPU.useAVX512`, the same tile with 16-float vectors
/// (4 × 64 tiles, CAVX512's `topiary_winograd_products_avx512`) computes the same bits.
enum WinogradProducts {
    /// Output channels per register tile.
    static let block = 4

    /// Floats `pack` writes: 36 points × ⌈K/4⌉ blocks × C × 4.
    static func packedCount(outChannels K: Int, inChannels C: Int) -> Int {
        Winograd.points * (K + block - 1) / block * C * block
    }

    /// U[ξ][K][C] → [ξ][K/4 blocks][C][4], the missing output channels of the last block
    /// zero.
    static func pack(_ u: UnsafePointer<Float>, outChannels K: Int, inChannels C: Int,
                     into up: UnsafeMutablePointer<Float>) {
        let B = block, blocks = (K + B - 1) / B
        for xi in 0..<Winograd.points {
            for b in 0..<blocks {
                let dst = up + (xi * blocks + b) * C * B
                for c in 0..<C {
                    for r in 0..<B {
                        let k = b * B + r
                        dst[c * B + r] = k < K ? u[(xi * K + k) * C + c] : 0
                    }
                }
            }
        }
    }

    /// M[ξ][k][t] = Σ_c U[ξ][k][c]·V[ξ][c][t] for k < K, t < `columns` (a multiple of 8);
    /// `up` from `pack`, V and M with rows `ld` apart and points `vStride` and `mStride` apart.
    static func multiply(_ up: UnsafePointer<Float>, _ v: UnsafePointer<Float>, outChannels K: Int,
                         inChannels C: Int, columns: Int, ld: Int, vStride: Int,
                         into mb: UnsafeMutablePointer<Float>, mStride: Int) {
        if CPU.useAVX512 {
            topiary_winograd_products_avx512(up, v, K, C, columns, ld, vStride, mb, mStride)
            return
        }
        let B = block, blocks = (K + B - 1) / B
        for xi in 0..<Winograd.points {
            let vx = v + xi * vStride, mx = mb + xi * mStride
            for b in 0..<blocks {
                let w = up + (xi * blocks + b) * C * B, rows = min(B, K - b * B), out = mx + b * B * ld
                var t = 0
                while t + 24 <= columns {
                    tile(w, vx + t, channels: C, ld: ld, vectors: 3, rows: rows, out: out + t)
                    t += 24
                }
                while t < columns {
                    tile(w, vx + t, channels: C, ld: ld, vectors: 1, rows: rows, out: out + t)
                    t += 8
                }
            }
        }
    }

    /// One register tile: `rows` (≤ 4) output channels × `vectors` (1 or 3, a constant
    /// after inlining) vectors of 8 tiles.
    @inline(__always)
    private static func tile(_ w: UnsafePointer<Float>, _ v: UnsafePointer<Float>, channels: Int, ld: Int,
                             vectors: Int, rows: Int, out: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var a00 = V(), a01 = V(), a02 = V(), a10 = V(), a11 = V(), a12 = V()
        var a20 = V(), a21 = V(), a22 = V(), a30 = V(), a31 = V(), a32 = V()
        var x = v, wc = w
        if vectors == 3 {
            for _ in 0..<channels {
                let x0 = load(x), x1 = load(x + 8), x2 = load(x + 16)
                let w0 = V(repeating: wc[0]), w1 = V(repeating: wc[1]), w2 = V(repeating: wc[2]), w3 = V(repeating: wc[3])
                a00 = a00.addingProduct(w0, x0); a01 = a01.addingProduct(w0, x1); a02 = a02.addingProduct(w0, x2)
                a10 = a10.addingProduct(w1, x0); a11 = a11.addingProduct(w1, x1); a12 = a12.addingProduct(w1, x2)
                a20 = a20.addingProduct(w2, x0); a21 = a21.addingProduct(w2, x1); a22 = a22.addingProduct(w2, x2)
                a30 = a30.addingProduct(w3, x0); a31 = a31.addingProduct(w3, x1); a32 = a32.addingProduct(w3, x2)
                x += ld
                wc += block
            }
        } else {
            for _ in 0..<channels {
                let x0 = load(x)
                a00 = a00.addingProduct(V(repeating: wc[0]), x0); a10 = a10.addingProduct(V(repeating: wc[1]), x0)
                a20 = a20.addingProduct(V(repeating: wc[2]), x0); a30 = a30.addingProduct(V(repeating: wc[3]), x0)
                x += ld
                wc += block
            }
        }
        @inline(__always) func store(_ r: Int, _ a: V, _ b: V, _ c: V) {
            let p = UnsafeMutableRawPointer(out + r * ld)
            p.storeBytes(of: a, as: V.self)
            if vectors == 3 {
                p.storeBytes(of: b, toByteOffset: 32, as: V.self)
                p.storeBytes(of: c, toByteOffset: 64, as: V.self)
            }
        }
        store(0, a00, a01, a02)
        if rows > 1 { store(1, a10, a11, a12) }
        if rows > 2 { store(2, a20, a21, a22) }
        if rows > 3 { store(3, a30, a31, a32) }
    }
}
