import Tensor

/// The inverse 2-D transform row by row, as the forward runs: each band row pair is
/// synthesised along the contiguous axis straight into a low (cA with cV) and a high
/// (cH with cD) intermediate of the map (`RowSynthesis`, no transposes), then the output
/// rows are summed from those in pairs, eight columns at a time (`ColumnSynthesis`).
/// The same taps in the same order as `transposingIDWT2`, so the same values.
enum SynthesisRows {
    /// Off: maps that are not small go through `transposingIDWT2` (tests compare the two).
    nonisolated(unsafe) static var enabled = true

    /// idwt2 of `maps` band sets of n1 × n2 (nil bands are zeros) into
    /// r1 × r2 maps at `out`.
    static func idwt2(_ bands: [BandPointer?], maps: Int, n1: Int, n2: Int,
                      _ w: Wavelet, _ mode: WaveletMode, _ out: UnsafeMutablePointer<Float>) throws {
        let rs = RowSynthesis(n2, w, mode), cs = ColumnSynthesis(n1, w, mode)
        let r1 = cs.outputs, r2 = rs.outputs, ld = rs.rowStride, mid = n1 * ld
        let buf = rs.bufferSize
        let hasA = bands[0] != nil || bands[2] != nil, hasD = bands[1] != nil || bands[3] != nil
        try Scratch.check(2 * mid + 4 * buf, of: Float.self, "idwt2")
        try Chunked.run("idwt2", count: maps, block: Chunked.blockSize(perItem: r1 * r2)) { lo, hi in
            // zeroed once: a band that is not given keeps a zero row buffer
            Scratch.with(2 * mid + 4 * buf, zeroed: true) { s in
                let a = s, d = s + mid, rb = d + mid                // then the row buffers of cA, cH, cV, cD
                let la = hasA ? UnsafePointer(a) : nil, ld2 = hasD ? UnsafePointer(d) : nil
                for m in lo..<hi {
                    for k in 0..<n1 {
                        for b in 0..<4 { if let p = bands[b] { rs.load(p.row(m, k), into: rb + b * buf) } }
                        if hasA { rs.run(rb, rb + 2 * buf, a + k * ld) }
                        if hasD { rs.run(rb + buf, rb + 3 * buf, d + k * ld) }
                    }
                    let y = out + m * r1 * r2
                    for k in 0..<cs.p.pairs { cs.run(pair: k, la, ld2, ld, cols: r2, y, r2) }
                }
            }
        }
    }
}
