import Tensor

/// The transforms of Winograd's minimal filtering F(4×4, 3×3) (Lavin & Gray 2016): a 6×6
/// input tile d becomes V = Bᵀ·d·B, a 3×3 filter g becomes U = G·g·Gᵀ, and the 4×4 output
/// tile is Aᵀ·(U ⊙ V)·A; summed over input channels, the elementwise products are 36
/// matrix products (one per transform point ξ = 6·i + j). The 1-d transforms work on
/// SIMD8 vectors, one lane per tile.
enum Winograd {
    /// Tile sizes: 4×4 outputs from 6×6 inputs.
    static let outTile = 4, inTile = 6, points = 36

    /// Floats from one point's block of V (or M) to the next (`Scratch.skewed`): unskewed,
    /// the blocks are rows·512 bytes apart (128 tiles a chunk), a multiple of 4 KB, and the
    /// input transform's 36 stores per vector of tiles, like the output transform's 36
    /// loads, all went to one 8-way set of L1. Zen 1, one thread, 8 alternating rounds:
    /// forward 16c32 11.8 → 10.0 ms, 64c8 7.2 → 6.5; infer/resnet56 589 → 545 ms,
    /// resnet56_pruned50 357 → 316 (2 threads: 332 → 302, 205 → 187).
    static func pointStride(rows: Int, ld: Int) -> Int { Scratch.skewed(rows * ld) }

    /// Bᵀ applied to a column (d0…d5).
    @inline(__always)
    static func input(_ d0: SIMD8<Float>, _ d1: SIMD8<Float>, _ d2: SIMD8<Float>, _ d3: SIMD8<Float>,
                      _ d4: SIMD8<Float>, _ d5: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let a = d4 - 4 * d2, b = d3 - 4 * d1          // o1, o2 share these
        let c = d4 - d2, e = 2 * (d3 - d1)             // o3, o4
        return (4 * d0 - 5 * d2 + d4, a + b, a - b, c + e, c - e, 4 * d1 - 5 * d3 + d5)
    }

    /// Six vectors of a transformed row or column, the k-th at `base` + k·`stride` bytes.
    @inline(__always)
    static func store(_ q: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>),
                      at base: UnsafeMutableRawPointer, stride: Int) {
        base.storeBytes(of: q.0, as: SIMD8<Float>.self)
        base.storeBytes(of: q.1, toByteOffset: stride, as: SIMD8<Float>.self)
        base.storeBytes(of: q.2, toByteOffset: 2 * stride, as: SIMD8<Float>.self)
        base.storeBytes(of: q.3, toByteOffset: 3 * stride, as: SIMD8<Float>.self)
        base.storeBytes(of: q.4, toByteOffset: 4 * stride, as: SIMD8<Float>.self)
        base.storeBytes(of: q.5, toByteOffset: 5 * stride, as: SIMD8<Float>.self)
    }

    /// Aᵀ applied to a column (m0…m5).
    @inline(__always)
    static func output(_ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>, _ m3: SIMD8<Float>,
                       _ m4: SIMD8<Float>, _ m5: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let p = m1 + m2, q = m1 - m2, r = m3 + m4, s = m3 - m4
        return (m0 + p + r, q + 2 * s, p + 4 * r, q + 8 * s + m5)
    }

    /// G, 6×3.
    static let g: [[Double]] = [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                                [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]

    /// U[ξ][o][c] = (G·w[o, c]·Gᵀ)[ξ] for weights [K, C, 3, 3], computed in double, four
    /// input channels per SIMD4 (every lane the same products and sums in the same order
    /// as one filter alone). `WinogradWeightCache` keeps the result while the weights stay
    /// bit-equal.
    /// Split over output channels across threads (VGG's 512c4: 2.4 M weights a call).
    static func transformWeights(_ w: UnsafePointer<Float>, outChannels K: Int, inChannels C: Int,
                                 into u: UnsafeMutablePointer<Float>) {
        let g = Winograd.g.flatMap { $0 }   // local and flat: no global access in the loop
        Parallel.ranges(K, grain: max(1, (1 << 14) / max(C, 1))) { lo, hi in
            withUnsafeTemporaryAllocation(of: SIMD4<Double>.self, capacity: 9 + 18) { buffer in
                transformWeights(w, outChannels: lo..<hi, of: K, inChannels: C, g: g, scratch: buffer.baseAddress!, into: u)
            }
        }
    }

    /// `transformWeights` for the output channels `range` of `K`.
    @inline(__always)
    private static func transformWeights(_ w: UnsafePointer<Float>, outChannels range: Range<Int>, of K: Int,
                                         inChannels C: Int, g: [Double], scratch: UnsafeMutablePointer<SIMD4<Double>>,
                                         into u: UnsafeMutablePointer<Float>) {
        typealias D = SIMD4<Double>
        let f = scratch, t = scratch + 9
        for o in range {
            var c = 0
            while c < C {
                let lanes = min(4, C - c)
                for k in 0..<9 {
                    var v = D()
                    for l in 0..<lanes { v[l] = Double(w[(o * C + c + l) * 9 + k]) }
                    f[k] = v
                }
                for i in 0..<6 {   // t = G·f, 6×3
                    for j in 0..<3 { t[i * 3 + j] = g[i * 3] * f[j] + g[i * 3 + 1] * f[3 + j] + g[i * 3 + 2] * f[6 + j] }
                }
                for i in 0..<6 {   // U = t·Gᵀ, 6×6
                    for j in 0..<6 {
                        let v = t[i * 3] * g[j * 3] + t[i * 3 + 1] * g[j * 3 + 1] + t[i * 3 + 2] * g[j * 3 + 2]
                        let out = u + ((i * 6 + j) * K + o) * C + c
                        if lanes == 4 {
                            UnsafeMutableRawPointer(out).storeBytes(of: SIMD4<Float>(v), as: SIMD4<Float>.self)
                        } else {
                            for l in 0..<lanes { out[l] = Float(v[l]) }
                        }
                    }
                }
                c += lanes
            }
        }
    }
}
