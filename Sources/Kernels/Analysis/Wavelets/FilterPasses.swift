/// Layout switches of the wavelet passes (`bench --ab dwt-blocked`, `lane-transpose`); the same bits either way.
public enum WaveletPasses {
    /// The column pass takes 32 columns a tap and the row pass 16 outputs a tap (each tap's
    /// row and coefficients read once), and a row's pad is a whole vector (true), or 8
    /// columns / outputs a tap with the narrowest even pad (false).
    nonisolated(unsafe) public static var blocked = true
    /// Small maps move in and out of `SmallMapTransform`'s lane blocks eight pixels of eight
    /// maps at a time through an 8 × 8 transpose (true), or one float at a time (false).
    nonisolated(unsafe) public static var lanesTransposed = true
}

/// The inner loops of the 2-D wavelet transform. Both filter along the first (row)
/// axis of a small row-major matrix, vectorised across its columns; the other axis is
/// handled by transposing into scratch. Sums run over the taps in PyWavelets' order.
struct FilterPass {
    let start: [Int], coef: [Int], row: [Int]
    let lo: [Float], hi: [Float]
    /// `WaveletPasses.blocked` when the pass was made.
    let blocked = WaveletPasses.blocked

    init(_ t: TapTable, lo: [Float], hi: [Float]) {
        start = t.start; coef = t.coef; row = t.row
        self.lo = lo; self.hi = hi
    }

    var outputs: Int { start.count - 1 }

    /// Analysis of output row o: pa[:] = Σ lo[coef]·src[row, :], pd[:] = Σ hi[coef]·src[row, :],
    /// eight columns at a time with the sums in registers.
    @inline(__always)
    func analyze(row o: Int, _ src: UnsafePointer<Float>, _ lds: Int, cols: Int,
                 _ pa: UnsafeMutablePointer<Float>, _ pd: UnsafeMutablePointer<Float>) {
        let t0 = start[o], t1 = start[o + 1]
        var c = 0
        while blocked && c + 32 <= cols {   // 32 columns a tap: its row and coefficients read once
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var d0 = SIMD8<Float>(), d1 = SIMD8<Float>(), d2 = SIMD8<Float>(), d3 = SIMD8<Float>()
            for t in t0..<t1 {
                let p = UnsafeRawPointer(src + row[t] * lds + c), fl = lo[coef[t]], fh = hi[coef[t]]
                let v0 = p.loadUnaligned(as: SIMD8<Float>.self), v1 = p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                let v2 = p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), v3 = p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
                a0 += fl * v0; a1 += fl * v1; a2 += fl * v2; a3 += fl * v3
                d0 += fh * v0; d1 += fh * v1; d2 += fh * v2; d3 += fh * v3
            }
            let qa = UnsafeMutableRawPointer(pa + c), qd = UnsafeMutableRawPointer(pd + c)
            qa.storeBytes(of: a0, as: SIMD8<Float>.self); qa.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self)
            qa.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self); qa.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self)
            qd.storeBytes(of: d0, as: SIMD8<Float>.self); qd.storeBytes(of: d1, toByteOffset: 32, as: SIMD8<Float>.self)
            qd.storeBytes(of: d2, toByteOffset: 64, as: SIMD8<Float>.self); qd.storeBytes(of: d3, toByteOffset: 96, as: SIMD8<Float>.self)
            c += 32
        }
        while c + 8 <= cols {
            var sa = SIMD8<Float>(), sd = SIMD8<Float>()
            for t in t0..<t1 {
                let v = UnsafeRawPointer(src + row[t] * lds + c).loadUnaligned(as: SIMD8<Float>.self)
                sa += lo[coef[t]] * v
                sd += hi[coef[t]] * v
            }
            UnsafeMutableRawPointer(pa + c).storeBytes(of: sa, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(pd + c).storeBytes(of: sd, as: SIMD8<Float>.self)
            c += 8
        }
        while c < cols {
            var sa: Float = 0, sd: Float = 0
            for t in t0..<t1 {
                let v = src[row[t] * lds + c]
                sa += lo[coef[t]] * v
                sd += hi[coef[t]] * v
            }
            pa[c] = sa; pd[c] = sd
            c += 1
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

/// Analysis along the contiguous (last) axis, vectorised across outputs: a row sits in
/// a padded buffer, its boundary extension is filled in place, and output o is
/// Σ_j f[j]·ext[first + 2o − j]. The row is split into its even and odd samples first,
/// so each tap reads eight consecutive values of one of them.
struct RowAnalysis {
    let outputs: Int, first: Int, pad: Int, taps: Int
    let fill: [(Int, Int)]          // (position, source position or −1 for zero)
    let lo: [Float], hi: [Float]
    /// Floats of row buffer (`pad` + the row + its right extension) and of the even and
    /// odd halves that follow it; `scratchSize` in all.
    let rowSize: Int, halfSize: Int
    var scratchSize: Int { rowSize + 2 * halfSize }
    /// `WaveletPasses.blocked` when the pass was made (the pad and the run agree on it).
    let blocked = WaveletPasses.blocked

    init(_ n: Int, _ w: Wavelet, _ mode: WaveletMode) {
        let f = w.length
        taps = f
        outputs = mode.coefficientCount(n, filterLength: f)
        first = mode == .periodization ? f / 2 : 1
        // even, so positions keep their parity; blocked: a whole vector, so the even/odd split
        // reads what the column pass stored whole (a load straddling two stores waits for both)
        pad = blocked ? (f + 7) / 8 * 8 : f + f % 2
        lo = w.decLo; hi = w.decHi
        let last = first + 2 * (outputs - 1)
        fill = (Array(-(f - 1)..<0) + Array(n..<max(n, last + 1))).map { ($0, mode.source($0, n) ?? -1) }
        rowSize = pad + max(n, last + 1) + 1
        halfSize = rowSize / 2 + 16
    }

    /// Fills the extension of the row at scratch + pad and writes the low/high outputs.
    @inline(__always)
    func run(_ scratch: UnsafeMutablePointer<Float>, _ a: UnsafeMutablePointer<Float>, _ d: UnsafeMutablePointer<Float>) {
        let row = scratch + pad
        for (k, s) in fill { row[k] = s >= 0 ? row[s] : 0 }
        let even = scratch + rowSize, odd = even + halfSize
        for i in 0..<(rowSize / 2) { even[i] = scratch[2 * i]; odd[i] = scratch[2 * i + 1] }
        var o = 0
        while blocked && o + 16 <= outputs {   // 16 outputs a tap: its half row and coefficients read once
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), d0 = SIMD8<Float>(), d1 = SIMD8<Float>()
            for j in 0..<taps {
                let p = pad + first - j + 2 * o
                let src = UnsafeRawPointer((p % 2 == 0 ? even : odd) + p / 2), fl = lo[j], fh = hi[j]
                let v0 = src.loadUnaligned(as: SIMD8<Float>.self), v1 = src.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                a0 += fl * v0; a1 += fl * v1
                d0 += fh * v0; d1 += fh * v1
            }
            let qa = UnsafeMutableRawPointer(a + o), qd = UnsafeMutableRawPointer(d + o)
            qa.storeBytes(of: a0, as: SIMD8<Float>.self); qa.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self)
            qd.storeBytes(of: d0, as: SIMD8<Float>.self); qd.storeBytes(of: d1, toByteOffset: 32, as: SIMD8<Float>.self)
            o += 16
        }
        while o < outputs {
            var sa = SIMD8<Float>(), sd = SIMD8<Float>()
            for j in 0..<taps {
                let p = pad + first - j + 2 * o           // ext position of output o's tap j
                let src = (p % 2 == 0 ? even : odd) + p / 2
                let v = UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Float>.self)
                sa += lo[j] * v
                sd += hi[j] * v
            }
            if o + 8 <= outputs {
                UnsafeMutableRawPointer(a + o).storeBytes(of: sa, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(d + o).storeBytes(of: sd, as: SIMD8<Float>.self)
            } else {
                for l in 0..<(outputs - o) { a[o + l] = sa[l]; d[o + l] = sd[l] }
            }
            o += 8
        }
    }
}
