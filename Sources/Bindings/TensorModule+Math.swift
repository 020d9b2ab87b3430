import LuaHost
import Tensor

extension TensorModule {
    /// Element-wise math with NumPy broadcasting; numbers may stand for tensors:
    /// ```lua
    /// local y = (x - x:mean()) / x:std()
    /// x:abs():sqrt()   x:pow(2)   x:clamp(0, 6)   x:gt(0)   -- 0/1 mask
    /// tensor.where(x:gt(0), x, 0)
    /// ```
    static let mathMethods: [LuaFunction] = [
        binary("add", AddF.self, "x + y", "x:add(1)"),
        binary("sub", SubF.self, "x - y", "x:sub(x:mean())"),
        binary("mul", MulF.self, "x * y", "x:mul(mask)"),
        binary("div", DivF.self, "x / y", "x:div(x:norm())"),
        binary("pow", PowF.self, "x ^ y", "x:pow(2)"),
        binary("maximum", MaxF.self, "the larger of x and y (NaN if either is)", "x:maximum(0)"),
        binary("minimum", MinF.self, "the smaller of x and y (NaN if either is)", "x:minimum(6)"),
        binary("eq", EqF.self, "1 where x == y, else 0", "x:eq(0):sum()"),
        binary("ne", NeF.self, "1 where x ~= y, else 0", "x:ne(0):sum()"),
        binary("lt", LtF.self, "1 where x < y, else 0", "x:lt(0)"),
        binary("le", LeF.self, "1 where x <= y, else 0", "x:le(0)"),
        binary("gt", GtF.self, "1 where x > y, else 0", "x:gt(0):mean()"),
        binary("ge", GeF.self, "1 where x >= y, else 0", "x:ge(t)"),
        unary("neg", NegF.self, "-x", "x:neg()"),
        unary("abs", AbsF.self, "|x|", "w:abs():sum(2)"),
        unary("exp", ExpF.self, "e^x", "x:exp()"),
        unary("log", LogF.self, "the natural logarithm (NaN below 0, -inf at 0)", "p:log()"),
        unary("sqrt", SqrtF.self, "the square root", "v:sqrt()"),
        unary("relu", ReluF.self, "max(x, 0)", "x:relu()"),
        unary("sigmoid", SigmoidF.self, "1 / (1 + e^-x)", "x:sigmoid()"),
        unary("tanh", TanhF.self, "the hyperbolic tangent", "x:tanh()"),
        unary("sign", SignF.self, "-1, 0 or 1 by the sign of x", "x:sign()"),
        unary("square", SquareF.self, "x * x", "x:square():sum()"),
        unary("floor", FloorF.self, "rounded down", "x:floor()"),
        unary("ceil", CeilF.self, "rounded up", "x:ceil()"),
        unary("round", RoundF.self, "rounded to nearest, ties to even", "x:round()"),
        tensorMethod("clamp", doc: """
            x:clamp(min?, max?) -> tensor
            Limits every element to [min, max]; either bound may be nil.
            Example: local y = x:clamp(0, 6)
            """) { L, t in
            let lo = L.isNoneOrNil(2) ? nil : Float(try L.checkNumber(2))
            let hi = L.isNoneOrNil(3) ? nil : Float(try L.checkNumber(3))
            return try t.clamp(min: lo, max: hi)
        },
        LuaFunction("where", doc: """
            tensor.where(cond, a, b) -> tensor
            a where cond is non-zero, else b (all three broadcast; numbers allowed).
            Example: local y = tensor.where(x:gt(0), x, 0)
            """) { L in
            L.push(try Tensor.where(try L.checkTensorLike(1), try L.checkTensorLike(2), try L.checkTensorLike(3)))
            return 1
        },
        tensorMethod("masked_select", doc: """
            x:masked_select(mask) -> tensor
            The elements where mask (broadcast to x) is non-zero, as a 1-d tensor.
            Example: local pos = x:masked_select(x:gt(0))
            """) { L, t in try t.maskedSelect(try L.checkTensorLike(2)) },
    ]

    /// `x:name(y)` / `tensor.name(x, y)` with broadcasting; either side may be a number.
    static func binary<F: BinaryFunction>(_ name: String, _ f: F.Type, _ what: String, _ example: String) -> LuaFunction {
        LuaFunction(name, doc: """
            x:\(name)(y) -> tensor
            Element-wise \(what), broadcasting x and y (tensors or numbers).
            Example: local r = \(example)
            """) { L in
            L.push(try Tensor.binary(f, try L.checkTensorLike(1), try L.checkTensorLike(2), name))
            return 1
        }
    }

    static func unary<F: UnaryFunction>(_ name: String, _ f: F.Type, _ what: String, _ example: String) -> LuaFunction {
        tensorMethod(name, doc: """
            x:\(name)() -> tensor
            Element-wise \(what), as a new float32 tensor.
            Example: local r = \(example)
            """) { _, t in try t.unary(f) }
    }
}
