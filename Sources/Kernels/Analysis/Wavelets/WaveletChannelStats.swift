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
    /// images' bands into scratch and adds their cosines from one small Gram matrix.
    /// Level-1 Haar on even sizes (FPWT's default) is computed from the maps directly.
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
                + "(the deepest level they allow is \(maxLevel)\(maxLevel == 0 ? (w.length > 2 ? ": use a shorter wavelet such as haar, or larger maps" : ": larger maps") : "")); "
                + "force = true decomposes anyway (every coefficient then feels the boundary)")
        }
        let parts = max(1, min(Parallel.threads, n))
        var partial = (0..<parts).map { _ in WaveletChannelStats(channels: c, similarity: similarity) }
        // Level-1 Haar of even-sized maps needs no boundary handling (every mode agrees):
        // 2×2 blocks straight from the maps. Otherwise the bands of wavedec2.
        let haar = w.length == 2 && level == 1 && h % 2 == 0 && wd % 2 == 0
        let x = haar ? try toFloat().contiguous() : self
        let dec = haar ? nil : try wavedec2(w, level: level, mode: mode, force: true)
        let low = try dec.map { try $0.approximation.contiguous() } ?? x
        let bands = try dec.map { d in try (details == .all ? d.details : Array(d.details.prefix(1)))
            .flatMap { [$0.lh!, $0.hl!, $0.hh!] }.map { try $0.contiguous() } } ?? []
        let dL = haar ? (h / 2) * (wd / 2) : low.shape[2] * low.shape[3]
        let sizes = haar ? [dL, dL, dL] : bands.map { $0.shape[2] * $0.shape[3] }, dH = sizes.reduce(0, +)
        // images per Gram: about 64 K floats of normalised bands in scratch
        let chunk = max(1, (1 << 16) / max(c * (dL + dH), 1))
        try Scratch.check(c * chunk * (dL + dH), of: Float.self, op)
        try Tensor.withFloats([low] + bands) { ptrs in
            let pL = UnsafePointer(ptrs[0]!), pH = ptrs.dropFirst().map { UnsafePointer($0!) }
            let mapSize = h * wd
            // writes map (i, ch)'s L and H coefficients at dl, dh; returns their sums of squares
            let fill: (Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> (Double, Double) = haar
                ? { i, ch, dl, dh in haar2x2(pL + (i * c + ch) * mapSize, h, wd, dl, dh) }
                : { i, ch, dl, dh in
                    let src = pL + (i * c + ch) * dL
                    dl.update(from: src, count: dL)
                    var at = dh
                    for (band, d) in zip(pH, sizes) { at.update(from: band + (i * c + ch) * d, count: d); at += d }
                    return (rowSum(src, dL, SquareF.self), rowSum(dh, dH, SquareF.self))
                }
            try partial.withUnsafeMutableBufferPointer { acc in
                let block = max(parts * chunk, Chunked.blockSize(perItem: c * mapSize))
                var done = 0
                while done < n {
                    try Interrupt.check(op)
                    let base = done, hi = min(n, done + block)
                    Parallel.forEach(parts) { p in
                        let a = base + (hi - base) * p / parts, b = base + (hi - base) * (p + 1) / parts
                        guard b > a else { return }
                        Scratch.with(c * chunk * (dL + dH)) { sl in
                            waveletStatsRange(a, b, c: c, chunk: chunk, dL: dL, dH: dH, similarity: similarity,
                                              fill: fill, scratch: sl, into: &acc[p])
                        }
                    }
                    done = hi
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

/// Images a..<b into `s`: each map's coefficients from `fill` into `sl` (c·chunk·(dL + dH)
/// floats of scratch), energies and norms per channel, and (with `similarity`) the cosines
/// of `chunk` images at a time from the Gram matrix of the normalised coefficients.
private func waveletStatsRange(_ a: Int, _ b: Int, c: Int, chunk: Int, dL: Int, dH: Int, similarity: Bool,
                               fill: (Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> (Double, Double),
                               scratch sl: UnsafeMutablePointer<Float>, into s: inout WaveletChannelStats) {
    let sh = sl + c * chunk * dL
    var i0 = a
    while i0 < b {
        let i1 = min(b, i0 + chunk), k = i1 - i0
        for ch in 0..<c {
            for i in i0..<i1 {
                let dl = sl + (ch * k + i - i0) * dL, dh = sh + (ch * k + i - i0) * dH
                let (ssL, ssH) = fill(i, ch, dl, dh)
                let nL = ssL.squareRoot(), nH = ssH.squareRoot()
                s.energyLow[ch] += ssL; s.normLow[ch] += nL
                s.energyHigh[ch] += ssH; s.normHigh[ch] += nH
                if similarity {
                    scale(dl, dL, nL > 0 ? Float(1 / nL) : 0)
                    scale(dh, dH, nH > 0 ? Float(1 / nH) : 0)
                }
            }
        }
        if similarity {
            s.cosLow.withUnsafeMutableBufferPointer { smallGramAdd(sl, rows: c, width: k * dL, ld: k * dL, into: $0.baseAddress!) }
            s.cosHigh.withUnsafeMutableBufferPointer { smallGramAdd(sh, rows: c, width: k * dH, ld: k * dH, into: $0.baseAddress!) }
        }
        s.images += k
        i0 = i1
    }
}

@inline(__always)
private func scale(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ f: Float) {
    for q in 0..<n { p[q] *= f }
}

/// Level-1 Haar of one even-sized h×w map in 2×2 blocks (pywt.dwt2(x, "haar")):
/// cA = (a+b+c+d)/2, cH = (a+b−c−d)/2, cV = (a−b+c−d)/2, cD = (a−b−c+d)/2 for the block
/// [[a, b], [c, d]]. Writes cA at `ll` and cH, cV, cD one after the other at `hi`; returns
/// the sums of squares of cA and of the three details.
private func haar2x2(_ x: UnsafePointer<Float>, _ h: Int, _ w: Int, _ ll: UnsafeMutablePointer<Float>,
                     _ hi: UnsafeMutablePointer<Float>) -> (Double, Double) {
    let h2 = h / 2, w2 = w / 2, d = h2 * w2
    let lh = hi, hl = hi + d, hh = hi + 2 * d
    var eL = SIMD8<Float>(), eH = SIMD8<Float>()
    var sL: Float = 0, sH: Float = 0
    for r in 0..<h2 {
        let r0 = x + 2 * r * w, r1 = r0 + w, o = r * w2
        var q = 0
        while q + 8 <= w2 {
            let (cA, cH, cV, cD) = haarBlocks(r0, r1, q, SIMD16<Float>.self) { ($0.evenHalf, $0.oddHalf) }
            store(cA, cH, cV, cD, ll, lh, hl, hh, o + q)
            eL.addProduct(cA, cA)
            eH.addProduct(cH, cH); eH.addProduct(cV, cV); eH.addProduct(cD, cD)
            q += 8
        }
        while q + 4 <= w2 {
            let (cA, cH, cV, cD) = haarBlocks(r0, r1, q, SIMD8<Float>.self) { ($0.evenHalf, $0.oddHalf) }
            store(cA, cH, cV, cD, ll, lh, hl, hh, o + q)
            sL += (cA * cA).sum()
            sH += (cH * cH + cV * cV + cD * cD).sum()
            q += 4
        }
        while q < w2 {
            let a = r0[2 * q], b = r0[2 * q + 1], c = r1[2 * q], e = r1[2 * q + 1]
            let cA = (a + b + c + e) * 0.5, cH = (a + b - c - e) * 0.5, cV = (a - b + c - e) * 0.5, cD = (a - b - c + e) * 0.5
            ll[o + q] = cA; lh[o + q] = cH; hl[o + q] = cV; hh[o + q] = cD
            sL += cA * cA; sH += cH * cH + cV * cV + cD * cD
            q += 1
        }
    }
    return (Double(eL.sum()) + Double(sL), Double(eH.sum()) + Double(sH))
}

/// The Haar coefficients (cA, cH, cV, cD) of the 2×2 blocks starting at column 2·q of rows
/// r0 and r1, one lane per block: `W` holds two lanes' worth of columns, `split` deals
/// them into even and odd columns.
@inline(__always)
private func haarBlocks<W: SIMD, H: SIMD>(_ r0: UnsafePointer<Float>, _ r1: UnsafePointer<Float>, _ q: Int,
                                          _ wide: W.Type, _ split: (W) -> (H, H)) -> (H, H, H, H)
    where W.Scalar == Float, H.Scalar == Float {
    let (u0, u1) = split(UnsafeRawPointer(r0 + 2 * q).loadUnaligned(as: W.self))
    let (v0, v1) = split(UnsafeRawPointer(r1 + 2 * q).loadUnaligned(as: W.self))
    let s0 = u0 + u1, d0 = u0 - u1, s1 = v0 + v1, d1 = v0 - v1
    return ((s0 + s1) * 0.5, (s0 - s1) * 0.5, (d0 + d1) * 0.5, (d0 - d1) * 0.5)
}

/// Stores the four coefficient vectors at element `at` of the four bands.
@inline(__always)
private func store<H: SIMD>(_ cA: H, _ cH: H, _ cV: H, _ cD: H, _ ll: UnsafeMutablePointer<Float>,
                            _ lh: UnsafeMutablePointer<Float>, _ hl: UnsafeMutablePointer<Float>,
                            _ hh: UnsafeMutablePointer<Float>, _ at: Int) where H.Scalar == Float {
    UnsafeMutableRawPointer(ll + at).storeBytes(of: cA, as: H.self)
    UnsafeMutableRawPointer(lh + at).storeBytes(of: cH, as: H.self)
    UnsafeMutableRawPointer(hl + at).storeBytes(of: cV, as: H.self)
    UnsafeMutableRawPointer(hh + at).storeBytes(of: cD, as: H.self)
}
