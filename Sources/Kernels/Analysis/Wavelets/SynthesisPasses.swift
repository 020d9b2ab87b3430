/// The two inner passes of the row-wise inverse 2-D transform (`SynthesisRows`). Both
/// keep `FilterPass.synthesize`'s sums (the same taps in the same order, the low band's
/// sum plus the high band's), so the values equal the transposing path's.

/// Synthesis along the contiguous (last) axis, vectorised across output pairs. PyWavelets'
/// upsampling convolution makes pair k of outputs (even, odd) from the same samples:
/// even = Σ_j f[2j]·x̃[k + base − j], odd = Σ_j f[2j + 1]·x̃[k + base − j] (x̃ wraps around
/// for periodization; the other modes only use the valid part). Eight pairs are summed
/// in registers and stored interleaved, so no transposes are needed.
struct RowSynthesis {
    typealias V = SIMD8<Float>
    /// Coefficients in, samples out per row; output pairs computed (pair k lands at
    /// 2k + shift and 2k + shift + 1, the last odd one wrapping to 0 when shift is 1).
    let count: Int, outputs: Int, pairs: Int, base: Int, shift: Int, half: Int
    /// The extended row x̃ sits in a buffer with position 0 at index `pad`; `fill` lists
    /// the positions outside 0..<count and their source sample (periodization only).
    let pad: Int, fill: [(Int, Int)]
    /// The even and odd taps of the reconstruction filters.
    let loE: [Float], loO: [Float], hiE: [Float], hiO: [Float]
    /// Floats of one row buffer; floats per output row (room for the last block's
    /// whole-vector stores past `outputs`).
    let bufferSize: Int, rowStride: Int

    init(_ n: Int, _ w: Wavelet, _ mode: WaveletMode) {
        let f = w.length
        half = f / 2
        count = n
        outputs = mode.reconstructedCount(n, filterLength: f)
        if mode == .periodization {
            pairs = n; base = f / 4; shift = half % 2 == 0 ? 1 : 0
        } else {
            pairs = max(0, n - half + 1); base = half - 1; shift = 0
        }
        let blocks = (pairs + 7) / 8 * 8
        pad = max(0, half - 1 - base)
        let last = blocks - 1 + base                      // the highest position a lane reads
        if mode == .periodization && n > 0 {
            let left = Array((base - half + 1)..<0), right = Array(n..<max(n, pairs + base))
            fill = (left + right).map { ($0, (($0 % n) + n) % n) }
        } else {
            fill = []
        }
        bufferSize = pad + max(last, n) + 1
        rowStride = 2 * blocks + 8
        loE = stride(from: 0, to: f, by: 2).map { w.recLo[$0] }
        loO = stride(from: 1, to: f, by: 2).map { w.recLo[$0] }
        hiE = stride(from: 0, to: f, by: 2).map { w.recHi[$0] }
        hiO = stride(from: 1, to: f, by: 2).map { w.recHi[$0] }
    }

    /// Copies a row of `count` coefficients into its buffer and fills the extension.
    @inline(__always)
    func load(_ x: UnsafePointer<Float>, into buffer: UnsafeMutablePointer<Float>) {
        let row = buffer + pad
        row.update(from: x, count: count)
        for (k, s) in fill { row[k] = row[s] }
    }

    /// out[…] = synthesis of the low band row in `la` with the high band row in `ha`
    /// (buffers filled by `load`; a band never loaded stays zero). Writes up to
    /// `rowStride` floats.
    @inline(__always)
    func run(_ la: UnsafePointer<Float>, _ ha: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        let a = la + pad + base, d = ha + pad + base
        loE.withUnsafeBufferPointer { loE in
        loO.withUnsafeBufferPointer { loO in
        hiE.withUnsafeBufferPointer { hiE in
        hiO.withUnsafeBufferPointer { hiO in
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
                let p = UnsafeMutableRawPointer(out + 2 * k + shift)
                p.storeBytes(of: z0, as: V.self)
                p.storeBytes(of: z1, toByteOffset: 32, as: V.self)
                k += 8
            }
        }}}}
        if shift == 1 && pairs > 0 { out[0] = out[2 * pairs] }
    }
}

/// Synthesis along the rows axis (−2) of the low and high intermediates, vectorised
/// across columns: out[o, :] = Σ lo[coef]·a[row, :] + Σ hi[coef]·d[row, :] over output
/// o's taps (a nil side counts as zeros).
struct ColumnSynthesis {
    typealias V = SIMD8<Float>
    let start: [Int], row: [Int], wlo: [Float], whi: [Float]

    init(_ t: TapTable, lo: [Float], hi: [Float]) {
        start = t.start; row = t.row
        wlo = t.coef.map { lo[$0] }; whi = t.coef.map { hi[$0] }
    }

    var outputs: Int { start.count - 1 }

    /// Output row o (`cols` floats at `out`) from rows `lds` floats apart, which must
    /// be readable up to the next multiple of 8 columns.
    @inline(__always)
    func run(_ o: Int, _ a: UnsafePointer<Float>?, _ d: UnsafePointer<Float>?, _ lds: Int, cols: Int,
             _ out: UnsafeMutablePointer<Float>) {
        start.withUnsafeBufferPointer { start in
        row.withUnsafeBufferPointer { row in
        wlo.withUnsafeBufferPointer { wlo in
        whi.withUnsafeBufferPointer { whi in
            let t0 = start[o], t1 = start[o + 1]
            var c = 0
            while c < cols {
                var s = V(), u = V()
                if let a {
                    for t in t0..<t1 { s += wlo[t] * UnsafeRawPointer(a + row[t] * lds + c).loadUnaligned(as: V.self) }
                }
                if let d {
                    for t in t0..<t1 { u += whi[t] * UnsafeRawPointer(d + row[t] * lds + c).loadUnaligned(as: V.self) }
                    s += u
                }
                if c + 8 <= cols {
                    UnsafeMutableRawPointer(out + c).storeBytes(of: s, as: V.self)
                } else {
                    for l in 0..<(cols - c) { out[c + l] = s[l] }
                }
                c += 8
            }
        }}}}
    }
}
