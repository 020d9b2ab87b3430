import Tensor

extension Tensor {
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
        let layouts = try [bands.ll, bands.lh, bands.hl, bands.hh].map { try $0.map(BandLayout.init) }
        let out = try Tensor(uninitialized: batch + [r1, r2])
        let po = out.ptr
        try Tensor.withFloats(layouts.map { $0?.tensor }) { ptrs in
            let p = (0..<4).map { b in ptrs[b].map { layouts[b]!.pointer($0) } }
            // small maps as the forward decides on its input: by the size of the map
            if SmallMapTransform.applies(h: r1, w: r2) {
                try SmallMapTransform.idwt2(p, maps: maps, n1: n1, n2: n2, rows: SynthesisPairs(n1, w, mode),
                                            cols: SynthesisPairs(n2, w, mode), po)
            } else if SynthesisRows.enabled {
                try SynthesisRows.idwt2(p, maps: maps, n1: n1, n2: n2, w, mode, po)
            } else {
                let rows = FilterPass(TapTable.synthesis(n1, f, mode), lo: w.recLo, hi: w.recHi)
                let cols = FilterPass(TapTable.synthesis(n2, f, mode), lo: w.recLo, hi: w.recHi)
                try transposingIDWT2(p, maps: maps, n1: n1, n2: n2, rows: rows, cols: cols, po)
            }
        }
        return out
    }
}
