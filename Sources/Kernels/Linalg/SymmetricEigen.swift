/// Counting the eigenvalues of small symmetric matrices above a threshold, in double
/// precision, for the rank of many small maps. Householder reduction to tridiagonal
/// form (EISPACK tred1 with both triangles kept, so inner loops run along rows and
/// vectorise), then Sturm counts (the inertia of T − xI from its LDLᵀ pivots, as
/// LAPACK's bisection) evaluated for 8 matrices at once in SIMD lanes. Both steps are
/// backward stable: the counts are exact for a matrix within a few 1e-16·‖A‖ of the input.
enum SymmetricEigen {
    typealias Lanes = SIMD8<Double>

    @inline(__always)
    static func load4(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
    }

    /// Σ a[k]·b[k] for k < n with four-wide partial sums.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
        var k = 0
        while k + 8 <= n { s0 += load4(a + k) * load4(b + k); s1 += load4(a + k + 4) * load4(b + k + 4); k += 8 }
        if k + 4 <= n { s0 += load4(a + k) * load4(b + k); k += 4 }
        var s = (s0 + s1).sum()
        while k < n { s += a[k] * b[k]; k += 1 }
        return s
    }

    /// Householder tridiagonalisation of the symmetric n×n row-major `a` (destroyed):
    /// d = diagonal, e[i] = sub-diagonal entry (i, i−1), e[0] = 0.
    static func tridiagonalize(_ a: UnsafeMutablePointer<Double>, _ n: Int, _ d: UnsafeMutablePointer<Double>,
                               _ e: UnsafeMutablePointer<Double>) {
        var i = n - 1
        while i >= 1 {
            let l = i - 1, ri = a + i * n
            var scale = 0.0
            for k in 0...l { scale += abs(ri[k]) }
            if l == 0 || scale == 0 {
                e[i] = ri[l]
            } else {
                let inv = 1 / scale
                for k in 0...l { ri[k] *= inv }
                var h = dot(ri, ri, l + 1)
                let f = ri[l], g0 = f >= 0 ? -h.squareRoot() : h.squareRoot()
                e[i] = scale * g0
                h -= f * g0
                ri[l] = f - g0                                  // u = row i, 0...l
                var up = 0.0                                    // p = A·u/h, K = uᵀp/2h
                for j in 0...l {
                    e[j] = dot(a + j * n, ri, l + 1) / h
                    up += e[j] * ri[j]
                }
                let hh = up / (h + h)
                for j in 0...l { e[j] -= hh * ri[j] }          // q = p − K·u
                for j in 0...l {                                // A ← A − u·qᵀ − q·uᵀ
                    let rj = a + j * n, uj = ri[j], qj = e[j]
                    let u4 = SIMD4<Double>(repeating: uj), q4 = SIMD4<Double>(repeating: qj)
                    var k = 0
                    while k + 4 <= l + 1 {
                        let r = load4(rj + k) - (u4 * load4(e + k) + q4 * load4(ri + k))
                        UnsafeMutableRawPointer(rj + k).storeBytes(of: r, as: SIMD4<Double>.self)
                        k += 4
                    }
                    while k <= l { rj[k] -= uj * e[k] + qj * ri[k]; k += 1 }
                }
            }
            i -= 1
        }
        for k in 0..<n { d[k] = a[k * n + k] }
        if n > 0 { e[0] = 0 }
    }

    /// Number of eigenvalues greater than x of 8 tridiagonal matrices (lane-wise):
    /// n minus the negative pivots of T − xI (e2 = squared sub-diagonal, e2[0] unused;
    /// pivots smaller than `pivmin` are replaced by −pivmin, as LAPACK's slaebz does).
    @inline(__always)
    static func countAbove(_ x: Lanes, _ d: UnsafePointer<Lanes>, _ e2: UnsafePointer<Lanes>, _ n: Int,
                           pivmin: Lanes) -> Lanes {
        var negatives = Lanes()
        var q = Lanes(repeating: 1)
        for j in 0..<n {
            q = j == 0 ? d[0] - x : d[j] - x - e2[j] / q
            q.replace(with: -pivmin, where: (q .< pivmin) .& (q .> -pivmin))
            negatives.replace(with: negatives + 1, where: q .< 0)
        }
        return Lanes(repeating: Double(n)) - negatives
    }

    /// Brackets lo ≤ λmax ≤ hi of 8 tridiagonal matrices (lane-wise): lo the largest
    /// eigenvalue of any 2×2 diagonal block (a Rayleigh quotient, so a lower bound), hi
    /// the Gershgorin bound.
    static func largestBounds(_ d: UnsafePointer<Lanes>, _ e2: UnsafePointer<Lanes>, _ n: Int) -> (lo: Lanes, hi: Lanes) {
        var lo = n > 0 ? d[0] : Lanes(), hi = Lanes(repeating: -.infinity)
        for j in 0..<n {
            let left = j > 0 ? e2[j].squareRoot() : Lanes(), right = j + 1 < n ? e2[j + 1].squareRoot() : Lanes()
            let bound = d[j] + left + right
            hi.replace(with: bound, where: bound .> hi)
            if j + 1 < n {
                let half = (d[j] - d[j + 1]) * 0.5
                let block = (d[j] + d[j + 1]) * 0.5 + (half * half + e2[j + 1]).squareRoot()
                lo.replace(with: block, where: block .> lo)
            }
        }
        return (pointwiseMin(lo, hi), hi)
    }

    /// `steps` bisection steps on the bracket lo ≤ λmax ≤ hi (lane-wise).
    static func narrowLargest(_ lo: inout Lanes, _ hi: inout Lanes, _ d: UnsafePointer<Lanes>, _ e2: UnsafePointer<Lanes>,
                              _ n: Int, pivmin: Lanes, steps: Int) {
        for _ in 0..<steps {
            let mid = (lo + hi) * 0.5
            let above = countAbove(mid, d, e2, n, pivmin: pivmin) .> 0
            lo.replace(with: mid, where: above)
            hi.replace(with: mid, where: .!above)
        }
    }
}
