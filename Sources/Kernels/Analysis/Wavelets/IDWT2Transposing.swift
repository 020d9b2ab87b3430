/// The first inverse 2-D transform: each band is transposed into scratch, filtered along
/// its (now first) axis −1, transposed back and filtered along axis −2. Slower than
/// `SynthesisRows` (four transposes per map), kept as the reference the tests hold the
/// fast paths to (`SynthesisRows.enabled = false` selects it).
func transposingIDWT2(_ ptrs: [BandPointer?], maps: Int, n1: Int, n2: Int,
                      rows: FilterPass, cols: FilterPass, _ po: UnsafeMutablePointer<Float>) throws {
    let r1 = rows.outputs, r2 = cols.outputs
    let inSize = n1 * n2, mid = n1 * r2
    try Chunked.run("idwt2", count: maps, block: Chunked.blockSize(perItem: r1 * r2)) { lo, hi in
        Scratch.with(4 * inSize + 4 * mid + n1 + r2) { s in
            let tb = (0..<4).map { s + $0 * inSize }          // transposed bands
            let at = s + 4 * inSize, dt = at + mid, a = dt + mid, d = a + mid, tmp = d + mid
            for m in lo..<hi {
                var t: [UnsafePointer<Float>?] = [nil, nil, nil, nil]
                for b in 0..<4 {
                    if let p = ptrs[b] {
                        transposeBlock(p.row(m, 0), p.rowStride, rows: n1, cols: n2, tb[b], n1)
                        t[b] = UnsafePointer(tb[b])
                    }
                }
                // along axis −1: cA with cV gives the low rows, cH with cD the high rows
                let hasA = t[0] != nil || t[2] != nil, hasD = t[1] != nil || t[3] != nil
                if hasA {
                    cols.synthesize(t[0], t[2], n1, cols: n1, at, n1, tmp: tmp)
                    transposeBlock(at, n1, rows: r2, cols: n1, a, r2)
                }
                if hasD {
                    cols.synthesize(t[1], t[3], n1, cols: n1, dt, n1, tmp: tmp)
                    transposeBlock(dt, n1, rows: r2, cols: n1, d, r2)
                }
                // along axis −2
                rows.synthesize(hasA ? UnsafePointer(a) : nil, hasD ? UnsafePointer(d) : nil, r2, cols: r2,
                                po + m * r1 * r2, r2, tmp: tmp)
            }
        }
    }
}
