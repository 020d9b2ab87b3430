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
        reduction("sum") { t, d, k in try t.sum(d, keepdim: k) },
        reduction("mean") { t, d, k in try t.mean(d, keepdim: k) },
        reduction("prod") { t, d, k in try t.prod(d, keepdim: k) },
        reduction("logsumexp") { t, d, k in try t.logsumexp(d, keepdim: k) },
        method("var") { L, t in try pushReduced(L, t.variance(try L.optDims(2, rank: t.dim), unbiased: try optBool(L, 3, true), keepdim: try optBool(L, 4, false)), L.isNoneOrNil(2)) },
        method("std") { L, t in try pushReduced(L, t.std(try L.optDims(2, rank: t.dim), unbiased: try optBool(L, 3, true), keepdim: try optBool(L, 4, false)), L.isNoneOrNil(2)) },
        method("norm") { L, t in
            let p = try L.optNumber(2, 2)
            return try pushReduced(L, t.norm(p, try L.optDims(3, rank: t.dim), keepdim: try optBool(L, 4, false)), L.isNoneOrNil(3))
        },
        extremum("max", min: false), extremum("min", min: true),
        argExtremum("argmax", min: false), argExtremum("argmin", min: true),
        tensorMethod("cumsum") { L, t in try t.cumsum(try L.checkDim(2, rank: t.dim)) },
    ]

    static func optBool(_ L: Lua, _ i: Int32, _ d: Bool) throws -> Bool {
        L.isNoneOrNil(i) ? d : try L.checkBool(i)
    }

    /// Pushes a number for a full reduction, else the tensor.
    static func pushReduced(_ L: Lua, _ r: Tensor, _ full: Bool) -> Int {
        if full && r.numel == 1 { L.push(r.value(at: [Int](repeating: 0, count: r.dim))) } else { L.push(r) }
        return 1
    }

    static func reduction(_ name: String, _ f: @escaping (Tensor, [Int]?, Bool) throws -> Tensor) -> LuaFunction {
        method(name) { L, t in
            let dims = try L.optDims(2, rank: t.dim)
            return pushReduced(L, try f(t, dims, try optBool(L, 3, false)), dims == nil)
        }
    }

    static func extremum(_ name: String, min: Bool) -> LuaFunction {
        method(name) { L, t in
            if L.isNoneOrNil(2) { L.push(Double(try t.extreme(min: min))); return 1 }
            let (v, i) = try t.maxAlong(try L.checkDim(2, rank: t.dim), keepdim: try optBool(L, 3, false), min: min)
            L.push(v); L.push(oneBased(i)); return 2
        }
    }

    static func argExtremum(_ name: String, min: Bool) -> LuaFunction {
        method(name) { L, t in
            if L.isNoneOrNil(2) {
                let (_, i) = try t.reshape([-1]).maxAlong(0, min: min)
                L.push(Int(i.iptr[0]) + 1); return 1
            }
            let (_, i) = try t.maxAlong(try L.checkDim(2, rank: t.dim), keepdim: try optBool(L, 3, false), min: min)
            L.push(oneBased(i)); return 1
        }
    }

    /// Adds 1 to a fresh int64 index tensor in place (Swift's indices are 0-based).
    static func oneBased(_ i: Tensor) -> Tensor {
        for k in 0..<i.numel { i.iptr[k] += 1 }
        return i
    }
}
