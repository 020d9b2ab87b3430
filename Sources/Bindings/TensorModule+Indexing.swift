import CLua
import LuaHost
import Tensor

extension TensorModule {
    /// Index-based ops; every index in and out is 1-based:
    /// ```lua
    /// local v, i = scores:topk(8)            -- 8 largest along the last dim
    /// local s, order = x:sort(1, true)       -- descending along dim 1
    /// w:index_select(1, keep)   x:gather(2, idx)   x:scatter(2, idx, 1)   x:argsort()
    /// tensor.cat({a, b}, 2)   tensor.stack({a, b})
    /// ```
    static let indexMethods: [LuaFunction] = [
        method("topk", doc: """
            x:topk(k, dim?, largest?) -> values, indices
            The k largest (smallest if largest is false) entries along dim (default: the last), in order, with their 1-based int64 indices. Ties keep index order; NaN counts as largest.
            Example: local v, keep = scores:topk(16)
            """) { L, t in
            let k = try L.checkInteger(2)
            let d = L.isNoneOrNil(3) ? -1 : try L.checkDim(3, rank: t.dim)
            let (v, i) = try t.topk(k, d, largest: try optBool(L, 4, true))
            L.push(v); L.push(oneBased(i)); return 2
        },
        method("sort", doc: """
            x:sort(dim?, descending?) -> values, indices
            Sorts along dim (default: the last), stably, returning values and their 1-based int64 indices. NaN sorts as largest.
            Example: local s, order = scores:sort(1, true)
            """) { L, t in
            let d = L.isNoneOrNil(2) ? -1 : try L.checkDim(2, rank: t.dim)
            let (v, i) = try t.sort(d, descending: try optBool(L, 3, false))
            L.push(v); L.push(oneBased(i)); return 2
        },
        tensorMethod("argsort", doc: """
            x:argsort(dim?, descending?) -> int64 tensor
            The 1-based positions that sort x along dim (default: the last), stably: equal values keep their order; NaN sorts as largest.
            Example: local order = tensor.new{3, 1, 2}:argsort()   -- {2, 3, 1}
            """) { L, t in
            let d = L.isNoneOrNil(2) ? -1 : try L.checkDim(2, rank: t.dim)
            return oneBased(try t.argsort(d, descending: try optBool(L, 3, false)))
        },
        tensorMethod("index_select", doc: """
            x:index_select(dim, idx) -> tensor
            The entries idx (1-based; an int64 tensor, integral floats or a table) of dimension dim, in that order.
            Example: local kept = w:index_select(1, tensor.new{1, 4, 5})
            """) { L, t in
            let d = try L.checkDim(2, rank: t.dim)
            return try t.indexSelect(d, try indexArgument(L, 3), base: 1)
        },
        tensorMethod("gather", doc: """
            x:gather(dim, idx) -> tensor
            Picks along dim by idx (1-based, same rank as x): out[i][j] = x[i][idx[i][j]] for dim 2.
            Example: local picked = probs:gather(2, labels:view(-1, 1))
            """) { L, t in
            let d = try L.checkDim(2, rank: t.dim)
            return try t.gather(d, try indexArgument(L, 3), base: 1)
        },
        tensorMethod("index_fill", doc: """
            x:index_fill(dim, idx, v) -> tensor
            A copy of x with the entries idx (1-based; an int64 tensor, integral floats, a table or a number) of dimension dim set to the number v.
            Example: local w2 = w:index_fill(1, {2, 4}, 0)   -- rows 2 and 4 zeroed
            """) { L, t in
            let d = try L.checkDim(2, rank: t.dim)
            return try t.indexFill(d, try indexArgument(L, 3), try valueArgument(L, 4, tensors: false), base: 1)
        },
        tensorMethod("scatter", doc: """
            x:scatter(dim, idx, src) -> tensor
            A copy of x with src written where idx (1-based, same rank as x) points along dim: out[idx[i][j]][j] = src[i][j] for dim 1. src is a tensor at least as large as idx, or a number.
            Example: local onehot = tensor.zeros(3, 4):scatter(2, tensor.new{{2}, {1}, {4}}, 1)
            """) { L, t in
            let d = try L.checkDim(2, rank: t.dim)
            return try t.scatter(d, try indexArgument(L, 3), try valueArgument(L, 4, tensors: true), base: 1)
        },
    ]

    /// Module functions taking a list of tensors.
    static let joinFunctions: [LuaFunction] = [
        LuaFunction("cat", doc: """
            tensor.cat({t1, t2, ...}, dim?) -> tensor
            Concatenates along dim (default 1); shapes must agree elsewhere.
            Example: local both = tensor.cat({a, b}, 2)
            """) { L in
            let ts = try tensorList(L, 1)
            let d = L.isNoneOrNil(2) ? 0 : try L.checkDim(2, rank: max(ts.first?.dim ?? 1, 1))
            L.push(try Tensor.cat(ts, d)); return 1
        },
        LuaFunction("stack", doc: """
            tensor.stack({t1, t2, ...}, dim?) -> tensor
            Stacks tensors of one shape along a new dimension dim (default 1).
            Example: local batch = tensor.stack({img1, img2})
            """) { L in
            let ts = try tensorList(L, 1)
            let d = L.isNoneOrNil(2) ? 0 : try L.checkDim(2, rank: (ts.first?.dim ?? 0) + 1)
            L.push(try Tensor.stack(ts, d)); return 1
        },
    ]

    /// An index argument: a tensor, a number or a table of numbers.
    static func indexArgument(_ L: Lua, _ i: Int32) throws -> Tensor {
        if let t = try L.tensor(i) { return t }
        if L.isNumber(i) || L.isTable(i) { return try L.checkTensorLike(i) }
        throw L.typeError(i, "index tensor or table")
    }

    /// A value argument as a 0-d tensor: a Lua integer as int64 (so int64 tensors get
    /// it exactly), another number as float32; a tensor too when `tensors` is true.
    static func valueArgument(_ L: Lua, _ i: Int32, tensors: Bool) throws -> Tensor {
        if L.isInteger(i) { return try Tensor(int64: Int64(clua_tointeger(L.state, i))) }
        if L.isNumber(i), let v = L.toNumber(i) { return try Tensor(scalar: Float(v)) }
        if tensors, let t = try L.tensor(i) { return t }
        throw L.typeError(i, tensors ? "number or tensor" : "number")
    }

    /// A non-empty Lua array of tensors at `i`.
    static func tensorList(_ L: Lua, _ i: Int32) throws -> [Tensor] {
        try L.checkTable(i)
        guard L.rawLength(i) > 0 else { throw LuaError.argument(Int(i), "expected a non-empty list of tensors") }
        return try L.checkTensorList(i) { k, type in "list entry \(k) is a \(type), expected a tensor" }
    }
}
