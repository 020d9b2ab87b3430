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

    /// Aᵀ applied to a column (m0…m5). The three scaled sums are fused multiply-adds (one
    /// rounding each; CAVX512's output kernels do the same): on Zen 4 the 16-tile output
    /// kernel in L1 took 47 → 37 ns.
    @inline(__always)
    static func output(_ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>, _ m3: SIMD8<Float>,
                       _ m4: SIMD8<Float>, _ m5: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let p = m1 + m2, q = m1 - m2, r = m3 + m4, s = m3 - m4
        return (m0 + p + r, q.addingProduct(2, s), p.addingProduct(4, r), q.addingProduct(8, s) + m5)
    }

    /// G, 6×3.
    static let g: [[Double]] = [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                                [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]

    /// G applied to a column (x0, x1, x2) of a filter, factored: the six rows of G
    /// ([1/4, 0, 0], −[1, 1, 1]/6, −[1, −1, 1]/6, [1/24, ±1/12, 1/6], [0, 0, 1]) share
    /// x0 + x2 and x1's multiples, 10 operations instead of 18 products and 12 sums.
    @inline(__always)
    static func filter(_ x0: SIMD4<Double>, _ x1: SIMD4<Double>, _ x2: SIMD4<Double>)
        -> (SIMD4<Double>, SIMD4<Double>, SIMD4<Double>, SIMD4<Double>, SIMD4<Double>, SIMD4<Double>) {
        let p = x0 + x2, q = x0 * (1.0 / 24) + x2 * (1.0 / 6), r = x1 * (1.0 / 12)
        return (x0 * 0.25, (p + x1) * (-1.0 / 6), (p - x1) * (-1.0 / 6), q + r, q - r, x2)
    }

    /// U[ξ][o][c] = (G·w[o, c]·Gᵀ)[ξ] for weights [K, C, 3, 3], computed in double by
    /// `filter` (along the kernel's columns, then its rows), four input channels per
    /// SIMD4 (every lane the same operations in the same order as one filter alone), each
    /// value rounded to float once. `WinogradWeightCache` keeps the result while the
    /// weights stay bit-equal; training steps and ∂L/∂x (flipped weights) transform at
    /// every call. Split over output channels across threads (VGG's 512c4: 2.4 M weights a
    /// call). Zen 4, one thread, 512 × 512 filters (perf, share of an uncached 512c4
    /// forward): ~10 ms with G as a matrix and 36 interleaved stores, ~7 ms factored and
    /// copied out by blocks of `weightBlock` channels.
    static func transformWeights(_ w: UnsafePointer<Float>, outChannels K: Int, inChannels C: Int,
                                 into u: UnsafeMutablePointer<Float>) {
        Parallel.ranges(K, grain: max(1, (1 << 14) / max(C, 1))) { lo, hi in
            withUnsafeTemporaryAllocation(of: SIMD4<Float>.self, capacity: 36 * weightBlock / 4) { buffer in
                let block = buffer.baseAddress!
                for o in lo..<hi {
                    var c = 0
                    while c < C {
                        let n = min(weightBlock, C - c)
                        transformWeights(w + (o * C + c) * 9, channels: n, into: block)
                        // each point's n floats to U[ξ][o][c…]: whole cache lines per point
                        // instead of 36 interleaved 16-byte streams a megabyte apart (512c4)
                        UnsafeRawPointer(block).withMemoryRebound(to: Float.self, capacity: 36 * weightBlock) { b in
                            for xi in 0..<36 { (u + (xi * K + o) * C + c).update(from: b + xi * weightBlock, count: n) }
                        }
                        c += n
                    }
                }
            }
        }
    }

    /// Input channels transformed into one block before it is copied out.
    static let weightBlock = 64

    /// U of `n` ≤ `weightBlock` consecutive filters (9 floats each, from `src`) into
    /// `block` [36][weightBlock / 4] vectors, four filters per vector (the missing ones of
    /// the last vector zero).
    @inline(__always)
    private static func transformWeights(_ src: UnsafePointer<Float>, channels n: Int,
                                         into block: UnsafeMutablePointer<SIMD4<Float>>) {
        typealias D = SIMD4<Double>
        let vectors = weightBlock / 4
        var c = 0
        while c < n {
            let lanes = min(4, n - c), f = src + c * 9
            @inline(__always) func tap(_ k: Int) -> D {
                if lanes == 4 { return D(Double(f[k]), Double(f[9 + k]), Double(f[18 + k]), Double(f[27 + k])) }
                var v = D()
                for l in 0..<lanes { v[l] = Double(f[l * 9 + k]) }
                return v
            }
            // t = G·f: one column (taps j, 3 + j, 6 + j) of the filter at a time
            let c0 = filter(tap(0), tap(3), tap(6)), c1 = filter(tap(1), tap(4), tap(7)), c2 = filter(tap(2), tap(5), tap(8))
            let out = block + c / 4
            @inline(__always) func row(_ i: Int, _ a: D, _ b: D, _ d: D) {
                let r = filter(a, b, d), at = out + i * 6 * vectors
                at[0] = SIMD4<Float>(r.0); at[vectors] = SIMD4<Float>(r.1); at[2 * vectors] = SIMD4<Float>(r.2)
                at[3 * vectors] = SIMD4<Float>(r.3); at[4 * vectors] = SIMD4<Float>(r.4); at[5 * vectors] = SIMD4<Float>(r.5)
            }
            // U = t·Gᵀ: row i of t is (c0.i, c1.i, c2.i)
            row(0, c0.0, c1.0, c2.0); row(1, c0.1, c1.1, c2.1); row(2, c0.2, c1.2, c2.2)
            row(3, c0.3, c1.3, c2.3); row(4, c0.4, c1.4, c2.4); row(5, c0.5, c1.5, c2.5)
            c += lanes
        }
    }
}
