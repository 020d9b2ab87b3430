/// col2im for the 3×3, stride-2, padding-1 convolution that halves a plane (ResNet's
/// downsampling convolutions, MobileNet's stem: the ungrouped strided 3×3s), written once
/// per input position instead of added tap by tap.
///
/// Every input position of an even-width plane is read by 1, 2 or 4 taps: row r by kernel
/// row 1 at output row r/2 (r even) or by kernel rows 0 and 2 at output rows (r + 1)/2 and
/// (r − 1)/2 (r odd); likewise column 2q by kernel column 1 at output column q, column 2q + 1
/// by kernel column 0 at q + 1 and kernel column 2 at q. So an input row is two vectors of
/// output columns — the even columns' sums and the odd columns' — interleaved, and no pass
/// zeroes `x` first. The terms are added in `col2im`'s order (kernel row, then column, from
/// zero), so both give the same bits.
extension Im2col {
    /// Whether `col2imWriting` takes the geometry: 3×3, stride 2, padding 1, undilated, an
    /// even input width (an odd width's last column has no odd partner).
    @inlinable
    public static func writesStride2(_ g: ConvGeometry) -> Bool {
        g.kernelH == 3 && g.kernelW == 3 && g.strideH == 2 && g.strideW == 2 && g.padH == 1 && g.padW == 1
            && g.dilationH == 1 && g.dilationW == 1 && g.width % 2 == 0 && g.width >= 2
            && g.outWidth == g.width / 2 && g.outHeight == (g.height + 1) / 2
    }

    /// x = col2im(cols), overwriting `x` (`channels` planes of H×W) — the same values
    /// `col2im` adds into a zeroed `x`. Only where `writesStride2(g)`.
    public static func col2imWriting(_ g: ConvGeometry, channels: Int, cols: UnsafePointer<Float>, ld: Int,
                                     x: UnsafeMutablePointer<Float>) {
        let h = g.height, w = g.width, oh = g.outHeight, ow = g.outWidth
        for c in 0..<channels {
            let tap = { (i: Int, j: Int, row: Int) in cols + ((c * 3 + i) * 3 + j) * ld + row * ow }
            for r in 0..<h {
                let dst = x + (c * h + r) * w
                if r % 2 == 0 {
                    writeRow(dst, ow, tap(1, 0, r / 2), tap(1, 1, r / 2), tap(1, 2, r / 2), nil, nil, nil)
                } else if (r + 1) / 2 < oh {
                    let a = (r + 1) / 2, b = (r - 1) / 2
                    writeRow(dst, ow, tap(0, 0, a), tap(0, 1, a), tap(0, 2, a), tap(2, 0, b), tap(2, 1, b), tap(2, 2, b))
                } else {   // the last row of an even height: kernel row 2 alone
                    let b = (r - 1) / 2
                    writeRow(dst, ow, tap(2, 0, b), tap(2, 1, b), tap(2, 2, b), nil, nil, nil)
                }
            }
        }
    }

    /// One input row from one or two kernel rows' columns (`l0`, `l1`, `l2`: kernel columns
    /// 0, 1, 2 at the first output row; `m0`…`m2` at the second): even column 2q the sum of
    /// column 1's q, odd column 2q + 1 of column 0's q + 1 (when q + 1 < ow) and column 2's q.
    @inline(__always)
    static func writeRow(_ dst: UnsafeMutablePointer<Float>, _ ow: Int,
                         _ l0: UnsafePointer<Float>, _ l1: UnsafePointer<Float>, _ l2: UnsafePointer<Float>,
                         _ m0: UnsafePointer<Float>?, _ m1: UnsafePointer<Float>?, _ m2: UnsafePointer<Float>?) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>, _ q: Int) -> V {
            UnsafeRawPointer(p + q).loadUnaligned(as: V.self)
        }
        var q = 0
        while q + 8 <= ow {
            // column 0's q + 1 for the last lane of the row's last vector lies past the row
            let last = q + 8 == ow
            @inline(__always) func shifted(_ p: UnsafePointer<Float>) -> V {
                guard last else { return load(p, q + 1) }
                var v = V(repeating: 0)
                for k in 0..<7 { v[k] = p[q + 1 + k] }
                return v
            }
            var even = V(repeating: 0) + load(l1, q)
            var odd = (V(repeating: 0) + shifted(l0)) + load(l2, q)
            if let m0, let m1, let m2 {
                even += load(m1, q)
                odd = (odd + shifted(m0)) + load(m2, q)
            }
            let out = interleaved(even, odd)
            UnsafeMutableRawPointer(dst + 2 * q).storeBytes(of: out, as: SIMD16<Float>.self)
            q += 8
        }
        while q < ow {
            var even: Float = 0 + l1[q]
            var odd: Float = (0 + (q + 1 < ow ? l0[q + 1] : 0)) + l2[q]
            if let m0, let m1, let m2 {
                even += m1[q]
                odd = (odd + (q + 1 < ow ? m0[q + 1] : 0)) + m2[q]
            }
            dst[2 * q] = even
            dst[2 * q + 1] = odd
            q += 1
        }
    }

    /// (e0, o0, e1, o1, …, e7, o7).
    @inline(__always)
    static func interleaved(_ e: SIMD8<Float>, _ o: SIMD8<Float>) -> SIMD16<Float> {
        SIMD16(e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3], e[4], o[4], e[5], o[5], e[6], o[6], e[7], o[7])
    }
}
