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
        binary("add", AddF.self), binary("sub", SubF.self), binary("mul", MulF.self),
        binary("div", DivF.self), binary("pow", PowF.self),
        binary("maximum", MaxF.self), binary("minimum", MinF.self),
        binary("eq", EqF.self), binary("ne", NeF.self), binary("lt", LtF.self),
        binary("le", LeF.self), binary("gt", GtF.self), binary("ge", GeF.self),
        unary("neg", NegF.self), unary("abs", AbsF.self), unary("exp", ExpF.self),
        unary("log", LogF.self), unary("sqrt", SqrtF.self), unary("relu", ReluF.self),
        unary("sigmoid", SigmoidF.self), unary("tanh", TanhF.self), unary("sign", SignF.self),
        unary("square", SquareF.self), unary("floor", FloorF.self), unary("ceil", CeilF.self),
        unary("round", RoundF.self),
        tensorMethod("clamp") { L, t in
            let lo = L.isNoneOrNil(2) ? nil : Float(try L.checkNumber(2))
            let hi = L.isNoneOrNil(3) ? nil : Float(try L.checkNumber(3))
            return try t.clamp(min: lo, max: hi)
        },
        LuaFunction("where") { L in
            L.push(try Tensor.where(try L.checkTensorLike(1), try L.checkTensorLike(2), try L.checkTensorLike(3)))
            return 1
        },
        tensorMethod("masked_select") { L, t in try t.maskedSelect(try L.checkTensorLike(2)) },
    ]

    static func binary<F: BinaryFunction>(_ name: String, _ f: F.Type) -> LuaFunction {
        LuaFunction(name) { L in
            L.push(try Tensor.binary(f, try L.checkTensorLike(1), try L.checkTensorLike(2), name))
            return 1
        }
    }

    static func unary<F: UnaryFunction>(_ name: String, _ f: F.Type) -> LuaFunction {
        tensorMethod(name) { _, t in t.unary(f) }
    }
}
