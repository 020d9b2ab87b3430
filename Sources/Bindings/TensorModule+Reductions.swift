import LuaHost
import Tensor

extension TensorModule {
    /// Reductions. Without dims they reduce everything and return a number; with a dim
    /// or a table of dims they return a tensor (`keepdim` as the last argument):
    /// ```lua
    /// x:sum()            --> number
    /// x:sum(2)           -- over dimension 2
    /// x:mean({3, 4}, true)
    /// local v, i = x:max(2)   -- values and 1-based indices
    /// x:norm(1, 2)       -- L1 norm over dimension 2
    /// x:var(1, false)    -- biased (divide by n) variance
    /// ```
    static let reductionMethods: [LuaFunction] = [
        reduction("sum", "the sum", "w:abs():sum{2, 3, 4}") { t, d, k in try t.sum(d, keepdim: k) },
        reduction("mean", "the mean", "x:mean({3, 4}, true)") { t, d, k in try t.mean(d, keepdim: k) },
        reduction("prod", "the product", "x:prod(1)") { t, d, k in try t.prod(d, keepdim: k) },
        reduction("logsumexp", "log(sum(exp(x))), computed stably", "logits:logsumexp(2)") { t, d, k in
            try t.logsumexp(d, keepdim: k)
        },
        method("var", doc: """
            x:var(dims?, unbiased?, keepdim?) -> number | tensor
            The variance (unbiased, dividing by n - 1, unless unbiased is false) over dims or all.
            Example: local v = fmaps:var({3, 4})
            """) { L, t in
            try pushReduced(L, t.variance(try L.optDims(2, rank: t.dim), unbiased: try optBool(L, 3, true),
                                          keepdim: try optBool(L, 4, false)), L.isNoneOrNil(2))
        },
        method("std", doc: """
            x:std(dims?, unbiased?, keepdim?) -> number | tensor
            The standard deviation (unbiased unless unbiased is false) over dims or all.
            Example: local z = (x - x:mean()) / x:std()
            """) { L, t in
            try pushReduced(L, t.std(try L.optDims(2, rank: t.dim), unbiased: try optBool(L, 3, true),
                                     keepdim: try optBool(L, 4, false)), L.isNoneOrNil(2))
        },
        method("norm", doc: """
            x:norm(p?, dims?, keepdim?) -> number | tensor
            The p-norm (p = 2 by default; 1, math.huge or any p > 0) over dims or all.
            Example: local l1 = w:view(w:size(1), -1):norm(1, 2)
            """) { L, t in
            let p = try L.optNumber(2, 2)
            return try pushReduced(L, t.norm(p, try L.optDims(3, rank: t.dim), keepdim: try optBool(L, 4, false)), L.isNoneOrNil(3))
        },
        extremum("max", min: false), extremum("min", min: true),
        argExtremum("argmax", min: false), argExtremum("argmin", min: true),
        tensorMethod("cumsum", doc: """
            x:cumsum(dim) -> tensor
            Running sums along dimension dim.
            Example: local cdf = hist:cumsum(1) / hist:sum()
            """) { L, t in try t.cumsum(try L.checkDim(2, rank: t.dim)) },
    ]

    /// Pushes a number for a full reduction, else the tensor.
    static func pushReduced(_ L: Lua, _ r: Tensor, _ full: Bool) -> Int {
        if full && r.numel == 1 { pushElement(L, r) } else { L.push(r) }
        return 1
    }

    static func reduction(_ name: String, _ what: String, _ example: String,
                          _ f: @escaping (Tensor, [Int]?, Bool) throws -> Tensor) -> LuaFunction {
        method(name, doc: """
            x:\(name)(dims?, keepdim?) -> number | tensor
            \(what.prefix(1).uppercased() + what.dropFirst()) over all elements (a number) or over a dim or table of dims (a tensor).
            Example: local r = \(example)
            """) { L, t in
            let dims = try L.optDims(2, rank: t.dim)
            return pushReduced(L, try f(t, dims, try optBool(L, 3, false)), dims == nil)
        }
    }

    static func extremum(_ name: String, min: Bool) -> LuaFunction {
        method(name, doc: """
            x:\(name)(dim?, keepdim?) -> number | values, indices
            The \(min ? "smallest" : "largest") element (a number), or along dim the values and their 1-based int64 indices (first occurrence; NaN wins).
            Example: local v, i = scores:\(name)(1)
            """) { L, t in
            if L.isNoneOrNil(2) { L.push(Double(try t.extreme(min: min))); return 1 }
            let (v, i) = try t.maxAlong(try L.checkDim(2, rank: t.dim), keepdim: try optBool(L, 3, false), min: min)
            L.push(v); L.push(oneBased(i)); return 2
        }
    }

    static func argExtremum(_ name: String, min: Bool) -> LuaFunction {
        method(name, doc: """
            x:\(name)(dim?, keepdim?) -> number | tensor
            The 1-based position of the \(min ? "smallest" : "largest") element (flat index into all elements), or along dim an int64 tensor of indices.
            Example: local class = logits:\(name)(2)
            """) { L, t in
            if L.isNoneOrNil(2) {
                let (_, i) = try t.reshape([-1]).maxAlong(0, min: min)
                L.push(Int(i.withInt64s { $0[0] }) + 1); return 1
            }
            let (_, i) = try t.maxAlong(try L.checkDim(2, rank: t.dim), keepdim: try optBool(L, 3, false), min: min)
            L.push(oneBased(i)); return 1
        }
    }
}
