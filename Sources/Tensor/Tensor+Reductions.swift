import Foundation

/// Reductions over all elements or over given dimensions (0-based), with keepdim.
/// The reduced dimensions are moved last and made contiguous, then each row is reduced
/// by a fixed partition of rows across threads (deterministic).
extension Tensor {
    /// Normalises a list of dims (negative from the end; empty = all); checks range
    /// and duplicates.
    public func reductionDims(_ dims: [Int]?, _ op: String) throws -> [Int] {
        guard let dims, !dims.isEmpty else { return Array(0..<dim) }
        let ds = try dims.map { try checkDim($0, op) }
        guard Set(ds).count == ds.count else {
            throw TensorError("\(op): dimension \(ds.first { d in ds.filter { $0 == d }.count > 1 }! + 1) repeated")
        }
        return ds.sorted()
    }

    /// Rows to reduce: (contiguous [rows, m] data, rows, m, output shape).
    func reductionRows(_ dims: [Int], keepdim: Bool) throws -> (Tensor, Int, Int, [Int]) {
        let kept = (0..<dim).filter { !dims.contains($0) }
        let x = try toFloat().permute(kept + dims).contiguous()
        let m = dims.map { shape[$0] }.reduce(1, *)
        let rows = kept.map { shape[$0] }.reduce(1, *)
        let outShape = keepdim ? (0..<dim).map { dims.contains($0) ? 1 : shape[$0] } : kept.map { shape[$0] }
        return (x, rows, m, outShape)
    }

    /// Applies `f(row, m)` to each row of the reduced layout.
    public func reduce(_ dims: [Int]?, keepdim: Bool = false, _ op: String,
                       _ f: (UnsafePointer<Float>, Int) -> Float) throws -> Tensor {
        let ds = try reductionDims(dims, op)
        let (x, rows, m, outShape) = try reductionRows(ds, keepdim: keepdim)
        let out = Tensor(uninitialized: outShape)
        let p = x.ptr, q = out.ptr
        Parallel.ranges(rows, grain: Swift.max(1, 65536 / Swift.max(m, 1))) { lo, hi in
            for r in lo..<hi { q[r] = f(p + r * m, m) }
        }
        return out
    }

    public func sum(_ dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        try reduce(dims, keepdim: keepdim, "sum") { Float(rowSum($0, $1)) }
    }

    public func mean(_ dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        try reduce(dims, keepdim: keepdim, "mean") { $1 == 0 ? .nan : Float(rowSum($0, $1) / Double($1)) }
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
        try reduce(dims, keepdim: keepdim, "var") { p, m in Float(rowVariance(p, m, unbiased: unbiased)) }
    }

    public func std(_ dims: [Int]? = nil, unbiased: Bool = true, keepdim: Bool = false) throws -> Tensor {
        try reduce(dims, keepdim: keepdim, "std") { p, m in Float(rowVariance(p, m, unbiased: unbiased).squareRoot()) }
    }

    /// The p-norm (p = 1, 2, inf, or any positive number).
    public func norm(_ p: Double = 2, _ dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        guard p > 0 else { throw TensorError("norm: p must be positive, got \(p)") }
        return try reduce(dims, keepdim: keepdim, "norm") { x, m in
            if p == 2 {
                var s = 0.0
                for i in 0..<m { s += Double(x[i]) * Double(x[i]) }
                return Float(s.squareRoot())
            } else if p == 1 {
                var s = 0.0
                for i in 0..<m { s += Double(Swift.abs(x[i])) }
                return Float(s)
            } else if p.isInfinite {
                var s: Float = 0
                for i in 0..<m { s = Swift.max(s, Swift.abs(x[i])) }
                return s
            }
            var s = 0.0
            for i in 0..<m { s += Foundation.pow(Double(Swift.abs(x[i])), p) }
            return Float(Foundation.pow(s, 1 / p))
        }
    }

    public func logsumexp(_ dims: [Int]? = nil, keepdim: Bool = false) throws -> Tensor {
        try reduce(dims, keepdim: keepdim, "logsumexp") { x, m in
            var mx = -Float.infinity
            for i in 0..<m { mx = Swift.max(mx, x[i]) }
            if !mx.isFinite { return mx }
            var s = 0.0
            for i in 0..<m { s += Foundation.exp(Double(x[i] - mx)) }
            return mx + Float(Foundation.log(s))
        }
    }

    /// Max (or min) over one dimension: values and 0-based int64 indices (first
    /// occurrence; NaN propagates as the maximum, as torch).
    public func maxAlong(_ d: Int, keepdim: Bool = false, min: Bool = false) throws -> (Tensor, Tensor) {
        let op = min ? "min" : "max"
        guard numel > 0 else { throw TensorError("\(op): cannot reduce an empty tensor") }
        let dd = try checkDim(d, op)
        let (x, rows, m, outShape) = try reductionRows(dim == 0 ? [] : [dd], keepdim: keepdim)
        let vals = Tensor(uninitialized: outShape), idx = Tensor(uninitialized: outShape, dtype: .int64)
        let p = x.ptr
        Parallel.ranges(rows, grain: Swift.max(1, 65536 / Swift.max(m, 1))) { lo, hi in
            for r in lo..<hi {
                let (v, i) = rowArgExtreme(p + r * m, m, min: min)
                vals.ptr[r] = v
                idx.iptr[r] = Int64(i)
            }
        }
        return (vals, idx)
    }

    /// Max or min over all elements (NaN if any is NaN).
    public func extreme(min: Bool) throws -> Float {
        guard numel > 0 else { throw TensorError("\(min ? "min" : "max"): cannot reduce an empty tensor") }
        let x = toFloat().contiguous()
        return rowArgExtreme(x.ptr, numel, min: min).0
    }

    /// Running sum along a dimension.
    public func cumsum(_ d: Int) throws -> Tensor {
        let dd = try checkDim(d, "cumsum")
        if dim == 0 { return clone() }
        var perm = (0..<dim).filter { $0 != dd }
        perm.append(dd)
        let x = try toFloat().permute(perm).contiguous()
        let m = shape[dd], rows = numel / Swift.max(m, 1)
        let out = Tensor(uninitialized: x.shape)
        for r in 0..<rows {
            var s = 0.0
            for i in 0..<m { s += Double(x.ptr[r * m + i]); out.ptr[r * m + i] = Float(s) }
        }
        var inv = [Int](repeating: 0, count: dim)
        for (i, p) in perm.enumerated() { inv[p] = i }
        return try out.permute(inv).contiguous()
    }
}

/// Sum of a contiguous row, accumulated in 8 float lanes per block and Double overall.
@inlinable
public func rowSum(_ p: UnsafePointer<Float>, _ m: Int) -> Double {
    var total = 0.0
    var i = 0
    while i + 1024 <= m {
        var acc = SIMD8<Float>()
        var j = i
        while j < i + 1024 {
            acc += UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Float>.self)
            j += 8
        }
        total += Double(acc.sum())
        i += 1024
    }
    while i < m { total += Double(p[i]); i += 1 }
    return total
}

@inlinable
public func rowVariance(_ p: UnsafePointer<Float>, _ m: Int, unbiased: Bool) -> Double {
    let denom = unbiased ? m - 1 : m
    if denom <= 0 { return .nan }
    let mean = rowSum(p, m) / Double(m)
    var s = 0.0
    for i in 0..<m { let d = Double(p[i]) - mean; s += d * d }
    return s / Double(denom)
}

@inlinable
public func rowArgExtreme(_ p: UnsafePointer<Float>, _ m: Int, min: Bool) -> (Float, Int) {
    var best = p[0], bi = 0
    if best.isNaN { return (best, 0) }
    for i in 1..<Swift.max(m, 1) {
        let v = p[i]
        if v.isNaN { return (v, i) }
        if min ? v < best : v > best { best = v; bi = i }
    }
    return (best, bi)
}
