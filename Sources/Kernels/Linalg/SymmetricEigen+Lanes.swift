/// Gram matrices and their tridiagonal form for 8 small matrices at once, one matrix per
/// SIMD lane: entry (i, j) of all 8 is one `Lanes` value, so every scalar step of the
/// textbook algorithm is one vector step, with no horizontal sums and no remainder loops
/// on short rows (a 8×8 map used 1 of 4 lanes half the time). Only the lower triangle is
/// stored and touched; every entry is one cache line, so column walks cost what row walks
/// do. The results feed `countAbove` / `largest`, which take the same layout.
extension SymmetricEigen {
    /// Rows of X gathered per pass of `gram`: G is read and written once per block.
    static let gramBlock = 8

    /// Lower triangle of G = XᵀX (k×k, G[i·k + j] for j ≤ i) in double for up to 8 float
    /// matrices: matrix l starts at `a + l·stride`, X has `rows` rows and k columns, and
    /// X[r][c] = a[r·rs + c·cs] (rs = k, cs = 1 for AᵀA; rs = 1, cs = n for AAᵀ). Lanes
    /// past `lanes` are zero. `rowBuf`: gramBlock·k Lanes of scratch. False when an input
    /// value is NaN or infinite (G is then meaningless).
    static func gram(_ a: UnsafePointer<Float>, lanes: Int, stride: Int, rows: Int, k: Int, rs: Int, cs: Int,
                     into g: UnsafeMutablePointer<Lanes>, rowBuf: UnsafeMutablePointer<Lanes>) -> Bool {
        for t in 0..<(k * k) { g[t] = Lanes() }
        let flat = UnsafeMutableRawPointer(rowBuf).assumingMemoryBound(to: Double.self)
        var poison = Lanes()
        var r0 = 0
        while r0 < rows {
            let block = min(gramBlock, rows - r0)
            for l in 0..<8 {                                 // transpose into lanes: scalar stores
                let src = a + l * stride + r0 * rs
                for q in 0..<block {
                    let row = flat + q * k * 8 + l, s = src + q * rs
                    if l < lanes {
                        for c in 0..<k { row[c * 8] = Double(s[c * cs]) }
                    } else {
                        for c in 0..<k { row[c * 8] = 0 }
                    }
                }
            }
            for t in 0..<(block * k) { poison += rowBuf[t] * 0 }   // NaN or ±inf makes the product NaN
            for i in 0..<k {
                let gi = g + i * k
                var j = 0
                while j + 4 <= i + 1 {                       // four entries of row i in registers
                    var s0 = gi[j], s1 = gi[j + 1], s2 = gi[j + 2], s3 = gi[j + 3]
                    for q in 0..<block {
                        let x = rowBuf + q * k, xi = x[i]
                        s0 += xi * x[j]; s1 += xi * x[j + 1]; s2 += xi * x[j + 2]; s3 += xi * x[j + 3]
                    }
                    gi[j] = s0; gi[j + 1] = s1; gi[j + 2] = s2; gi[j + 3] = s3
                    j += 4
                }
                while j <= i {
                    var s = gi[j]
                    for q in 0..<block { let x = rowBuf + q * k; s += x[i] * x[j] }
                    gi[j] = s
                    j += 1
                }
            }
            r0 += block
        }
        return !any(poison .!= 0)
    }

    /// `tridiagonalize` lane-wise on the lower triangle of the symmetric n×n `a` (row-major
    /// Lanes, destroyed): d = diagonal, e[i] = sub-diagonal entry (i, i−1), e[0] = 0. A lane
    /// whose row is already zero left of the diagonal is carried through unchanged.
    static func tridiagonalize(lanes a: UnsafeMutablePointer<Lanes>, _ n: Int, _ d: UnsafeMutablePointer<Lanes>,
                               _ e: UnsafeMutablePointer<Lanes>) {
        var i = n - 1
        while i >= 1 {
            let l = i - 1, ri = a + i * n
            if l == 0 {
                e[i] = ri[0]
                i -= 1
                continue
            }
            var scale = Lanes()
            for k in 0...l { scale += ri[k].replacing(with: -ri[k], where: ri[k] .< 0) }
            let zero = scale .== 0
            let inv = 1 / scale.replacing(with: 1, where: zero)
            var h = Lanes()
            for k in 0...l { ri[k] *= inv; h += ri[k] * ri[k] }
            let f = ri[l], root = h.squareRoot()
            let g0 = root.replacing(with: -root, where: f .>= 0)
            e[i] = scale * g0
            h -= f * g0
            h.replace(with: 1, where: zero)                    // u = 0 there: p, q and the update vanish
            ri[l] = f - g0                                     // u = row i, 0...l
            for j in 0...l { e[j] = Lanes() }                  // p = A·u/h from the lower triangle
            for j in 0...l {
                let rj = a + j * n, uj = ri[j]
                var s0 = rj[j] * uj, s1 = Lanes()
                var k = 0
                while k + 2 <= j {
                    s0 += rj[k] * ri[k]; e[k] += rj[k] * uj
                    s1 += rj[k + 1] * ri[k + 1]; e[k + 1] += rj[k + 1] * uj
                    k += 2
                }
                if k < j { s0 += rj[k] * ri[k]; e[k] += rj[k] * uj }
                e[j] += s0 + s1
            }
            let invh = 1 / h
            var up = Lanes()                                   // K = uᵀp / 2h
            for j in 0...l { e[j] *= invh; up += e[j] * ri[j] }
            let hh = up / (h + h)
            for j in 0...l { e[j] -= hh * ri[j] }              // q = p − K·u
            for j in 0...l {                                   // A ← A − u·qᵀ − q·uᵀ
                let rj = a + j * n, uj = ri[j], qj = e[j]
                for k in 0...j { rj[k] -= uj * e[k] + qj * ri[k] }
            }
            i -= 1
        }
        for k in 0..<n { d[k] = a[k * n + k] }
        if n > 0 { e[0] = Lanes() }
    }
}
