import Foundation
import Tensor

/// The loops behind `Tensor.histogramEntropy` and friends.
enum EntropyKernel {
    static func checkBase(_ base: Double) throws {
        guard base > 0, base != 1, base.isFinite else {
            throw TensorError("entropy: base must be positive and not 1, got \(base)")
        }
    }

    /// Histogram entropy of `groups` value sets into out[g]. Set g is `segments` runs of
    /// `length` floats at p + g·groupStride + s·segmentStride. Bins follow
    /// numpy.histogram on float32 data: edges k·step + min in float32 (the last edge is
    /// max, the last bin closed); a first guess ⌊(v − min)·bins/(max − min)⌋ is
    /// corrected by one against those edges, so the edges alone decide the bin.
    static func histograms(_ p: UnsafePointer<Float>, groups: Int, groupStride: Int, segments: Int,
                           segmentStride: Int, length: Int, bins: Int, base: Double,
                           into out: UnsafeMutablePointer<Float>) throws {
        guard bins >= 1 && bins <= 1 << 22 else { throw TensorError("entropy: bins must be in 1...4194304, got \(bins)") }
        try checkBase(base)
        let total = segments * length
        guard total > 0 else { throw TensorError("entropy: maps are empty") }
        // c·ln c for every possible count when that is cheaper than a log per bin
        let table: [Double] = total <= 4 * groups * bins
            ? (0...total).map { $0 == 0 ? 0 : Double($0) * Foundation.log(Double($0)) } : []
        let lnTotal = Foundation.log(Double(total)), scale = 1 / Foundation.log(base)
        try Chunked.run("entropy", count: groups, block: Chunked.blockSize(perItem: total)) { lo, hi in
            Scratch.with(Scratch.aligned(4 * bins) + 8, of: Int32.self) { counts in
                Scratch.with(bins + 1) { edges in
                    let guesses = counts + Scratch.aligned(4 * bins)
                    for g in lo..<hi {
                        let base = p + g * groupStride
                        var mn = Float.infinity, mx = -Float.infinity, finite = true
                        for s in 0..<segments {
                            let r = VectorMath.minMax(base + s * segmentStride, length)
                            mn = min(mn, r.min); mx = max(mx, r.max); finite = finite && r.finite
                        }
                        if !finite { out[g] = .nan; continue }
                        if mn == mx { out[g] = 0; continue }
                        let denom = mx - mn, fb = Float(bins), step = denom / fb, last = bins - 1
                        counts.initialize(repeating: 0, count: 4 * bins)
                        @inline(__always) func add(_ v: Float, _ guess: Int, _ lane: Int) {
                            var k = guess
                            if v < edges[k] { k -= 1 } else if k != last && v >= edges[k + 1] { k += 1 }
                            counts[lane * bins + k] += 1
                        }
                        if denom.isFinite {
                            for k in 0..<bins { edges[k] = Float(k) * step + mn }
                            edges[bins] = mx
                            // The first guess only has to be within one bin: the edges decide, as in numpy
                            let guess = fb / denom, vmn = SIMD8<Float>(repeating: mn), vscale = SIMD8<Float>(repeating: guess)
                            let vlast = SIMD8<Int32>(repeating: Int32(last)), magic = SIMD8<Float>(repeating: 12_582_912)
                            for s in 0..<segments {
                                let q = base + s * segmentStride
                                var i = 0
                                while i + 8 <= length {    // guesses 8 at a time, binning per lane
                                    let v = VectorMath.load(q + i)
                                    // ⌊f⌋ for 0 ≤ f < 2²²: round to nearest through 1.5·2²³, step back if above
                                    let f = (v - vmn) * vscale, t = f + magic
                                    var k = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
                                    k.replace(with: k &- 1, where: (t - magic) .> f)
                                    k.replace(with: vlast, where: k .> vlast)
                                    UnsafeMutableRawPointer(guesses).storeBytes(of: k, as: SIMD8<Int32>.self)
                                    let w = q + i
                                    for l in 0..<8 { add(w[l], Int(guesses[l]), l & 3) }
                                    i += 8
                                }
                                while i < length { add(q[i], min(Int((q[i] - mn) * guess), last), i & 3); i += 1 }
                            }
                        } else {
                            // max − min overflows float32 (values near ±3.4e38): edges and first
                            // guesses in double, one lane (rare)
                            let dmn = Double(mn), dstep = (Double(mx) - dmn) / Double(bins)
                            for k in 0..<bins { edges[k] = Float(Double(k) * dstep + dmn) }
                            edges[bins] = mx
                            for s in 0..<segments {
                                let q = base + s * segmentStride
                                for i in 0..<length { add(q[i], min(Int((Double(q[i]) - dmn) / dstep), last), 0) }
                            }
                        }
                        var sum = 0.0
                        for k in 0..<bins {
                            let c = Int(counts[k] + counts[bins + k] + counts[2 * bins + k] + counts[3 * bins + k])
                            if c > 0 { sum += table.isEmpty ? Double(c) * Foundation.log(Double(c)) : table[c] }
                        }
                        out[g] = Float(max(0, lnTotal - sum / Double(total)) * scale)
                    }
                }
            }
        }
        for g in 0..<groups where out[g].isNaN { throw TensorError("entropy: input contains NaN or infinity") }
    }

    /// −Σ p ln p of p = softmax(z) over n values, z the map's values or (x − mean)²:
    /// with d = z − max z, e = exp(d), S = Σe, the entropy is ln S − Σ e·d / S.
    static func softmaxEntropy(_ p: UnsafePointer<Float>, _ n: Int, _ logits: SoftmaxLogits,
                               scratch: UnsafeMutablePointer<Float>) -> Double {
        guard VectorMath.minMax(p, n).finite else { return .nan }
        var z = p
        if logits == .squaredDeviation {
            let mean = Float(rowSum(p, n) / Double(n))
            for i in 0..<n { let d = p[i] - mean; scratch[i] = d * d }
            z = UnsafePointer(scratch)
        }
        let m = SIMD8<Float>(repeating: VectorMath.minMax(z, n).max)
        var s = SIMD8<Float>(repeating: 0), t = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let d = VectorMath.load(z + i) - m, e = VectorMath.exp(d)
            s += e; t += e * d
            i += 8
        }
        if i < n {
            var d = SIMD8<Float>(repeating: 0)
            for k in 0..<(n - i) { d[k] = z[i + k] - m[0] }
            var e = VectorMath.exp(d)
            for k in (n - i)..<8 { e[k] = 0 }
            s += e; t += e * d
        }
        let sd = Double(s.sum()), td = Double(t.sum())
        return Foundation.log(sd) - td / sd
    }
}
