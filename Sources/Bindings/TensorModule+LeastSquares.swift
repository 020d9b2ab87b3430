import Kernels
import LuaHost
import Tensor

extension TensorModule {
    /// Least squares and the pseudo-inverse, for refitting a layer after pruning (ThiNet,
    /// Channel Pruning, NISP):
    /// ```lua
    /// local w, info = tensor.lstsq(patches, targets, {lambda = 1e-3})   -- info.rank, .residuals
    /// local p = a:pinv()                                                -- (…, n, m)
    /// ```
    static let leastSquaresMethods: [LuaFunction] = [
        LuaFunction("lstsq", doc: """
            tensor.lstsq(A, B [, {rcond =, lambda = 0}]) -> X, info
            Minimum-norm X minimising ‖A·X − B‖: A (m, n), B (m, k) or (m) -> X (n, k) or (n), as
            numpy.linalg.lstsq (LAPACK dgelsd, double). σ <= rcond·σmax count as zero (rcond in
            [0, 1), default float32 eps·max(m, n)). lambda > 0: exact ridge, min ‖A·X − B‖² + λ‖X‖².
            info = {rank, singular_values, residuals}: ‖A·xⱼ − bⱼ‖² per column if m > n and
            rank = n, or with lambda; else empty.
            Example:
              local x, info = tensor.lstsq(tensor.new{{1, 0}, {1, 1}, {1, 2}}, tensor.new{1, 2, 4})
            """) { L in
            let a = try L.checkTensor(1), b = try L.checkTensor(2), o = try LuaOptions(L, 3)
            try o.checkKnown(["rcond", "lambda"], "lstsq")
            let rcond = try o.number("rcond"), lambda = try nonNegative(o, "lambda") ?? 0
            if let rc = rcond, !(rc >= 0 && rc < 1) {   // LAPACK would read rcond >= 1 as machine precision
                throw o.invalid("rcond", "expected a number in [0, 1) (singular values at or below rcond·σmax count as zero), got \(rc)")
            }
            let r = try a.lstsq(b, rcond: rcond, lambda: lambda)
            L.push(r.solution)
            L.newTable()
            L.push(r.rank); L.setField(-2, "rank")
            L.push(r.singularValues); L.setField(-2, "singular_values")
            L.push(r.residuals); L.setField(-2, "residuals")
            return 2
        },
        LuaFunction("pinv", doc: """
            x:pinv([{rcond =, atol = 0, rtol =}]) -> tensor
            Moore–Penrose pseudo-inverse of every matrix in the last two dims, (…, m, n) ->
            (…, n, m), as torch.linalg.pinv: V·diag(1/σ)·Uᵀ over the singular values σ >
            max(atol, rtol·σmax) (LAPACK dgesdd, double precision). rtol defaults to float32
            eps·max(m, n), or 0 when only atol > 0 is given; rcond is numpy's name for rtol.
            Example:
              local p = tensor.new{{1, 2}, {2, 4}, {0, 0}}:pinv()   -- (2, 3); rank 1
              print(tensor.new{{1, 2}, {2, 4}, {0, 0}}:matmul(p))
            """) { L in
            let x = try L.checkTensor(1), o = try LuaOptions(L, 2)
            try o.checkKnown(["rcond", "atol", "rtol"], "pinv")
            let rcond = try nonNegative(o, "rcond"), rtol = try nonNegative(o, "rtol")
            if rcond != nil && rtol != nil {
                throw o.invalid("rcond", "give rcond or rtol, not both (rcond is numpy's name for rtol)")
            }
            L.push(try x.pinv(atol: try nonNegative(o, "atol"), rtol: rcond ?? rtol))
            return 1
        },
    ]

    /// An optional option that must be a finite number >= 0.
    static func nonNegative(_ o: LuaOptions, _ key: String) throws -> Double? {
        guard let v = try o.number(key) else { return nil }
        guard v.isFinite, v >= 0 else { throw o.invalid(key, "expected a finite number >= 0, got \(v)") }
        return v
    }
}
