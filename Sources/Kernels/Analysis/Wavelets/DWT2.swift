import Tensor

/// The four sub-bands of a one-level 2-D DWT, PyWavelets' `cA, (cH, cV, cD)`:
/// `ll` = cA (low-pass along both axes), `lh` = cH (high-pass along the rows axis −2,
/// low-pass along −1), `hl` = cV (the reverse), `hh` = cD. A band may be nil when
/// passed to `idwt2` (it then counts as zeros).
public struct WaveletBands {
    public var ll, lh, hl, hh: Tensor?
    public init(ll: Tensor?, lh: Tensor?, hl: Tensor?, hh: Tensor?) {
        self.ll = ll; self.lh = lh; self.hl = hl; self.hh = hh
    }
}

extension Tensor {
    /// One level of the 2-D discrete wavelet transform over the last two dims, batched
    /// over the leading ones: `pywt.dwt2(x, wavelet, mode, axes=(-2, -1))`. Each band
    /// has the shape (…, h', w') with h' = ⌊(h + F − 1)/2⌋ (⌈h/2⌉ for periodization).
    public func dwt2(_ w: Wavelet, mode: WaveletMode = .symmetric) throws -> WaveletBands {
        guard dim >= 2 else {
            throw TensorError("dwt2: expected a tensor with at least 2 dimensions (…, H, W), got \(shapeString(shape))")
        }
        let h = shape[dim - 2], wd = shape[dim - 1], f = w.length
        guard h >= 1, wd >= 1 else { throw TensorError("dwt2: maps of size \(h)x\(wd) are empty") }
        if mode == .reflect && (h < 2 || wd < 2) {
            throw TensorError("dwt2: mode reflect needs maps of at least 2x2, got \(h)x\(wd)")
        }
        let x = try toFloat().contiguous()
        let h2 = mode.coefficientCount(h, filterLength: f), w2 = mode.coefficientCount(wd, filterLength: f)
        let batch = Array(shape.dropLast(2)), maps = batch.reduce(1, *)
        let out = try (0..<4).map { _ in try Tensor(uninitialized: batch + [h2, w2]) }
        let rows = FilterPass(TapTable.analysis(h, f, mode), lo: w.decLo, hi: w.decHi)
        let pll = out[0].ptr, plh = out[1].ptr, phl = out[2].ptr, phh = out[3].ptr
        if SmallMapTransform.applies(h: h, w: wd) {
            let cols = FilterPass(TapTable.analysis(wd, f, mode), lo: w.decLo, hi: w.decHi)
            try x.withFloats { src in
                try SmallMapTransform.dwt2(src, maps: maps, h: h, w: wd, rows: rows, cols: cols, pll, plh, phl, phh)
            }
            return WaveletBands(ll: out[0], lh: out[1], hl: out[2], hh: out[3])
        }
        let cols = RowAnalysis(wd, w, mode)
        let inSize = h * wd, outSize = h2 * w2, width = cols.scratchSize
        try x.withFloats { src in
            try Chunked.run("dwt2", count: maps, block: Chunked.blockSize(perItem: inSize)) { lo, hi in
                Scratch.with(2 * width, zeroed: true) { s in
                    let ea = s, ed = s + width
                    for m in lo..<hi {
                        let x = src + m * inSize
                        for o in 0..<h2 {
                            // along axis −2 into the padded row buffers, then along axis −1
                            rows.analyze(row: o, x, wd, cols: wd, ea + cols.pad, ed + cols.pad)
                            let r = m * outSize + o * w2
                            cols.run(ea, pll + r, phl + r)          // cA, cV
                            cols.run(ed, plh + r, phh + r)          // cH, cD
                        }
                    }
                }
            }
        }
        return WaveletBands(ll: out[0], lh: out[1], hl: out[2], hh: out[3])
    }

    /// The inverse of `dwt2`: `pywt.idwt2((cA, (cH, cV, cD)), wavelet, mode)`. All given
    /// bands must have the same shape (…, h, w); the result is (…, 2h − F + 2, 2w − F + 2)
    /// (2h × 2w for periodization), one larger than an odd original, as in PyWavelets.
    public static func idwt2(_ bands: WaveletBands, _ w: Wavelet, mode: WaveletMode = .symmetric) throws -> Tensor {
        let given = [bands.ll, bands.lh, bands.hl, bands.hh].compactMap { $0 }
        guard let first = given.first else { throw TensorError("idwt2: all four bands are nil") }
        let shape = first.shape
        for t in given where t.shape != shape {
            throw TensorError("idwt2: bands must all have the same shape, got \(shapeString(shape)) and \(shapeString(t.shape))")
        }
        guard shape.count >= 2 else {
            throw TensorError("idwt2: bands need at least 2 dimensions (…, H, W), got \(shapeString(shape))")
        }
        let n1 = shape[shape.count - 2], n2 = shape[shape.count - 1], f = w.length
        let need = mode == .periodization ? 1 : f / 2
        guard n1 >= need, n2 >= need else {
            throw TensorError("idwt2: bands of size \(n1)x\(n2) are too small for \(w.name) in mode \(mode.rawValue) (need at least \(need) per side)")
        }
        let r1 = mode.reconstructedCount(n1, filterLength: f), r2 = mode.reconstructedCount(n2, filterLength: f)
        let batch = Array(shape.dropLast(2)), maps = batch.reduce(1, *)
        let src = try [bands.ll, bands.lh, bands.hl, bands.hh].map { try $0.map { try $0.toFloat().contiguous() } }
        let out = try Tensor(uninitialized: batch + [r1, r2])
        let rows = FilterPass(TapTable.synthesis(n1, f, mode), lo: w.recLo, hi: w.recHi)
        let cols = FilterPass(TapTable.synthesis(n2, f, mode), lo: w.recLo, hi: w.recHi)
        let inSize = n1 * n2, mid = n1 * r2, po = out.ptr
        if SmallMapTransform.applies(h: n1, w: n2) {
            try Tensor.withFloats(src) { ptrs in
                try SmallMapTransform.idwt2(ptrs.map { $0.map { UnsafePointer($0) } }, maps: maps, n1: n1, n2: n2, rows: rows, cols: cols, po)
            }
            return out
        }
        try Tensor.withFloats(src) { ptrs in
            try Chunked.run("idwt2", count: maps, block: Chunked.blockSize(perItem: r1 * r2)) { lo, hi in
                Scratch.with(4 * inSize + 4 * mid + n1 + r2) { s in
                    let tb = (0..<4).map { s + $0 * inSize }          // transposed bands
                    let at = s + 4 * inSize, dt = at + mid, a = dt + mid, d = a + mid, tmp = d + mid
                    for m in lo..<hi {
                        var t: [UnsafePointer<Float>?] = [nil, nil, nil, nil]
                        for b in 0..<4 {
                            if let p = ptrs[b] {
                                transposeBlock(p + m * inSize, n2, rows: n1, cols: n2, tb[b], n1)
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
        return out
    }
}
