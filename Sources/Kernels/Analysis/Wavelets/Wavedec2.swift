import Tensor

/// A multi-level 2-D decomposition, PyWavelets' `[cA_n, (cH_n, cV_n, cD_n), …,
/// (cH_1, cV_1, cD_1)]`: the coarsest approximation and the detail bands from the
/// coarsest level (first) to the finest (last). The `ll` of each detail entry is nil.
public struct WaveletDecomposition {
    public var approximation: Tensor
    public var details: [WaveletBands]
    public init(approximation: Tensor, details: [WaveletBands]) {
        self.approximation = approximation
        self.details = details
    }
}

extension Tensor {
    /// `pywt.wavedec2(x, wavelet, mode, level, axes=(-2, -1))`. A level deeper than
    /// `pywt.dwt2_max_level` (every coefficient then sees the boundary; PyWavelets only
    /// warns) is an error naming the maximum, unless `force` is set.
    public func wavedec2(_ w: Wavelet, level: Int, mode: WaveletMode = .symmetric,
                         force: Bool = false) throws -> WaveletDecomposition {
        guard dim >= 2 else {
            throw TensorError("wavedec2: expected a tensor with at least 2 dimensions (…, H, W), got \(shapeString(shape))")
        }
        let h = shape[dim - 2], wd = shape[dim - 1]
        guard level >= 0 && level <= 32 else { throw TensorError("wavedec2: level must be in 0...32, got \(level)") }
        let maxLevel = min(waveletMaxLevel(h, filterLength: w.length), waveletMaxLevel(wd, filterLength: w.length))
        if level > maxLevel && !force {
            throw TensorError("wavedec2: level \(level) is too high for \(h)x\(wd) maps with \(w.name) (maximum level \(maxLevel)); pass force = true to decompose anyway (all coefficients then feel the boundary)")
        }
        var a = self
        var details: [WaveletBands] = []
        for _ in 0..<level {
            var b = try a.dwt2(w, mode: mode)
            a = b.ll!
            b.ll = nil
            details.insert(b, at: 0)
        }
        return WaveletDecomposition(approximation: level == 0 ? try toFloat().contiguous() : a, details: details)
    }

    /// `pywt.waverec2`: inverts `wavedec2` level by level, cropping an approximation
    /// that came out one larger than the next level's details (odd sizes), as
    /// PyWavelets does. The result can be one larger than an odd original.
    public static func waverec2(_ c: WaveletDecomposition, _ w: Wavelet, mode: WaveletMode = .symmetric) throws -> Tensor {
        var a = c.approximation
        for (i, d) in c.details.enumerated() {
            if i > 0, let ref = d.lh ?? d.hl ?? d.hh {
                let r = ref.dim, k = a.dim
                guard r >= 2, k >= 2 else {
                    throw TensorError("waverec2: bands need at least 2 dimensions, got \(shapeString(ref.shape))")
                }
                for (axis, refAxis) in [(k - 2, r - 2), (k - 1, r - 1)] where a.shape[axis] > ref.shape[refAxis] {
                    a = try a.narrow(axis, 0, ref.shape[refAxis])
                }
            }
            a = try Tensor.idwt2(WaveletBands(ll: a, lh: d.lh, hl: d.hl, hh: d.hh), w, mode: mode)
        }
        return a
    }
}
