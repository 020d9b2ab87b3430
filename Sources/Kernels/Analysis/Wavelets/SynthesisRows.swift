import Tensor

/// The inverse 2-D transform row by row, as the forward runs: each band row pair is
/// synthesised along the contiguous axis straight into a low (cA with cV) and a high
/// (cH with cD) intermediate of the map (`RowSynthesis`, no transposes), then the output
/// rows are summed from those in pairs, eight columns at a time (`ColumnSynthesis`).
/// The same taps in the same order as `transposingIDWT2`, so the same values.
public enum SynthesisRows {
    /// Off: maps that are not small go through `transposingIDWT2` (tests compare the two).
    nonisolated(unsafe) static var enabled = true
    /// Off: every band row is copied into a buffer just before its run, as before
    /// (`topiary bench dwt --ab synthesis-in-place`). The same values either way.
    nonisolated(unsafe) public static var readsInPlace = true

    /// idwt2 of `maps` band sets of n1 × n2 (nil bands are zeros) into
    /// r1 × r2 maps at `out`.
    static func idwt2(_ bands: [BandPointer?], maps: Int, n1: Int, n2: Int,
                      _ w: Wavelet, _ mode: WaveletMode, _ out: UnsafeMutablePointer<Float>) throws {
        let rs = RowSynthesis(n2, w, mode), cs = ColumnSynthesis(n1, w, mode)
        let r1 = cs.outputs, r2 = rs.outputs, ld = rs.rowStride, mid = n1 * ld
        let buf = rs.bufferSize
        let hasA = bands[0] != nil || bands[2] != nil, hasD = bands[1] != nil || bands[3] != nil
        // rows are copied to buffers (when they must be) a group at a time, all before the
        // group's runs, so a copy's stores have drained before `run` loads them
        let copiesEveryRow = !readsInPlace
        let group = copiesEveryRow || rs.inPlace ? 1 : min(n1, 8)
        let ends = bands.map { $0.map { $0.row(maps - 1, n1 - 1) + n2 } }
        /// Whether band row `x` (of the band ending at `end`) is read where it lies: one
        /// rule for the copies and the runs.
        @inline(__always) func inPlace(_ x: UnsafePointer<Float>, _ end: UnsafePointer<Float>) -> Bool {
            !copiesEveryRow && rs.canReadInPlace(x, end: end)
        }
        try Scratch.check(2 * mid + 4 * group * buf, of: Float.self, "idwt2")
        try Chunked.run("idwt2", count: maps, block: Chunked.blockSize(perItem: r1 * r2)) { lo, hi in
            // zeroed once: a band that is not given keeps zero row buffers
            Scratch.with(2 * mid + 4 * group * buf, zeroed: true) { s in
                let a = s, d = s + mid, rb = d + mid      // then band b's group row r at rb + (b·group + r)·buf
                let la = hasA ? UnsafePointer(a) : nil, ld2 = hasD ? UnsafePointer(d) : nil
                for m in lo..<hi {
                    var k0 = 0
                    while k0 < n1 {
                        let rows = min(group, n1 - k0)
                        for b in 0..<4 {
                            guard let p = bands[b], let end = ends[b] else { continue }
                            for r in 0..<rows where !inPlace(p.row(m, k0 + r), end) {
                                rs.load(p.row(m, k0 + r), into: rb + (b * group + r) * buf)
                            }
                        }
                        for r in 0..<rows {
                            /// Band b's row k0 + r, where `run` reads it (a band not given: zeros).
                            func row(_ b: Int) -> UnsafePointer<Float> {
                                let buffer = UnsafePointer(rb + (b * group + r) * buf)
                                guard let p = bands[b], let end = ends[b] else { return buffer }
                                let x = p.row(m, k0 + r)
                                return inPlace(x, end) ? x : buffer
                            }
                            if hasA { rs.run(row(0), row(2), a + (k0 + r) * ld) }
                            if hasD { rs.run(row(1), row(3), d + (k0 + r) * ld) }
                        }
                        k0 += rows
                    }
                    let y = out + m * r1 * r2
                    for k in 0..<cs.p.pairs { cs.run(pair: k, la, ld2, ld, cols: r2, y, r2) }
                }
            }
        }
    }
}
