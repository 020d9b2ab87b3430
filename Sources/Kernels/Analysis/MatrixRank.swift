import Tensor

/// How `matrixRank` finds the singular values it compares with the tolerance.
public enum RankMethod: String, CaseIterable, Sendable {
    /// σᵢ² as the eigenvalues of the Gram matrix (AᵀA or AAᵀ, the smaller) formed in
    /// double precision (products of float32 inputs are exact), reduced to tridiagonal
    /// form and counted above the tolerance with Sturm sequences — no singular values
    /// are computed. σ near the tolerance carry ~1e-8·σmax absolute error, against
    /// ~1e-7·σmax for a float32 SVD; several times faster than LAPACK on small maps.
    /// The default.
    case gram
    /// LAPACK sgesdd in float32, as torch.linalg.matrix_rank computes them.
    case svd
}

extension Tensor {
    /// Rank of every matrix in the last two dims: the singular values above
    /// max(atol, rtol·σmax), compared in float32 as torch.linalg.matrix_rank does, with its
    /// defaults (atol 0, rtol = max(m, n)·float32 eps; rtol 0 when only atol > 0 is given).
    /// An int64 tensor of the leading shape.
    public func matrixRank(atol: Double? = nil, rtol: Double? = nil, method: RankMethod = .gram) throws -> Tensor {
        guard dim >= 2 else {
            throw TensorError("matrix_rank: expected a tensor with at least 2 dimensions (…, m, n), got \(shapeString(shape))")
        }
        let m = shape[dim - 2], n = shape[dim - 1], k = min(m, n)
        let batch = Array(shape.dropLast(2)), count = batch.reduce(1, *)
        let a = Float(atol ?? 0)
        let r = Float(rtol ?? ((atol ?? 0) > 0 ? 0 : Double(Float(max(m, n)) * Float.ulpOfOne)))
        let out = try Tensor(uninitialized: batch, dtype: .int64)
        if method == .gram && k > 0 {
            try gramRanks(atol: a, rtol: r, into: out)
            return out
        }
        let po = out.iptr
        try svd(vectors: false, "matrix_rank").s.withFloats { ps in
            for i in 0..<count {
                let row = ps + i * k
                let tol = Swift.max(a, r * (k > 0 ? row[0] : 0))   // sgesdd sorts descending
                var rank: Int64 = 0
                for j in 0..<k where row[j] > tol { rank += 1 }
                po[i] = rank
            }
        }
        return out
    }

    /// The Gram path: 8 matrices at a time, one per SIMD lane (`SymmetricEigen+Lanes`),
    /// each Gram matrix reduced to a tridiagonal in double, then the eigenvalues above the
    /// tolerance counted (`countRanks`). σ is compared as torch compares float32 values:
    /// counted when it would round above the tolerance. Matrices with min(m, n) > 64 go one
    /// at a time through `gram` + `tridiagonalize` (8 lanes of a big Gram matrix leave L2).
    /// A NaN or infinity marks its group while the Gram matrices are formed (no pass of its
    /// own) and raises the error after the pass.
    func gramRanks(atol: Float, rtol: Float, into out: Tensor) throws {
        let x = try toFloat().contiguous()
        let m = shape[dim - 2], n = shape[dim - 1], k = min(m, n), count = out.numel
        guard k <= 64 else { return try gramRanksOneByOne(x, atol: atol, rtol: rtol, into: out) }
        let po = out.iptr
        typealias Lanes = SymmetricEigen.Lanes
        let rows = max(m, n), (rs, cs) = n <= m ? (n, 1) : (1, n)
        try x.withFloats { px in
            try Chunked.run("matrix_rank", count: (count + 7) / 8, block: Chunked.blockSize(perItem: 8 * m * n * 16)) { lo, hi in
                Scratch.with(k * k + SymmetricEigen.gramBlock * k + 2 * k, of: Lanes.self) { g in
                    let rowBuf = g + k * k, d = rowBuf + SymmetricEigen.gramBlock * k, e = d + k
                    for b in lo..<hi {
                        let lanes = min(8, count - b * 8)
                        guard SymmetricEigen.gram(px + b * 8 * m * n, lanes: lanes, stride: m * n, rows: rows, k: k,
                                                  rs: rs, cs: cs, into: g, rowBuf: rowBuf) else {
                            for l in 0..<lanes { po[b * 8 + l] = -1 }   // not finite: reported below
                            continue
                        }
                        SymmetricEigen.tridiagonalize(lanes: g, k, d, e)
                        var big = Lanes(repeating: 1)
                        for j in 0..<k { e[j] *= e[j]; big = pointwiseMax(big, e[j]) }
                        let pivmin = Lanes(repeating: Double.leastNormalMagnitude) * big
                        let ranks = Self.countRanks(d, e, k, pivmin: pivmin, atol: atol, rtol: rtol)
                        for l in 0..<lanes { po[b * 8 + l] = Int64(ranks[l]) }
                    }
                }
            }
        }
        for i in 0..<count where po[i] < 0 { throw TensorError("matrix_rank: input contains NaN or infinity") }
    }

    /// Ranks of 8 tridiagonal matrices (d, squared sub-diagonal e2; lane-wise): the
    /// eigenvalues above the float32 tolerance of σmax. The tolerance only moves with
    /// σmax, so the count at the tolerance of a lower and of an upper bound of λmax = σmax²
    /// brackets the rank; where the two agree (nearly always: the bounds are within a
    /// factor 2 and no eigenvalue sits in that window of ~1e-6·σmax) it is the rank, with
    /// two Sturm counts instead of the ~44 that bisecting λmax to double precision takes;
    /// elsewhere the bracket is narrowed by bisection until they agree.
    static func countRanks(_ d: UnsafePointer<SymmetricEigen.Lanes>, _ e2: UnsafePointer<SymmetricEigen.Lanes>, _ k: Int,
                           pivmin: SymmetricEigen.Lanes, atol: Float, rtol: Float) -> SymmetricEigen.Lanes {
        typealias Lanes = SymmetricEigen.Lanes
        func cut(_ lambda: Lanes) -> Lanes {
            var c = Lanes()
            for l in 0..<8 {
                let tol = Swift.max(atol, rtol * Float(Swift.max(lambda[l], 0).squareRoot()))
                let mid = (Double(tol) + Double(tol.nextUp)) / 2      // rounds above tol beyond this
                c[l] = mid * mid
            }
            return c
        }
        var (lo, hi) = SymmetricEigen.largestBounds(d, e2, k)
        var steps = 0
        while true {
            let upper = SymmetricEigen.countAbove(cut(lo), d, e2, k, pivmin: pivmin)
            let lower = SymmetricEigen.countAbove(cut(hi), d, e2, k, pivmin: pivmin)
            if all(upper .== lower) || steps >= 48 { return lower }
            SymmetricEigen.narrowLargest(&lo, &hi, d, e2, k, pivmin: pivmin, steps: 6)
            steps += 6
        }
    }

    /// The Gram path for large matrices: each on its own (`gram`, `tridiagonalize`), their
    /// tridiagonals counted 8 at a time.
    private func gramRanksOneByOne(_ x: Tensor, atol: Float, rtol: Float, into out: Tensor) throws {
        try x.checkFinite("matrix_rank")
        let m = shape[dim - 2], n = shape[dim - 1], k = min(m, n), count = out.numel
        let po = out.iptr
        typealias Lanes = SymmetricEigen.Lanes
        try Scratch.check(k * k + 2 * k + m * n, of: Double.self, "matrix_rank")
        try x.withFloats { px in
            try Chunked.run("matrix_rank", count: (count + 7) / 8, block: Chunked.blockSize(perItem: 8 * m * n * 16)) { lo, hi in
                Scratch.with(k * k + 2 * k + m * n, of: Double.self) { g in
                    Scratch.with(2 * k, of: Lanes.self) { lanes in
                        let d = g + k * k, e = d + k, buf = e + k, ld = lanes, le2 = lanes + k
                        for b in lo..<hi {
                            for j in 0..<(2 * k) { lanes[j] = Lanes() }
                            var pivmin = Lanes(repeating: Double.leastNormalMagnitude)
                            for l in 0..<8 where b * 8 + l < count {
                                Self.gram(px + (b * 8 + l) * m * n, m, n, into: g, buf: buf)
                                SymmetricEigen.tridiagonalize(g, k, d, e)
                                var big = 1.0
                                for j in 0..<k { ld[j][l] = d[j]; le2[j][l] = e[j] * e[j]; big = Swift.max(big, e[j] * e[j]) }
                                pivmin[l] *= big
                            }
                            let ranks = Self.countRanks(ld, le2, k, pivmin: pivmin, atol: atol, rtol: rtol)
                            for l in 0..<8 where b * 8 + l < count { po[b * 8 + l] = Int64(ranks[l]) }
                        }
                    }
                }
            }
        }
    }

    /// G = AᵀA (n ≤ m) or AAᵀ (m < n) of a row-major m×n float matrix, in double
    /// (products of float32 values are exact); `buf` holds m·n doubles.
    static func gram(_ a: UnsafePointer<Float>, _ m: Int, _ n: Int, into g: UnsafeMutablePointer<Double>,
                     buf: UnsafeMutablePointer<Double>) {
        for i in 0..<(m * n) { buf[i] = Double(a[i]) }
        if n <= m {
            // G[i, j..j+7] = Σ_r a[r, i]·a[r, j..j+7], accumulated in registers
            var j = 0
            while j < n {
                let w = min(8, n - j)
                for i in 0..<n {
                    var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
                    if w == 8 {
                        for r in 0..<m {
                            let row = buf + r * n, v = SIMD4<Double>(repeating: row[i])
                            s0 += v * SymmetricEigen.load4(row + j); s1 += v * SymmetricEigen.load4(row + j + 4)
                        }
                        UnsafeMutableRawPointer(g + i * n + j).storeBytes(of: s0, as: SIMD4<Double>.self)
                        UnsafeMutableRawPointer(g + i * n + j + 4).storeBytes(of: s1, as: SIMD4<Double>.self)
                    } else {
                        for c in j..<(j + w) {
                            var t = 0.0
                            for r in 0..<m { t += buf[r * n + i] * buf[r * n + c] }
                            g[i * n + c] = t
                        }
                    }
                }
                j += w
            }
        } else {
            for i in 0..<m {
                for j in 0...i {
                    let t = SymmetricEigen.dot(buf + i * n, buf + j * n, n)
                    g[i * m + j] = t; g[j * m + i] = t
                }
            }
        }
    }
}
