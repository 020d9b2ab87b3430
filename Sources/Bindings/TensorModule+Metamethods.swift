import CLua
import LuaHost
import Tensor

extension TensorModule {
    /// `x + y`, `x[i]`, `x[i] = v`, `#x`, `tostring(x)`… Arithmetic accepts numbers on
    /// either side.
    static let metamethods: [LuaFunction] = [
        arith("__add", AddF.self, "add"), arith("__sub", SubF.self, "sub"),
        arith("__mul", MulF.self, "mul"), arith("__div", DivF.self, "div"),
        arith("__pow", PowF.self, "pow"),
        LuaFunction("__unm", doc: """
            -x -> tensor
            Element-wise negation.
            Example: local y = -x
            """) { L in L.push(try L.checkTensor(1).unary(NegF.self)); return 1 },
        LuaFunction("__len", doc: """
            #x -> number
            The size of dimension 1 (1 for a 0-d tensor).
            Example: for i = 1, #x do print(x[i]) end
            """) { L in
            let t = try L.checkTensor(1)
            L.push(t.dim == 0 ? 1 : t.shape[0]); return 1
        },
        LuaFunction("__tostring", doc: """
            tostring(x) -> string
            NumPy-style text with a shape and dtype footer (long tensors summarised).
            Example: print(x)
            """) { L in L.push(try L.checkTensor(1).formatted()); return 1 },
        LuaFunction("__newindex", doc: """
            x[i] = number | tensor;  x[mask] = number | tensor
            Fills entry i of dimension 1 with a number, or copies a tensor (broadcast) into it. With a mask (a 0/1 tensor of x's shape, as x:gt(0) returns): writes a number to every selected element, or a tensor's values (one per selected element, row-major) in order.
            Example: x[1] = 0; x[2] = tensor.ones(x:size(2)); x[x:lt(0)] = 0
            """) { L in
            let t = try L.checkTensor(1)
            if let mask = try L.tensor(2) {
                try t.maskedAssign(mask, try valueArgument(L, 3, tensors: true))
                return 0
            }
            guard L.isNumber(2) else {
                throw LuaError.message("tensor: cannot set field '\(L.toString(2) ?? L.typeName(2))' (only integer indices and masks can be assigned)")
            }
            let target = try t.select(0, try index(L, t, 2))
            if L.isInteger(3) { target.fill(int64: Int64(clua_tointeger(L.state, 3))) }   // exact into int64
            else if let v = L.toNumber(3) { target.fill(Float(v)) }
            else if let src = try L.tensor(3) {
                do { try target.copy(from: src) } catch let e as TensorError {
                    throw LuaError.message("tensor assignment: \(e.message)")
                }
            } else { throw L.typeError(3, "number or tensor") }
            return 0
        },
    ]

    static let indexDoc = """
        x[i] | x[mask] | x.method
        Entry i of dimension 1 (1-based, negative from the end): a number for a 1-d tensor, else a view. With a mask (a 0/1 tensor of x's shape): the selected elements as a new 1-d tensor, row-major.
        Example: local row = x[2]; local v = x[2][3]; local pos = x[x:gt(0)]
        """

    /// `x[i]` and `x[mask]` (methods are found first, by the generic `__index`).
    static let item: (Lua, Tensor) throws -> Int = { L, t in
        if let mask = try L.tensor(2) { L.push(try t.maskedValues(mask)); return 1 }
        guard L.isNumber(2) else { L.pushNil(); return 1 }
        let v = try t.select(0, try index(L, t, 2))
        if v.dim == 0 { pushElement(L, v) } else { L.push(v) }
        return 1
    }

    /// A 1-based (or negative) index into dimension 1 of `t`, as 0-based.
    static func index(_ L: Lua, _ t: Tensor, _ arg: Int32) throws -> Int {
        guard t.dim > 0 else { throw LuaError.message("tensor: cannot index a 0-d tensor") }
        let i = try L.checkInteger(arg), n = t.shape[0]
        let z = i > 0 ? i - 1 : i + n
        guard i != 0, z >= 0, z < n else {
            throw LuaError.message("index \(i) out of range for dimension 1 of size \(n)")
        }
        return z
    }

    static let symbol = ["add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"]

    static func arith<F: BinaryFunction>(_ name: String, _ f: F.Type, _ op: String) -> LuaFunction {
        LuaFunction(name, doc: """
            x \(symbol[op] ?? op) y -> tensor
            Element-wise \(op) with broadcasting; either side may be a number.
            Example: local y = 2 \(symbol[op] ?? op) x
            """) { L in
            if let i = int64Op[op], let a = try int64Operand(L, 1), let b = try int64Operand(L, 2) {
                L.push(try Tensor.int64Binary(i, a, b, op))   // int64 op int64 (or an integer) stays int64
                return 1
            }
            let a = try L.checkTensorLike(1), b = try L.checkTensorLike(2)
            L.push(try Tensor.binary(f, a, b, op))
            return 1
        }
    }

    static let int64Op: [String: Tensor.Int64Op] = ["add": .add, "sub": .sub, "mul": .mul]

    /// An int64 tensor, or a Lua integer as a 0-d int64 tensor; nil otherwise.
    static func int64Operand(_ L: Lua, _ i: Int32) throws -> Tensor? {
        if L.isInteger(i) { return try Tensor(int64: Int64(clua_tointeger(L.state, i))) }
        guard let t = try? L.tensor(i), t.dtype == .int64 else { return nil }
        return t
    }

    /// Pushes the single element of a 0-d view: a Lua integer for int64, else a float.
    static func pushElement(_ L: Lua, _ t: Tensor) {
        let at = [Int](repeating: 0, count: t.dim)
        if t.dtype == .int64 { L.push(Int(t.int64Value(at: at))) } else { L.push(t.value(at: at)) }
    }
}
