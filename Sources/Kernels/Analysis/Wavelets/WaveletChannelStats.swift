import CBLAS
import Foundation
import Tensor

/// Which detail bands make the high-frequency vector H of a multi-level decomposition.
public enum WaveletDetailBands: String, CaseIterable, Sendable {
    /// Every level's (LH, HL, HH), coarsest level first: with the approximation they hold
    /// all the coefficients (for an orthogonal wavelet in periodization mode, all the energy).
    case all
    /// Only the deepest level's (LH, HL, HH).
    case coarsest
}

/// Per-channel statistics of the 2-D wavelet bands of maps (N, C, H, W), summed over the
/// images so that batches add up (`add`): for image n and channel c, L = the level-`level`
/// approximation (LL, pywt's cA) and H = the detail bands concatenated (LH, HL, HH = pywt's
/// cH, cV, cD). FPWT's scores are made from these (PAPERS.md).
public struct WaveletChannelStats: Sendable {
    public let channels: Int
    /// Images summed so far.
    public var images: Int
    /// Σ_n cos(L_ni, L_nj) and Σ_n cos(H_ni, H_nj), C×C row-major (a zero vector has cosine 0
    /// with everything, itself included); empty unless similarities were asked for.
    public var cosLow: [Double], cosHigh: [Double]
    /// Σ_n ‖L_nc‖² and Σ_n ‖H_nc‖².
    public var energyLow: [Double], energyHigh: [Double]
    /// Σ_n ‖L_nc‖ and Σ_n ‖H_nc‖.
    public var normLow: [Double], normHigh: [Double]

    public init(channels: Int, similarity: Bool) {
        self.channels = channels
        images = 0
        let cc = similarity ? channels * channels : 0
        cosLow = Array(repeating: 0, count: cc); cosHigh = cosLow
        energyLow = Array(repeating: 0, count: channels)
        energyHigh = energyLow; normLow = energyLow; normHigh = energyLow
    }

    /// Adds another batch's statistics (same channel count and kind).
    public mutating func add(_ o: WaveletChannelStats) {
        images += o.images
        for k in cosLow.indices where k < o.cosLow.count { cosLow[k] += o.cosLow[k]; cosHigh[k] += o.cosHigh[k] }
        for c in 0..<min(channels, o.channels) {
            energyLow[c] += o.energyLow[c]; energyHigh[c] += o.energyHigh[c]
            normLow[c] += o.normLow[c]; normHigh[c] += o.normHigh[c]
        }
    }
}

extension Tensor {
    /// The wavelet statistics of every channel of (N, C, H, W) maps (see
    /// `WaveletChannelStats`): `wavedec2(w, level, mode)` of every map, then per image the
    /// band energies and norms and, with `similarity`, the channel-by-channel cosines of L
    /// and of H. Images are split over threads in fixed ranges; each normalises a few
    /// images' bands into scratch and adds their cosines with one SSYRK.
    public func waveletChannelStats(_ w: Wavelet, mode: WaveletMode = .symmetric, level: Int = 1,
                                    details: WaveletDetailBands = .all, similarity: Bool = true,
                                    force: Bool = false, _ op: String = "fpwt") throws -> WaveletChannelStats {
        guard dim == 4 else { throw TensorError("\(op): feature maps must be [N, C, H, W], got \(shapeString(shape))") }
        let n = shape[0], c = shape[1], h = shape[2], wd = shape[3]
        guard n > 0, c > 0, h > 0, wd > 0 else { throw TensorError("\(op): empty feature maps \(shapeString(shape))") }
        guard level >= 1 else { throw TensorError("\(op): level must be at least 1, got \(level)") }
        let maxLevel = min(waveletMaxLevel(h, filterLength: w.length), waveletMaxLevel(wd, filterLength: w.length))
        if level > maxLevel && !force {
            throw TensorError("\(op): \(h)x\(wd) feature maps are too small for \(w.name) at level \(level) "
                + "(the deepest level they allow is \(maxLevel)\(maxLevel == 0 ? ": use a shorter wavelet such as haar, or larger maps" : "")); "
                + "force = true decomposes anyway (every coefficient then feels the boundary)")
        }
        let dec = try wavedec2(w, level: level, mode: mode, force: true)
        let low = dec.approximation.contiguous()
        let bands = (details == .all ? dec.details : Array(dec.details.prefix(1)))
            .flatMap { [$0.lh!, $0.hl!, $0.hh!] }.map { $0.contiguous() }
        let dL = low.shape[2] * low.shape[3]
        let sizes = bands.map { $0.shape[2] * $0.shape[3] }, dH = sizes.reduce(0, +)
        let parts = max(1, min(Parallel.threads, n))
        var partial = (0..<parts).map { _ in WaveletChannelStats(channels: c, similarity: similarity) }
        // images per SSYRK: about 64 K floats of normalised bands in scratch
        let chunk = max(1, (1 << 16) / max(c * max(dL, dH), 1))
        try Tensor.withFloats([low] + bands) { ptrs in
            let pL = ptrs[0]!, pH = ptrs.dropFirst().map { UnsafePointer($0!) }
            try BLAS.singleThreaded {
                try partial.withUnsafeMutableBufferPointer { acc in
                    let block = max(parts * chunk, Chunked.blockSize(perItem: c * h * wd))
                    var done = 0
                    while done < n {
                        try Interrupt.check(op)
                        let base = done, hi = min(n, done + block)
                        Parallel.forEach(parts) { p in
                            let a = base + (hi - base) * p / parts, b = base + (hi - base) * (p + 1) / parts
                            guard b > a else { return }
                            waveletStatsRange(a, b, c: c, chunk: chunk, low: pL, dL: dL, high: pH, sizes: sizes, dH: dH,
                                              similarity: similarity, into: &acc[p])
                        }
                        done = hi
                    }
                }
            }
        }
        var total = WaveletChannelStats(channels: c, similarity: similarity)
        for p in partial { total.add(p) }
        if !(total.energyLow + total.energyHigh).allSatisfy(\.isFinite) {
            throw TensorError("\(op): feature maps contain NaN or infinity")
        }
        return total
    }
}

/// Images a..<b of the bands into `s`: energies and norms per channel, and (with
/// `similarity`) the cosines from SSYRK over `chunk` images at a time.
private func waveletStatsRange(_ a: Int, _ b: Int, c: Int, chunk: Int, low: UnsafePointer<Float>, dL: Int,
                               high: [UnsafePointer<Float>], sizes: [Int], dH: Int, similarity: Bool,
                               into s: inout WaveletChannelStats) {
    let width = chunk * max(dL, dH)
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: c * width + c * c)
    defer { scratch.deallocate() }
    let gram = scratch + c * width
    var i0 = a
    while i0 < b {
        let i1 = min(b, i0 + chunk), k = i1 - i0
        // low band: one piece of dL per map
        for ch in 0..<c {
            for i in i0..<i1 {
                let src = low + (i * c + ch) * dL
                let ss = rowSum(src, dL, SquareF.self), nrm = ss.squareRoot()
                s.energyLow[ch] += ss; s.normLow[ch] += nrm
                if similarity {
                    let scale = Float(nrm > 0 ? 1 / nrm : 0), dst = scratch + ch * k * dL + (i - i0) * dL
                    for q in 0..<dL { dst[q] = src[q] * scale }
                }
            }
        }
        if similarity { addGram(scratch, c, k * dL, gram, into: &s.cosLow) }
        // high bands: the pieces of every detail band, concatenated per map
        for ch in 0..<c {
            for i in i0..<i1 {
                var ss = 0.0
                for (band, d) in zip(high, sizes) { ss += rowSum(band + (i * c + ch) * d, d, SquareF.self) }
                let nrm = ss.squareRoot()
                s.energyHigh[ch] += ss; s.normHigh[ch] += nrm
                if similarity {
                    let scale = Float(nrm > 0 ? 1 / nrm : 0)
                    var dst = scratch + ch * k * dH + (i - i0) * dH
                    for (band, d) in zip(high, sizes) {
                        let src = band + (i * c + ch) * d
                        for q in 0..<d { dst[q] = src[q] * scale }
                        dst += d
                    }
                }
            }
        }
        if similarity { addGram(scratch, c, k * dH, gram, into: &s.cosHigh) }
        s.images += k
        i0 = i1
    }
}

/// acc += Y·Yᵀ for Y = c rows of `width` floats (SSYRK's upper triangle, mirrored).
private func addGram(_ y: UnsafePointer<Float>, _ c: Int, _ width: Int, _ g: UnsafeMutablePointer<Float>,
                     into acc: inout [Double]) {
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(c), Int32(width), 1, y, Int32(width), 0, g, Int32(c))
    for i in 0..<c {
        for j in i..<c {
            let v = Double(g[i * c + j])
            acc[i * c + j] += v
            if j != i { acc[j * c + i] += v }
        }
    }
}
