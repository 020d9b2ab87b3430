/// How PyWavelets' upsampling convolution pairs its outputs: output pair k (even, odd)
/// is made from the same coefficients, even = Σ_j f[2j]·x̃[k + base − j] and odd =
/// Σ_j f[2j + 1]·x̃[k + base − j] for j < F/2, summed in that order (`TapTable.synthesis`'s
/// order). x̃ wraps around for periodization; the other modes only use the valid part.
/// Pair k lands at outputs 2k + shift and 2k + shift + 1, the last odd one wrapping to 0
/// when shift is 1 (periodization with an even F/2).
struct SynthesisPairs {
    /// Coefficients in, samples out, pairs computed, taps per output.
    let count: Int, outputs: Int, pairs: Int, base: Int, shift: Int, half: Int
    let periodic: Bool
    /// The even and odd taps of the reconstruction filters.
    let loE: [Float], loO: [Float], hiE: [Float], hiO: [Float]

    init(_ n: Int, _ w: Wavelet, _ mode: WaveletMode) {
        let f = w.length
        half = f / 2
        count = n
        outputs = mode.reconstructedCount(n, filterLength: f)
        periodic = mode == .periodization
        if periodic {
            pairs = n; base = f / 4; shift = half % 2 == 0 ? 1 : 0
        } else {
            pairs = max(0, n - half + 1); base = half - 1; shift = 0
        }
        loE = stride(from: 0, to: f, by: 2).map { w.recLo[$0] }
        loO = stride(from: 1, to: f, by: 2).map { w.recLo[$0] }
        hiE = stride(from: 0, to: f, by: 2).map { w.recHi[$0] }
        hiO = stride(from: 1, to: f, by: 2).map { w.recHi[$0] }
    }

    /// The coefficient read by tap j of pair k.
    func source(_ k: Int, _ j: Int) -> Int {
        let p = k + base - j
        return periodic ? ((p % count) + count) % count : p
    }

    /// Sources of every pair's taps, pair-major (pairs × half).
    var sources: [Int] { (0..<pairs).flatMap { k in (0..<half).map { source(k, $0) } } }

    /// Where the even and the odd output of pair k go.
    func even(_ k: Int) -> Int { 2 * k + shift }
    func odd(_ k: Int) -> Int { (2 * k + shift + 1) % outputs }
}
