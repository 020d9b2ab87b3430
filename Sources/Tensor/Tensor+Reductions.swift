import Foundation

/// Reductions over all elements or over given dimensions (0-based), with keepdim.
/// Inputs of any strides and dtype (int64 is read as float32); results are float32.
/// See `ReductionLayout` for how the input is walked (no transposed copy for the
/// common NCHW cases); every output is computed in a fixed order, so results do not
/// depend on the thread count.
extension Tensor {
    /// Normalises a list of dims (negative from the end; empty = all); checks range
    /// and duplicates.
    public func reductionDims(_ dims: [Int]?, _ op: String) throws -> [Int] {
        guard let dims, !dims.isEmpty else { return Array(0..<dim) }
        let ds = try dims.map { try checkDim($0, op) }
        if dim == 0 { return [] }          // dim 1 (or -1) of a 0-d tensor: nothing to reduce
        if let d = ds.first(where: { d in ds.filter { $0 == d }.count > 1 }) {
            throw TensorError("\(op): dimension \(d + 1) repeated")
        }
        return ds.sorted()
    }

    /// Applies `f(row, m)` to the contiguous run of reduced elements of each output
    /// (a general, slower path: inputs that keep inner dims are transposed first).
    public func reduce(_ dims: [Int]?, keepdim: Bool = false, _ op: String,
                       _ f: (UnsafePointer<Float>, Int) -> Float) throws -> Tensor {
        let ds = try reductionDims(dims, op)
        let lay = try ReductionLayout(self, dims: ds, keepdim: keepdim, forceRows: true)
        let out = try Tensor(uninitialized: lay.outShape)
        let q = out.ptr
        lay.forEachRow { r, p in q[r] = f(p, lay.m) }
        return out
    }

    /// Σ g(x) per output, then `finish(sum, m)`: sum, mean and the 1- and 2-norms.
    func sumReduce<G: UnaryFunction>(_ dims: [Int]?, keepdim: Bool, _ op: String, _ g: G.Type,
                                     _ finish: @escaping (Double, Int) -> Float) throws -> Tensor {
        let lay = try ReductionLayout(self, dims: try reductionDims(dims, op), keepdim: keepdim)
        let out = try Tensor(uninitialized: lay.outShape)
        let q = out.ptr, p = UnsafePointer(lay.x.ptr), m = lay.m
        if lay.isRows {
            if lay.count == 1 && lay.isPlainRows { q[0] = lay.x.withFloats { finish(rowSumParallel($0, m, g), m) }; return out }
            let len = lay.segLen
            if lay.isPlainRows {
                lay.forEachRow { r, row in q[r] = finish(rowSum(row, m, g), m) }
                return out
            }
            lay.forEachRow { r, row in
                var s = 0.0
                lay.forEachReduced { _, off in s += rowSum(row + off, len, g) }
                q[r] = finish(s, m)
            }
            return out
        }
        lay.forEachTile { o, src, n in
            tileSum(lay, p + src, n, g) { i, s in q[o + i] = finish(s, m) }
        }
        return out
    }

    public func sum(_ dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        if dtype == .int64 { return try int64Sum(dims, keepdim: keepdim) }   // exact, as torch
        return try sumReduce(dims, keepdim: keepdim, "sum", IdentityF.self) { s, _ in Float(s) }
    }

    public func mean(_ dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        try sumReduce(dims, keepdim: keepdim, "mean", IdentityF.self) { s, m in m == 0 ? .nan : Float(s / Double(m)) }
    }

    public func prod(_ dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        try reduce(dims, keepdim: keepdim, "prod") { p, m in
            var s = 1.0
            for i in 0..<m { s *= Double(p[i]) }
            return Float(s)
        }
    }

    /// Variance; `unbiased` divides by m − 1 (the default, as torch).
    public func variance(_ dims: [Int]? = nil, unbiased: Bool = true, keepdim: Bool = false) throws -> Tensor {
        try varianceReduce(dims, unbiased: unbiased, keepdim: keepdim, "var") { Float($0) }
    }

    public func std(_ dims: [Int]? = nil, unbiased: Bool = true, keepdim: Bool = false) throws -> Tensor {
        try varianceReduce(dims, unbiased: unbiased, keepdim: keepdim, "std") { Float($0.squareRoot()) }
    }

    func varianceReduce(_ dims: [Int]?, unbiased: Bool, keepdim: Bool, _ op: String,
                        _ finish: @escaping (Double) -> Float) throws -> Tensor {
        let lay = try ReductionLayout(self, dims: try reductionDims(dims, op), keepdim: keepdim)
        let out = try Tensor(uninitialized: lay.outShape)
        let q = out.ptr, p = UnsafePointer(lay.x.ptr), m = lay.m
        let denom = Double(unbiased ? m - 1 : m)
        if lay.isRows {
            if lay.count == 1 && lay.isPlainRows {
                q[0] = lay.x.withFloats { finish(rowVariance($0, m, unbiased: unbiased, parallel: true)) }
                return out
            }
            let len = lay.segLen
            if lay.isPlainRows {
                lay.forEachRow { r, row in q[r] = finish(rowVariance(row, m, unbiased: unbiased)) }
                return out
            }
            lay.forEachRow { r, row in
                var s = 0.0
                lay.forEachReduced { _, off in s += rowSum(row + off, len) }
                let mean = s / Double(m), c = Float(mean)
                var ss = 0.0
                lay.forEachReduced { _, off in ss += rowSum(row + off, len, SquareF.self, shift: c) }
                // Σ(x−c)² − m(μ−c)²: corrects for rounding the mean to float
                let d = mean - Double(c)
                q[r] = denom <= 0 ? .nan : finish(clampedVariance(ss - Double(m) * d * d) / denom)
            }
            return out
        }
        lay.forEachTile { o, src, n in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { mean in
                tileSum(lay, p + src, n, IdentityF.self) { i, s in mean[i] = Float(s / Double(m)) }
                tileSum(lay, p + src, n, SquareF.self, shift: UnsafePointer(mean.baseAddress!)) { i, s in
                    q[o + i] = denom <= 0 ? .nan : finish(s / denom)
                }
            }
        }
        return out
    }

    /// The p-norm (p = 1, 2, inf, or any positive number).
    public func norm(_ p: Double = 2, _ dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        guard p > 0 else { throw TensorError("norm: p must be positive, got \(p)") }
        if p == 2 { return try sumReduce(dims, keepdim: keepdim, "norm", SquareF.self) { s, _ in Float(s.squareRoot()) } }
        if p == 1 { return try sumReduce(dims, keepdim: keepdim, "norm", AbsF.self) { s, _ in Float(s) } }
        if p.isInfinite && numel > 0 { return try unary(AbsF.self).extremeAlong(dims, keepdim: keepdim, "norm", min: false) }
        return try reduce(dims, keepdim: keepdim, "norm") { x, m in
            if p.isInfinite { return 0 }   // empty
            var s = 0.0
            for i in 0..<m { s += Foundation.pow(Double(Swift.abs(x[i])), p) }
            return Float(Foundation.pow(s, 1 / p))
        }
    }

    public func logsumexp(_ dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        try reduce(dims, keepdim: keepdim, "logsumexp") { x, m in
            guard m > 0 else { return -.infinity }
            let mx = rowArgExtreme(x, m, min: false).0
            if !mx.isFinite { return mx }
            var s = 0.0
            for i in 0..<m { s += Foundation.exp(Double(x[i] - mx)) }
            return mx + Float(Foundation.log(s))
        }
    }

    /// Max or min over several dims (values only; NaN propagates).
    func extremeAlong(_ dims: [Int]?, keepdim: Bool, _ op: String, min: Bool) throws -> Tensor {
        let ds = try reductionDims(dims, op)
        guard !ds.contains(where: { shape[$0] == 0 }) else {
            throw TensorError("\(op): cannot reduce an empty dimension (shape \(shapeString(shape)))")
        }
        let lay = try ReductionLayout(self, dims: ds, keepdim: keepdim)
        let out = try Tensor(uninitialized: lay.outShape)
        let idx = try Tensor(uninitialized: lay.outShape, dtype: .int64)
        extremeFill(lay, out, idx, min: min)
        return out
    }
}
