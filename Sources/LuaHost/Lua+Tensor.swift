import CLua
import Tensor

/// Tensors on the Lua stack, and the argument conventions of the tensor API:
/// 1-based dimensions (negative ones count from the end), shapes given as varargs or
/// a table, and "tensor-like" values (tensors, numbers, nested tables).
extension Lua {
    public static let tensorType = "tensor"

    public func push(_ t: Tensor) { pushObject(t, as: Lua.tensorType) }

    /// The tensor at `i`, or nil if the value is not a tensor.
    public func tensor(_ i: Int32) throws -> Tensor? {
        try object(i, of: Lua.tensorType) as? Tensor
    }

    public func checkTensor(_ i: Int32) throws -> Tensor {
        guard let t = try tensor(i) else { throw typeError(i, "tensor") }
        return t
    }

    /// A tensor, a number (as a 0-d tensor) or a nested table of numbers.
    public func checkTensorLike(_ i: Int32) throws -> Tensor {
        if let t = try tensor(i) { return t }
        if let v = toNumber(i) { return try Tensor(scalar: Float(v)) }
        if isTable(i) { return try tensorFromTable(i) }
        throw typeError(i, "tensor or number")
    }

    /// The tensors of the Lua array at `i` (a table); an entry that is not a tensor is an
    /// argument error whose text `notATensor(k, its type name)` gives.
    public func checkTensorList(_ i: Int32, _ notATensor: (Int, String) -> String) throws -> [Tensor] {
        try checkTable(i)
        var out: [Tensor] = []
        for k in stride(from: 1, through: rawLength(i), by: 1) {
            rawIndex(i, k)
            defer { pop() }
            guard let t = try tensor(-1) else { throw LuaError.argument(Int(i), notATensor(k, typeName(-1))) }
            out.append(t)
        }
        return out
    }

    /// Builds a float32 tensor from nested tables (`{{1, 2}, {3, 4}}`), checking that
    /// it is rectangular and holds only numbers.
    public func tensorFromTable(_ i: Int32, argument: Int32? = nil) throws -> Tensor {
        let arg = Int(argument ?? i)
        var shape: [Int] = []
        var values: [Float] = []
        // The shape follows the first element at each depth ...
        var pushed: Int32 = 0
        pushValue(i); pushed += 1
        while true {
            guard shape.count < 16 else { pop(pushed); throw LuaError.argument(arg, "table nested too deeply (cycle?)") }
            let n = rawLength(-1)
            shape.append(n)
            if n == 0 { break }
            let ty = rawIndex(-1, 1); pushed += 1
            if ty != LUA_TTABLE { break }
        }
        pop(pushed)
        // ... and every other element must agree with it.
        func walk(_ t: Int32, depth: Int) throws {
            let n = rawLength(t)
            guard n == shape[depth] else {
                throw LuaError.argument(arg, "ragged nested table: a row at depth \(depth + 1) has \(n) elements, expected \(shape[depth])")
            }
            for k in stride(from: 1, through: n, by: 1) {
                let ty = rawIndex(t, k)
                defer { pop() }
                if depth == shape.count - 1 {
                    guard ty == LUA_TNUMBER else {
                        if let tt = try tensor(-1) {
                            throw LuaError.argument(arg, "nested table holds a tensor of shape \(shapeString(tt.shape)); use tensor.stack")
                        }
                        throw LuaError.argument(arg, "nested table holds a \(typeName(-1)) where a number was expected")
                    }
                    values.append(Float(clua_tonumber(state, -1)))
                } else {
                    guard ty == LUA_TTABLE else {
                        throw LuaError.argument(arg, "ragged nested table: \(typeName(-1)) where a table was expected at depth \(depth + 2)")
                    }
                    try walk(absIndex(-1), depth: depth + 1)
                }
            }
        }
        try walk(absIndex(i), depth: 0)
        guard values.count == shape.reduce(1, *) else {
            throw LuaError.argument(arg, "ragged nested table")
        }
        return try Tensor(shape: shape, values: values)
    }

    /// A shape from varargs `(2, 3, 4)` starting at `i`, or a table `{2, 3, 4}` at `i`.
    public func checkShape(from i: Int32, allowInfer: Bool = false) throws -> [Int] {
        var dims: [Int] = []
        if isTable(i) {
            for k in 1...max(rawLength(i), 1) where rawLength(i) > 0 {
                rawIndex(i, k)
                defer { pop() }
                guard let v = toNumber(-1), v.isFinite, v == v.rounded(), Swift.abs(v) < 9e15 else {
                    throw LuaError.argument(Int(i), "shape entry \(k) must be an integer, got \(typeName(-1))")
                }
                dims.append(Int(v))
            }
        } else {
            var k = i
            while k <= top && !isNoneOrNil(k) {
                dims.append(try checkInteger(k))
                k += 1
            }
            // a nil among the sizes (an unset variable: zeros(n, m, c) with m nil) is an error,
            // not the end of the shape
            if k < top, (k + 1...top).contains(where: { type($0) == LUA_TNUMBER }) {
                throw LuaError.argument(Int(k), "size \(k - i + 1) of the shape is nil (sizes follow it)")
            }
        }
        guard dims.count <= Tensor.maxDims else {
            throw LuaError.argument(Int(i), "too many dimensions (\(dims.count); at most \(Tensor.maxDims))")
        }
        for (k, d) in dims.enumerated() where d < 0 && !(allowInfer && d == -1) {
            throw LuaError.argument(Int(i), "invalid size \(d) at position \(k + 1) of the shape")
        }
        return dims
    }

    /// A 1-based dimension (negative counts from the end) as a 0-based one, checked
    /// against `rank` (pass rank + 1 for an insertion point).
    public func checkDim(_ i: Int32, rank: Int) throws -> Int {
        let d = try checkInteger(i)
        return try dimIndex(d, rank: rank, arg: i)
    }

    public func dimIndex(_ d: Int, rank: Int, arg: Int32) throws -> Int {
        let r = max(rank, 1)
        let z = d > 0 ? d - 1 : d + r
        guard d != 0, z >= 0, z < r else {
            throw LuaError.argument(Int(arg), "dimension \(d) out of range (expected 1..\(r) or -\(r)..-1)")
        }
        return z
    }

    /// Dims for a reduction: none/nil = all, a number, or a table of numbers.
    public func optDims(_ i: Int32, rank: Int) throws -> [Int]? {
        if isNoneOrNil(i) { return nil }
        if isNumber(i) { return [try checkDim(i, rank: rank)] }
        guard isTable(i) else { throw typeError(i, "number or table of dims") }
        var ds: [Int] = []
        for k in 1...max(rawLength(i), 1) where rawLength(i) > 0 {
            rawIndex(i, k)
            defer { pop() }
            guard let v = toNumber(-1), v == v.rounded(), v.isFinite, Swift.abs(v) < 9e15 else {
                throw LuaError.argument(Int(i), "dims must be integers, got \(typeName(-1)) at position \(k)")
            }
            ds.append(try dimIndex(Int(v), rank: rank, arg: i))
        }
        return ds
    }
}
