import Tensor

/// How a signal is extended past its ends before filtering: PyWavelets' modes of the
/// same names. `symmetric` (PyWavelets' default) mirrors with the edge sample repeated
/// (… x1 x0 | x0 x1 …), `reflect` mirrors without repeating it (… x2 x1 | x0 x1 …),
/// `periodic` wraps around, `constant` repeats the edge sample, `zero` pads with zeros.
/// `periodization` wraps too but returns exactly ⌈N/2⌉ coefficients (an odd signal is
/// first extended by repeating its last sample).
public enum WaveletMode: String, CaseIterable, Sendable {
    case symmetric, periodization, zero, reflect, periodic, constant

    /// The mode called `name`; the error lists the valid ones.
    public static func named(_ name: String, _ op: String = "wavelet") throws -> WaveletMode {
        guard let m = WaveletMode(rawValue: name) else {
            throw TensorError("\(op): unknown mode '\(name)' (valid: \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return m
    }

    /// Coefficients per axis of a signal of length n: ⌊(n + F − 1)/2⌋, or ⌈n/2⌉ for
    /// periodization (pywt.dwt_coeff_len).
    public func coefficientCount(_ n: Int, filterLength f: Int) -> Int {
        self == .periodization ? (n + 1) / 2 : (n + f - 1) / 2
    }

    /// Length reconstructed from n coefficients per axis: 2n − F + 2, or 2n for
    /// periodization (what pywt.idwt returns).
    public func reconstructedCount(_ n: Int, filterLength f: Int) -> Int {
        self == .periodization ? 2 * n : 2 * n - f + 2
    }

    /// The sample of a length-n signal standing at position k (any integer) once the
    /// signal is extended; nil where the extension is zero.
    func source(_ k: Int, _ n: Int) -> Int? {
        if k >= 0 && k < n { return k }
        switch self {
        case .zero: return nil
        case .constant: return k < 0 ? 0 : n - 1
        case .periodic: return ((k % n) + n) % n
        case .symmetric:
            let m = ((k % (2 * n)) + 2 * n) % (2 * n)
            return m < n ? m : 2 * n - 1 - m
        case .reflect:
            if n == 1 { return 0 }
            let p = 2 * n - 2, m = ((k % p) + p) % p
            return m < n ? m : p - m
        case .periodization:
            // period n + (n odd ? 1 : 0); the padded sample repeats x[n-1]
            let p = n + n % 2, m = ((k % p) + p) % p
            return min(m, n - 1)
        }
    }
}

/// Which input samples (and filter taps) make each output sample of a 1-D filtering
/// step along one axis: output o = Σ_t filter[coef[t]] · input[row[t]] for t in
/// start[o] ..< start[o + 1]. Built once per (length, wavelet, mode) and shared by
/// every map, so the inner loops have no boundary cases.
struct TapTable {
    var start: [Int] = [0]
    var coef: [Int] = []
    var row: [Int] = []
    var outputs: Int { start.count - 1 }

    mutating func add(_ c: Int, _ r: Int) { coef.append(c); row.append(r) }
    mutating func close() { start.append(coef.count) }

    /// Analysis (decomposition) along an axis of length n with a filter of length f:
    /// output o is Σ_j f[j]·x̃[i_o − j] with i_o = 2o + 1 (2o + f/2 for periodization),
    /// x̃ the extended signal — PyWavelets' downsampling convolution.
    static func analysis(_ n: Int, _ f: Int, _ mode: WaveletMode) -> TapTable {
        var t = TapTable()
        let first = mode == .periodization ? f / 2 : 1
        for o in 0..<mode.coefficientCount(n, filterLength: f) {
            let i = first + 2 * o
            for j in 0..<f { if let r = mode.source(i - j, n) { t.add(j, r) } }
            t.close()
        }
        return t
    }

    /// Synthesis (reconstruction) from n coefficients per axis: the even/odd outputs
    /// take the even/odd filter taps, as PyWavelets' upsampling convolution ("valid"
    /// part, or circular for periodization).
    static func synthesis(_ n: Int, _ f: Int, _ mode: WaveletMode) -> TapTable {
        var t = TapTable()
        let half = f / 2
        if mode == .periodization {
            let start = f / 4, shift = half % 2 == 0 ? 1 : 0
            for out in 0..<2 * n {
                let q = (out - shift + 2 * n) % (2 * n), p = q % 2, i = q / 2 + start
                for j in 0..<half { t.add(2 * j + p, ((i - j) % n + n) % n) }
                t.close()
            }
        } else {
            for o in 0..<max(0, n - half + 1) {
                let i = half - 1 + o
                for p in 0..<2 {
                    for j in 0..<half { t.add(2 * j + p, i - j) }
                    t.close()
                }
            }
        }
        return t
    }
}

/// pywt.dwt_max_level: the deepest level at which a length-n axis still gives every
/// coefficient at least one undistorted filter position, ⌊log2(n/(F−1))⌋ (0 if n < F−1).
public func waveletMaxLevel(_ n: Int, filterLength f: Int) -> Int {
    if f < 2 || n < f - 1 { return 0 }
    var level = 0, size = n / (f - 1)
    while size >= 2 { size /= 2; level += 1 }
    return level
}
