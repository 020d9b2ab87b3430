import CBLAS
import Foundation

/// The eigenvalues of a diagonal matrix minus a rank-one term, diag(λ) − z·zᵀ, from the
/// secular equation (LAPACK's dlaed4, the root finder of divide-and-conquer eigensolvers)
/// after deflation as LAPACK's dlaed2 does it. CHIP zeroes one row of a channel-by-position
/// matrix A at a time: in the basis of A's right singular vectors that subtracts z·zᵀ from
/// the diagonal of squared singular values, so one eigendecomposition per image serves
/// every channel, at O(k²) per channel instead of a fresh O(k³) decomposition.
enum RankOneDowndate {
    /// Doubles of `work` that `nuclear` needs for `k` eigenvalues.
    static func workCount(_ k: Int) -> Int { 5 * k }

    /// Σ √max(μ, 0) over the eigenvalues μ of diag(λ) − z·zᵀ (`lambda` ascending, k
    /// entries), or nil when the root finder fails. Negative rounding residue counts as 0.
    static func nuclear(lambda: UnsafePointer<Double>, z: UnsafePointer<Double>, _ k: Int,
                        work: UnsafeMutablePointer<Double>) -> Double? {
        guard k > 0 else { return 0 }
        // −(diag(λ) − z·zᵀ) = diag(−λ) + z·zᵀ: ascending after reversing, as dlaed4 wants.
        let d = work, w = work + k, kd = work + 2 * k, kz = work + 3 * k, delta = work + 4 * k
        var zz = 0.0
        for i in 0..<k { d[i] = -lambda[k - 1 - i]; w[i] = z[k - 1 - i]; zz += w[i] * w[i] }
        var sum = 0.0
        @inline(__always) func root(_ nu: Double) { sum += Swift.max(-nu, 0).squareRoot() }
        guard zz > 0 else {
            for i in 0..<k { root(d[i]) }
            return sum
        }
        var rho = zz
        let scale = 1 / zz.squareRoot()
        var dmax = 0.0, zmax = 0.0
        for i in 0..<k {
            w[i] *= scale
            dmax = Swift.max(dmax, abs(d[i])); zmax = Swift.max(zmax, abs(w[i]))
        }
        let tol = 8 * Double.ulpOfOne * Swift.max(dmax, zmax)
        // Deflation (dlaed2): a negligible z component leaves its eigenvalue where it is;
        // two close eigenvalues are rotated so one z component vanishes.
        var m = 0, prev = -1
        for i in 0..<k {
            if rho * abs(w[i]) <= tol { root(d[i]); continue }
            if prev >= 0 {
                let s0 = w[prev], c0 = w[i], tau = (c0 * c0 + s0 * s0).squareRoot()
                let c = c0 / tau, s = -s0 / tau
                if abs((d[i] - d[prev]) * c * s) <= tol {
                    w[i] = tau; w[prev] = 0
                    let t = d[prev] * c * c + d[i] * s * s
                    d[i] = d[prev] * s * s + d[i] * c * c
                    root(t)
                    prev = i
                    continue
                }
                kd[m] = d[prev]; kz[m] = w[prev]; m += 1
            }
            prev = i
        }
        if prev >= 0 { kd[m] = d[prev]; kz[m] = w[prev]; m += 1 }
        // The remaining z is renormalised (rotations kept its norm, deflated parts were
        // below tolerance): dlaed4 expects a unit vector.
        var nz = 0.0
        for i in 0..<m { nz += kz[i] * kz[i] }
        guard nz > 0 else { return sum }
        rho *= nz
        let inv = 1 / nz.squareRoot()
        for i in 0..<m { kz[i] *= inv }
        var n = Int32(m), info: Int32 = 0, lam = 0.0
        for j in 1...m {
            var jj = Int32(j)
            dlaed4_(&n, &jj, kd, kz, delta, &rho, &lam, &info)
            guard info == 0 else { return nil }
            root(lam)
        }
        return sum
    }
}
