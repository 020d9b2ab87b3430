/// The inner loops of the 2-D wavelet transform. Both filter along the first (row)
/// axis of a small row-major matrix, vectorised across its columns; the other axis is
/// handled by transposing into scratch. Sums run over the taps in PyWavelets' order.
struct FilterPass {
    let start: [Int], coef: [Int], row: [Int]
    let lo: [Float], hi: [Float]

    init(_ t: TapTable, lo: [Float], hi: [Float]) {
        start = t.start; coef = t.coef; row = t.row
        self.lo = lo; self.hi = hi
    }

    var outputs: Int { start.count - 1 }

    /// Analysis: a[o, :] = Σ lo[coef]·src[row, :] and d[o, :] = Σ hi[coef]·src[row, :].
    func analyze(_ src: UnsafePointer<Float>, _ lds: Int, cols: Int,
                 _ a: UnsafeMutablePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ ldo: Int) {
        for o in 0..<outputs {
            let pa = a + o * ldo, pd = d + o * ldo
            for c in 0..<cols { pa[c] = 0; pd[c] = 0 }
            for t in start[o]..<start[o + 1] {
                let fl = lo[coef[t]], fh = hi[coef[t]], r = src + row[t] * lds
                for c in 0..<cols {
                    let v = r[c]
                    pa[c] += fl * v
                    pd[c] += fh * v
                }
            }
        }
    }

    /// Synthesis: out[o, :] = Σ lo[coef]·a[row, :] + Σ hi[coef]·d[row, :] (a missing
    /// band counts as zeros). `tmp` holds one row of `cols` floats.
    func synthesize(_ a: UnsafePointer<Float>?, _ d: UnsafePointer<Float>?, _ lds: Int, cols: Int,
                    _ out: UnsafeMutablePointer<Float>, _ ldo: Int, tmp: UnsafeMutablePointer<Float>) {
        for o in 0..<outputs {
            let po = out + o * ldo
            for c in 0..<cols { po[c] = 0 }
            if let a {
                for t in start[o]..<start[o + 1] {
                    let f = lo[coef[t]], r = a + row[t] * lds
                    for c in 0..<cols { po[c] += f * r[c] }
                }
            }
            if let d {
                for c in 0..<cols { tmp[c] = 0 }
                for t in start[o]..<start[o + 1] {
                    let f = hi[coef[t]], r = d + row[t] * lds
                    for c in 0..<cols { tmp[c] += f * r[c] }
                }
                for c in 0..<cols { po[c] += tmp[c] }
            }
        }
    }
}

/// dst[c, r] = src[r, c] for a rows × cols block.
@inline(__always)
func transposeBlock(_ src: UnsafePointer<Float>, _ lds: Int, rows: Int, cols: Int,
                    _ dst: UnsafeMutablePointer<Float>, _ ldd: Int) {
    var r0 = 0
    while r0 < rows {
        let r1 = min(rows, r0 + 8)
        for c in 0..<cols {
            let q = dst + c * ldd
            for r in r0..<r1 { q[r] = src[r * lds + c] }
        }
        r0 = r1
    }
}
