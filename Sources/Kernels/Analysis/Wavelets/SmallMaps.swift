/// The 2-D transform of small maps (a few pixels per side, as deep CNN layers give),
/// eight maps at a time: the eight maps are interleaved into one block whose every
/// pixel is a SIMD8 (lane = map), both axes are then filtered with the tap tables of
/// `FilterPass` (the same taps in the same order, so the sums are the same), and the
/// bands are de-interleaved. No per-row boundary work, no per-map scratch set-up: what
/// made the row-by-row path slow on 8×8 maps. A last group of fewer than eight maps
/// leaves its spare lanes zero.
struct SmallMapTransform {
    typealias V = SIMD8<Float>
    static let lanes = 8

    /// Whether maps of `h` × `w` (inputs of an analysis, bands of a synthesis) go this way:
    /// narrow maps, where the row-wise path fills few of its eight lanes.
    static func applies(h: Int, w: Int) -> Bool { enabled && w <= 16 && h * w <= 512 }

    /// Off: every size goes row by row (tests compare the two paths).
    nonisolated(unsafe) static var enabled = true

    /// Analysis along the rows axis of an interleaved `rows` × `cols` block:
    /// a[o, c] = Σ lo·x[row, c], d[o, c] = Σ hi·x[row, c] over output o's taps.
    @inline(__always)
    static func analyzeRows(_ t: FilterPass, _ x: UnsafePointer<V>, cols: Int, strideRow: Int, strideCol: Int,
                            _ a: UnsafeMutablePointer<V>, _ d: UnsafeMutablePointer<V>, outRow: Int, outCol: Int) {
        t.start.withUnsafeBufferPointer { start in
            t.coef.withUnsafeBufferPointer { coef in
                t.row.withUnsafeBufferPointer { row in
                    t.lo.withUnsafeBufferPointer { lo in
                        t.hi.withUnsafeBufferPointer { hi in
                            for o in 0..<(start.count - 1) {
                                for c in 0..<cols {
                                    var sa = V(), sd = V()
                                    for k in start[o]..<start[o + 1] {
                                        let v = x[row[k] * strideRow + c * strideCol]
                                        sa += lo[coef[k]] * v
                                        sd += hi[coef[k]] * v
                                    }
                                    a[o * outRow + c * outCol] = sa
                                    d[o * outRow + c * outCol] = sd
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Synthesis along one axis of interleaved blocks, a pair of outputs at a time
    /// (`SynthesisPairs`: both outputs from the same coefficients, `FilterPass.synthesize`'s
    /// sums in its order; a nil band counts as zeros). `src` is `pairs.sources`. Filters of
    /// up to 8 taps (4 per output: haar to db4) run with the pair's rows and coefficients in
    /// registers (`pairTaps`, the tap count a constant); longer ones read them per column.
    @inline(__always)
    static func synthesizePairs(_ p: SynthesisPairs, _ src: [Int], _ a: UnsafePointer<V>?, _ d: UnsafePointer<V>?, cols: Int,
                                strideRow: Int, strideCol: Int, _ out: UnsafeMutablePointer<V>, outRow: Int, outCol: Int) {
        let half = p.half
        src.withUnsafeBufferPointer { src in
        p.loE.withUnsafeBufferPointer { loE in
        p.loO.withUnsafeBufferPointer { loO in
        p.hiE.withUnsafeBufferPointer { hiE in
        p.hiO.withUnsafeBufferPointer { hiO in
            let taps = Taps(loE: loE, loO: loO, hiE: hiE, hiO: hiO)
            for k in 0..<p.pairs {
                let ye = out + p.even(k) * outRow, yo = out + p.odd(k) * outRow, s = src.baseAddress! + k * half
                switch half {
                case 1: pairTaps(1, taps, s, a, d, cols: cols, strideRow: strideRow, strideCol: strideCol, ye, yo, outCol: outCol)
                case 2: pairTaps(2, taps, s, a, d, cols: cols, strideRow: strideRow, strideCol: strideCol, ye, yo, outCol: outCol)
                case 3: pairTaps(3, taps, s, a, d, cols: cols, strideRow: strideRow, strideCol: strideCol, ye, yo, outCol: outCol)
                case 4: pairTaps(4, taps, s, a, d, cols: cols, strideRow: strideRow, strideCol: strideCol, ye, yo, outCol: outCol)
                default:
                    for c in 0..<cols {
                        var se = V(), so = V()
                        if let a {
                            for j in 0..<half {
                                let v = a[s[j] * strideRow + c * strideCol]
                                se += loE[j] * v
                                so += loO[j] * v
                            }
                        }
                        if let d {
                            var te = V(), to = V()
                            for j in 0..<half {
                                let v = d[s[j] * strideRow + c * strideCol]
                                te += hiE[j] * v
                                to += hiO[j] * v
                            }
                            se += te
                            so += to
                        }
                        ye[c * outCol] = se
                        yo[c * outCol] = so
                    }
                }
            }
        }}}}}
    }

    /// The even and odd taps of the reconstruction filters.
    struct Taps {
        let loE: UnsafeBufferPointer<Float>, loO: UnsafeBufferPointer<Float>
        let hiE: UnsafeBufferPointer<Float>, hiO: UnsafeBufferPointer<Float>
    }

    /// One pair of output rows from `n` (≤ 4) taps: the taps' source rows and coefficients
    /// read once into registers, then every column summed as `synthesizePairs` sums it.
    @inline(__always)
    static func pairTaps(_ n: Int, _ t: Taps, _ s: UnsafePointer<Int>, _ a: UnsafePointer<V>?, _ d: UnsafePointer<V>?,
                         cols: Int, strideRow: Int, strideCol: Int,
                         _ ye: UnsafeMutablePointer<V>, _ yo: UnsafeMutablePointer<V>, outCol: Int) {
        var row = SIMD4<Int>(), le = SIMD4<Float>(), lo = SIMD4<Float>(), he = SIMD4<Float>(), ho = SIMD4<Float>()
        for j in 0..<n { row[j] = s[j] * strideRow; le[j] = t.loE[j]; lo[j] = t.loO[j]; he[j] = t.hiE[j]; ho[j] = t.hiO[j] }
        for c in 0..<cols {
            var se = V(), so = V()
            if let a {
                let q = a + c * strideCol
                for j in 0..<n {
                    let v = q[row[j]]
                    se += le[j] * v
                    so += lo[j] * v
                }
            }
            if let d {
                let q = d + c * strideCol
                var te = V(), to = V()
                for j in 0..<n {
                    let v = q[row[j]]
                    te += he[j] * v
                    to += ho[j] * v
                }
                se += te
                so += to
            }
            ye[c * outCol] = se
            yo[c * outCol] = so
        }
    }

    /// dwt2 of `maps` maps of h × w at `src` into the four band buffers (h2 × w2 each per map).
    static func dwt2(_ src: UnsafePointer<Float>, maps: Int, h: Int, w: Int, rows: FilterPass, cols: FilterPass,
                     _ ll: UnsafeMutablePointer<Float>, _ lh: UnsafeMutablePointer<Float>,
                     _ hl: UnsafeMutablePointer<Float>, _ hh: UnsafeMutablePointer<Float>) throws {
        let h2 = rows.outputs, w2 = cols.outputs, inSize = h * w, outSize = h2 * w2
        let groups = (maps + lanes - 1) / lanes
        try Chunked.run("dwt2", count: groups, block: Chunked.blockSize(perItem: lanes * inSize)) { lo, hi in
            Scratch.with(inSize + 2 * h2 * w + 4 * outSize, of: V.self) { scratch in
                let x = scratch, ea = x + inSize, ed = ea + h2 * w
                let bands = [ed + h2 * w, ed + h2 * w + outSize, ed + h2 * w + 2 * outSize, ed + h2 * w + 3 * outSize]
                for g in lo..<hi {
                    let m0 = g * lanes, count = min(lanes, maps - m0)
                    interleave(src, m0, count, inSize, x)
                    // along axis −2 (rows of the map), every column
                    analyzeRows(rows, x, cols: w, strideRow: w, strideCol: 1, ea, ed, outRow: w, outCol: 1)
                    // along axis −1: cA, cV from the low rows, cH, cD from the high rows
                    analyzeRows(cols, ea, cols: h2, strideRow: 1, strideCol: w, bands[0], bands[2], outRow: 1, outCol: w2)
                    analyzeRows(cols, ed, cols: h2, strideRow: 1, strideCol: w, bands[1], bands[3], outRow: 1, outCol: w2)
                    deinterleave(bands[0], m0, count, outSize, ll)
                    deinterleave(bands[1], m0, count, outSize, lh)
                    deinterleave(bands[2], m0, count, outSize, hl)
                    deinterleave(bands[3], m0, count, outSize, hh)
                }
            }
        }
    }

    /// idwt2 of `maps` band sets of n1 × n2 (nil bands are zeros) into r1 × r2 maps at `out`.
    static func idwt2(_ bands: [BandPointer?], maps: Int, n1: Int, n2: Int, rows: SynthesisPairs, cols: SynthesisPairs,
                      _ out: UnsafeMutablePointer<Float>) throws {
        let r1 = rows.outputs, r2 = cols.outputs, inSize = n1 * n2, outSize = r1 * r2
        let groups = (maps + lanes - 1) / lanes
        let hasA = bands[0] != nil || bands[2] != nil, hasD = bands[1] != nil || bands[3] != nil
        let rowSrc = rows.sources, colSrc = cols.sources
        try Chunked.run("idwt2", count: groups, block: Chunked.blockSize(perItem: lanes * outSize)) { lo, hi in
            Scratch.with(4 * inSize + 2 * n1 * r2 + outSize, of: V.self) { scratch in
                let a = scratch + 4 * inSize, d = a + n1 * r2, y = d + n1 * r2
                // the interleaved band blocks (nil where a band is not given)
                let t = (0..<4).map { bands[$0] == nil ? nil : UnsafePointer(scratch + $0 * inSize) }
                for g in lo..<hi {
                    let m0 = g * lanes, count = min(lanes, maps - m0)
                    // the next group's output lines, owned before its stores come (without: the
                    // stores wait on memory; 1 thread, 128×256 8×8 maps: 1.1–1.4×, `--ab prefetch`)
                    if g + 1 < hi {
                        let next = m0 + lanes, bytes = min(lanes, maps - next) * outSize * MemoryLayout<Float>.stride
                        var ahead = PrefetchStream(out + next * outSize, bytes: bytes, steps: 1, write: true)
                        ahead.step()
                    }
                    for k in 0..<4 {
                        if let p = bands[k] {
                            interleave(p.p, m0, count, rows: n1, cols: n2, rowStride: p.rowStride, mapStride: p.mapStride, scratch + k * inSize)
                        }
                    }
                    // along axis −1: cA with cV gives the low rows, cH with cD the high rows
                    if hasA { synthesizePairs(cols, colSrc, t[0], t[2], cols: n1, strideRow: 1, strideCol: n2, a, outRow: 1, outCol: r2) }
                    if hasD { synthesizePairs(cols, colSrc, t[1], t[3], cols: n1, strideRow: 1, strideCol: n2, d, outRow: 1, outCol: r2) }
                    // along axis −2
                    synthesizePairs(rows, rowSrc, hasA ? UnsafePointer(a) : nil, hasD ? UnsafePointer(d) : nil, cols: r2,
                                    strideRow: r2, strideCol: 1, y, outRow: r2, outCol: 1)
                    deinterleave(y, m0, count, outSize, out)
                }
            }
        }
    }
}
