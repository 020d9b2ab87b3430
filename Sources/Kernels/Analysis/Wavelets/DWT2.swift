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
}
