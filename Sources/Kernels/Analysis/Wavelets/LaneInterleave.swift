/// Moving eight maps in and out of `SmallMapTransform`'s interleaved blocks (pixel p of
/// map l at lane l of block element p): eight pixels of the eight maps at a time through
/// `Transpose8x8`'s shuffles (`WaveletPasses.lanesTransposed`), the rest of a row and a last group of
/// fewer maps one float at a time (an 8 × 8 transpose built from SIMD8 element inits
/// measured slower than that).
extension SmallMapTransform {
    /// Interleaves maps `m0 ..< m0 + count` into `dst` (rows × cols SIMD8s, spare lanes
    /// zero). Map m's row r starts at `src + m·mapStride + r·rowStride`.
    @inline(__always)
    static func interleave(_ src: UnsafePointer<Float>, _ m0: Int, _ count: Int, rows: Int, cols: Int,
                           rowStride: Int, mapStride: Int, _ dst: UnsafeMutablePointer<V>) {
        // contiguous maps are one run of rows·cols pixels
        let (nr, nc) = rowStride == cols ? (1, rows * cols) : (rows, cols)
        let f = UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Float.self)
        if count < lanes { for p in 0..<(nr * nc) { dst[p] = V() } }
        var c0 = 0
        if count == lanes && WaveletPasses.lanesTransposed {
            let out = UnsafeMutableRawPointer(dst)
            for r in 0..<nr {
                let s = src + m0 * mapStride + r * rowStride
                c0 = 0
                while c0 + 8 <= nc {
                    @inline(__always) func row(_ l: Int) -> V { UnsafeRawPointer(s + l * mapStride + c0).loadUnaligned(as: V.self) }
                    Transpose8x8.transpose(row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7),
                                           into: out + (r * nc + c0) * 32, columns: 8)
                    c0 += 8
                }
            }
        }
        for l in 0..<count {
            let s = src + (m0 + l) * mapStride
            for r in 0..<nr {
                let q = f + r * nc * lanes + l, row = s + r * rowStride
                for c in c0..<nc { q[c * lanes] = row[c] }
            }
        }
    }

    /// Contiguous maps of `size` floats (`interleave`'s common case).
    @inline(__always)
    static func interleave(_ src: UnsafePointer<Float>, _ m0: Int, _ count: Int, _ size: Int, _ dst: UnsafeMutablePointer<V>) {
        interleave(src, m0, count, rows: 1, cols: size, rowStride: size, mapStride: size, dst)
    }

    /// The inverse of `interleave` for the first `count` lanes, into contiguous maps of
    /// `size` floats.
    @inline(__always)
    static func deinterleave(_ src: UnsafePointer<V>, _ m0: Int, _ count: Int, _ size: Int, _ dst: UnsafeMutablePointer<Float>) {
        let f = UnsafeRawPointer(src).assumingMemoryBound(to: Float.self)
        var p0 = 0
        if count == lanes && WaveletPasses.lanesTransposed {
            let d = dst + m0 * size
            while p0 + 8 <= size {
                let c = Transpose8x8.transposed(src[p0], src[p0 + 1], src[p0 + 2], src[p0 + 3],
                                                src[p0 + 4], src[p0 + 5], src[p0 + 6], src[p0 + 7])
                @inline(__always) func put(_ l: Int, _ v: V) { UnsafeMutableRawPointer(d + l * size + p0).storeBytes(of: v, as: V.self) }
                put(0, c.0); put(1, c.1); put(2, c.2); put(3, c.3); put(4, c.4); put(5, c.5); put(6, c.6); put(7, c.7)
                p0 += 8
            }
        }
        for l in 0..<count {
            let d = dst + (m0 + l) * size
            for p in p0..<size { d[p] = f[p * lanes + l] }
        }
    }
}
