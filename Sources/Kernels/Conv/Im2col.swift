/// im2col and its adjoint col2im for one image and one group of channels.
///
/// The column matrix has one row per (channel, kernel row, kernel column) — the order of
/// a PyTorch OIHW weight's I·H·W — and one column per output position (oh·OW + ow).
/// Rows are `ld` floats apart, so several images (or a tile of one) can share a buffer.
public enum Im2col {
    /// Fills `cols` from `x` (`channels` planes of H×W); taps outside the image are 0.
    @inlinable
    public static func im2col(_ g: ConvGeometry, channels: Int, x: UnsafePointer<Float>,
                              cols: UnsafeMutablePointer<Float>, ld: Int) {
        let oh = g.outHeight, ow = g.outWidth, h = g.height, w = g.width
        if isSame(g) { sameIm2col(g, channels: channels, x: x, cols: cols, ld: ld); return }
        for c in 0..<channels {
            let xc = x + c * h * w
            g.forEachTap { i, j, tapH, tapW, hLo, hHi, wLo, wHi in
                let row = cols + ((c * g.kernelH + i) * g.kernelW + j) * ld
                if hLo > 0 { row.update(repeating: 0, count: hLo * ow) }
                if hHi < oh { (row + hHi * ow).update(repeating: 0, count: (oh - hHi) * ow) }
                guard wHi > wLo else {
                    if hHi > hLo { (row + hLo * ow).update(repeating: 0, count: (hHi - hLo) * ow) }
                    return
                }
                for r in hLo..<hHi {
                    let dst = row + r * ow
                    let src = xc + (r * g.strideH + tapH) * w + tapW
                    if wLo > 0 { dst.update(repeating: 0, count: wLo) }
                    if wHi < ow { (dst + wHi).update(repeating: 0, count: ow - wHi) }
                    if g.strideW == 1 {
                        (dst + wLo).update(from: src + wLo, count: wHi - wLo)
                    } else {
                        let s = g.strideW
                        for q in wLo..<wHi { dst[q] = src[q * s] }
                    }
                }
            }
        }
    }

    /// Adds the columns back into `x` (the adjoint of `im2col`): every tap's value is
    /// accumulated at the input position it was read from.
    @inlinable
    public static func col2im(_ g: ConvGeometry, channels: Int, cols: UnsafePointer<Float>, ld: Int,
                              x: UnsafeMutablePointer<Float>) {
        let ow = g.outWidth, h = g.height, w = g.width
        if isSame(g) { sameCol2im(g, channels: channels, cols: UnsafeMutablePointer(mutating: cols), ld: ld, x: x); return }
        for c in 0..<channels {
            let xc = x + c * h * w
            g.forEachTap { i, j, tapH, tapW, hLo, hHi, wLo, wHi in
                guard wHi > wLo else { return }
                let row = cols + ((c * g.kernelH + i) * g.kernelW + j) * ld
                for r in hLo..<hHi {
                    let src = row + r * ow
                    let dst = xc + (r * g.strideH + tapH) * w + tapW
                    if g.strideW == 1 {
                        for q in wLo..<wHi { dst[q] += src[q] }
                    } else {
                        let s = g.strideW
                        for q in wLo..<wHi { dst[q * s] += src[q] }
                    }
                }
            }
        }
    }

    // MARK: stride 1, "same" output size

    /// Stride 1 with output size equal to the input (3×3 pad 1, 5×5 pad 2, dilated
    /// equivalents): each column-matrix row is the input plane shifted by one offset, so
    /// it is one contiguous copy plus zeroed border columns.
    @inlinable
    static func isSame(_ g: ConvGeometry) -> Bool {
        g.strideH == 1 && g.strideW == 1 && g.outHeight == g.height && g.outWidth == g.width
    }

    /// For tap (tapH, tapW): the output range [lo, hi) (as flat plane indices) whose
    /// shifted source index lies inside the plane, and the source shift.
    @usableFromInline @inline(__always)
    static func sameSpan(_ g: ConvGeometry, _ tapH: Int, _ tapW: Int) -> (lo: Int, hi: Int, shift: Int) {
        let (hLo, hHi) = ConvGeometry.validRange(out: g.height, in: g.height, stride: 1, tap: tapH)
        let plane = g.height * g.width
        // A tap a whole plane away (a dilation or padding of the map's size or more) reads
        // padding only: the row is all zeros, and no offset may leave the plane.
        guard abs(tapH) < g.height, abs(tapW) < g.width else { return (plane, plane, 0) }
        let shift = tapH * g.width + tapW
        let lo = min(max(hLo * g.width, -shift, 0), plane), hi = min(hHi * g.width, plane - shift)
        return (lo, max(lo, hi), shift)
    }

    /// Calls `body(channel, row, lo, hi, shift)` for every (channel, tap) row of a
    /// same-size column matrix, after zeroing the row's wrapped border columns.
    @inlinable
    static func forEachSameRow(_ g: ConvGeometry, channels: Int, cols: UnsafeMutablePointer<Float>, ld: Int,
                               _ body: (Int, UnsafeMutablePointer<Float>, Int, Int, Int) -> Void) {
        let plane = g.height * g.width
        for c in 0..<channels {
            for i in 0..<g.kernelH {
                let tapH = i * g.dilationH - g.padH
                for j in 0..<g.kernelW {
                    let tapW = j * g.dilationW - g.padW
                    let row = cols + ((c * g.kernelH + i) * g.kernelW + j) * ld
                    let (lo, hi, shift) = sameSpan(g, tapH, tapW)
                    body(c * plane, row, lo, hi, shift)
                    // Columns whose source wrapped into the neighbouring row are padding.
                    zeroWrappedColumns(row, plane: plane, width: g.width, tapW: tapW)
                }
            }
        }
    }

    @inlinable
    static func sameIm2col(_ g: ConvGeometry, channels: Int, x: UnsafePointer<Float>,
                           cols: UnsafeMutablePointer<Float>, ld: Int) {
        let plane = g.height * g.width
        forEachSameRow(g, channels: channels, cols: cols, ld: ld) { xo, row, lo, hi, shift in
            if lo > 0 { row.update(repeating: 0, count: lo) }
            if hi > lo { (row + lo).update(from: x + xo + lo + shift, count: hi - lo) }
            if hi < plane { (row + hi).update(repeating: 0, count: plane - hi) }
        }
    }

    /// Adds rows back. The wrapped border columns must not be added: `forEachSameRow`
    /// zeroes them after `body`, so they are zeroed in a first pass over the rows.
    @inlinable
    static func sameCol2im(_ g: ConvGeometry, channels: Int, cols: UnsafeMutablePointer<Float>, ld: Int,
                           x: UnsafeMutablePointer<Float>) {
        forEachSameRow(g, channels: channels, cols: cols, ld: ld) { _, _, _, _, _ in }
        forEachSameRow(g, channels: channels, cols: cols, ld: ld) { xo, row, lo, hi, shift in
            let dst = x + xo + shift
            for q in lo..<hi { dst[q] += row[q] }
        }
    }

    /// Zeroes the first −tapW (tapW < 0) or last tapW (tapW > 0) columns of every row
    /// of a shifted plane: the positions whose source fell outside the image row.
    @usableFromInline @inline(__always)
    static func zeroWrappedColumns(_ row: UnsafeMutablePointer<Float>, plane: Int, width w: Int, tapW: Int) {
        guard tapW != 0 else { return }
        let n = min(abs(tapW), w)
        var r = tapW < 0 ? 0 : w - n
        while r < plane { for q in 0..<n { row[r + q] = 0 }; r += w }
    }
}
