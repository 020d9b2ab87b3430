/// Moving eight maps in and out of `SmallMapTransform`'s interleaved blocks (pixel p of
/// map l at lane l of block element p). One float at a time: an 8 × 8 transpose built
/// from SIMD8 element inits measured slower.
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
        for l in 0..<count {
            let s = src + (m0 + l) * mapStride
            for r in 0..<nr {
                let q = f + r * nc * lanes + l, row = s + r * rowStride
                for c in 0..<nc { q[c * lanes] = row[c] }
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
        for l in 0..<count {
            let d = dst + (m0 + l) * size
            for p in 0..<size { d[p] = f[p * lanes + l] }
        }
    }
}
