/// The two inner passes of the row-wise inverse 2-D transform (`SynthesisRows`). Both
/// work on output pairs (`SynthesisPairs`) and keep `FilterPass.synthesize`'s sums (the
/// same taps in the same order, the low band's sum plus the high band's), so the values
/// equal the transposing path's.

/// Synthesis along the contiguous (last) axis, vectorised across output pairs: eight
/// pairs are summed in registers from one extended row buffer per band and stored
/// interleaved, so no transposes are needed.
struct RowSynthesis {
    typealias V = SIMD8<Float>
    let p: SynthesisPairs
    /// The extended row x̃ sits in a buffer with position 0 at index `pad`; `fill` lists
    /// the positions outside 0..<count and their source sample (periodization only).
    let pad: Int, fill: [(Int, Int)]
    /// Floats of one row buffer; floats per output row (room for the last block's
    /// whole-vector stores past `outputs`).
    let bufferSize: Int, rowStride: Int
    /// Whether `run` can read a band row where it lies (no extension to fill, no lane
    /// left of the row), and the floats it then reads from the row's start (more than
    /// `count` when the last vector of pairs is not full: its extra lanes only make
    /// outputs past `outputs`, never stored by the column pass).
    let inPlace: Bool, reach: Int
    var outputs: Int { p.outputs }

    init(_ n: Int, _ w: Wavelet, _ mode: WaveletMode) {
        p = SynthesisPairs(n, w, mode)
        let blocks = (p.pairs + 7) / 8 * 8
        pad = max(0, p.half - 1 - p.base)
        let last = blocks - 1 + p.base                    // the highest position a lane reads
        if p.periodic && n > 0 {
            let left = Array((p.base - p.half + 1)..<0), right = Array(n..<max(n, p.pairs + p.base))
            fill = (left + right).map { ($0, (($0 % n) + n) % n) }
        } else {
            fill = []
        }
        bufferSize = pad + max(last, n) + 1
        rowStride = 2 * blocks + 8
        inPlace = fill.isEmpty && pad == 0 && p.base - p.half + 1 >= 0
        reach = last + 1
    }

    /// Copies a row of `count` coefficients into its buffer and fills the extension.
    @inline(__always)
    func load(_ x: UnsafePointer<Float>, into buffer: UnsafeMutablePointer<Float>) {
        let row = buffer + pad
        row.update(from: x, count: p.count)
        for (k, s) in fill { row[k] = row[s] }
    }

    /// Whether `run` reads band row `x` where it lies, not from a buffer: when it may and
    /// all it reads lies before `end` (the band's last row's end). Copying every row had
    /// cost more than the synthesis itself: `run`'s loads met the copy's stores still in
    /// flight, which store-to-load forwarding serves slowly.
    @inline(__always)
    func canReadInPlace(_ x: UnsafePointer<Float>, end: UnsafePointer<Float>) -> Bool {
        inPlace && x + reach <= end
    }

    /// out[…] = synthesis of the low band row in `la` with the high band row in `ha`
    /// (buffers filled by `load`; a band never loaded stays zero). Writes up to
    /// `rowStride` floats.
    @inline(__always)
    func run(_ la: UnsafePointer<Float>, _ ha: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        let a = la + pad + p.base, d = ha + pad + p.base, pairs = p.pairs, half = p.half, shift = p.shift
        p.loE.withUnsafeBufferPointer { loE in
        p.loO.withUnsafeBufferPointer { loO in
        p.hiE.withUnsafeBufferPointer { hiE in
        p.hiO.withUnsafeBufferPointer { hiO in
            var k = 0
            while k < pairs {
                var se = V(), so = V(), te = V(), to = V()
                for j in 0..<half {
                    let v = UnsafeRawPointer(a + k - j).loadUnaligned(as: V.self)
                    se += loE[j] * v
                    so += loO[j] * v
                }
                for j in 0..<half {
                    let v = UnsafeRawPointer(d + k - j).loadUnaligned(as: V.self)
                    te += hiE[j] * v
                    to += hiO[j] * v
                }
                let e = se + te, o = so + to
                let z0 = V(e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3])
                let z1 = V(e[4], o[4], e[5], o[5], e[6], o[6], e[7], o[7])
                let q = UnsafeMutableRawPointer(out + 2 * k + shift)
                q.storeBytes(of: z0, as: V.self)
                q.storeBytes(of: z1, toByteOffset: 32, as: V.self)
                k += 8
            }
        }}}}
        if shift == 1 && pairs > 0 { out[0] = out[2 * pairs] }
    }
}

/// Synthesis along the rows axis (−2) of the low and high intermediates, vectorised
/// across columns: output rows even(k) and odd(k) of pair k from the same input rows
/// (a nil side counts as zeros).
struct ColumnSynthesis {
    typealias V = SIMD8<Float>
    let p: SynthesisPairs, src: [Int]
    var outputs: Int { p.outputs }

    init(_ n: Int, _ w: Wavelet, _ mode: WaveletMode) {
        p = SynthesisPairs(n, w, mode)
        src = p.sources
    }

    /// Pair k's two output rows (`cols` floats, rows `ldo` apart at `out`) from rows
    /// `lds` floats apart, which must be readable up to the next multiple of 8 columns.
    @inline(__always)
    func run(pair k: Int, _ a: UnsafePointer<Float>?, _ d: UnsafePointer<Float>?, _ lds: Int, cols: Int,
             _ out: UnsafeMutablePointer<Float>, _ ldo: Int) {
        let half = p.half, ye = out + p.even(k) * ldo, yo = out + p.odd(k) * ldo
        src.withUnsafeBufferPointer { src in
        p.loE.withUnsafeBufferPointer { loE in
        p.loO.withUnsafeBufferPointer { loO in
        p.hiE.withUnsafeBufferPointer { hiE in
        p.hiO.withUnsafeBufferPointer { hiO in
            let s0 = k * half
            var c = 0
            while c < cols {
                var se = V(), so = V()
                if let a {
                    for j in 0..<half {
                        let v = UnsafeRawPointer(a + src[s0 + j] * lds + c).loadUnaligned(as: V.self)
                        se += loE[j] * v
                        so += loO[j] * v
                    }
                }
                if let d {
                    var te = V(), to = V()
                    for j in 0..<half {
                        let v = UnsafeRawPointer(d + src[s0 + j] * lds + c).loadUnaligned(as: V.self)
                        te += hiE[j] * v
                        to += hiO[j] * v
                    }
                    se += te
                    so += to
                }
                if c + 8 <= cols {
                    UnsafeMutableRawPointer(ye + c).storeBytes(of: se, as: V.self)
                    UnsafeMutableRawPointer(yo + c).storeBytes(of: so, as: V.self)
                } else {
                    for l in 0..<(cols - c) { ye[c + l] = se[l]; yo[c + l] = so[l] }
                }
                c += 8
            }
        }}}}}
    }
}
