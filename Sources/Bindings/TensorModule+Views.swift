import CLua
import LuaHost
import Tensor

extension TensorModule {
    /// Shape queries and views (sharing storage):
    /// ```lua
    /// local x = tensor.randn(4, 6)
    /// x:shape()            --> {4, 6}
    /// x:view(2, -1)        -- 2 x 12, same storage
    /// x:narrow(2, 1, 3)    -- columns 1..3
    /// x:select(1, 2)       -- row 2 (also x[2])
    /// x:permute(2, 1)      -- transposed view
    /// ```
    static let viewMethods: [LuaFunction] = [
        method("shape") { L, t in L.push(ints: t.shape); return 1 },
        method("size") { L, t in
            if L.isNoneOrNil(2) { L.push(ints: t.shape); return 1 }
            L.push(t.shape[try L.checkDim(2, rank: t.dim)]); return 1
        },
        method("dim") { L, t in L.push(t.dim); return 1 },
        method("numel") { L, t in L.push(t.numel); return 1 },
        method("dtype") { L, t in L.push(t.dtype.rawValue); return 1 },
        method("stride") { L, t in L.push(ints: t.strides); return 1 },
        method("is_contiguous") { L, t in L.push(t.isContiguous); return 1 },
        tensorMethod("view") { L, t in try t.view(try L.checkShape(from: 2, allowInfer: true)) },
        tensorMethod("reshape") { L, t in try t.reshape(try L.checkShape(from: 2, allowInfer: true)) },
        tensorMethod("permute") { L, t in
            let p = try L.checkShape(from: 2)
            guard p.count == t.dim, p.allSatisfy({ $0 >= 1 && $0 <= t.dim }) else {
                throw LuaError.argument(2, "expected a permutation of 1..\(t.dim), got \(shapeString(p))")
            }
            return try t.permute(p.map { $0 - 1 })
        },
        tensorMethod("transpose") { L, t in
            if t.dim == 2 && L.isNoneOrNil(2) { return try t.transpose(0, 1) }
            return try t.transpose(try L.checkDim(2, rank: t.dim), try L.checkDim(3, rank: t.dim))
        },
        tensorMethod("t") { L, t in
            guard t.dim <= 2 else { throw LuaError.message("t: expected a tensor with at most 2 dimensions, got \(shapeString(t.shape))") }
            return t.dim < 2 ? t : try t.transpose(0, 1)
        },
        tensorMethod("narrow") { L, t in
            let d = try L.checkDim(2, rank: t.dim)
            let start = try L.checkInteger(3), len = try L.checkInteger(4)
            guard start >= 1 else { throw LuaError.argument(3, "start must be >= 1 (indices are 1-based), got \(start)") }
            return try t.narrow(d, start - 1, len)
        },
        method("select") { L, t in
            let d = try L.checkDim(2, rank: t.dim)
            let i = try L.checkInteger(3)
            guard i != 0 else { throw LuaError.argument(3, "index 0 is invalid (indices are 1-based)") }
            let v = try t.select(d, i > 0 ? i - 1 : i)
            L.push(v); return 1
        },
        tensorMethod("squeeze") { L, t in
            L.isNoneOrNil(2) ? try t.squeeze() : try t.squeeze(try L.checkDim(2, rank: t.dim))
        },
        tensorMethod("unsqueeze") { L, t in try t.unsqueeze(try L.checkDim(2, rank: t.dim + 1)) },
        tensorMethod("expand") { L, t in try t.expand(try L.checkShape(from: 2, allowInfer: true)) },
        tensorMethod("expand_as") { L, t in try t.expand(try L.checkTensor(2).shape) },
        tensorMethod("flatten") { L, t in
            let a = try L.isNoneOrNil(2) ? 0 : L.checkDim(2, rank: t.dim)
            let b = try L.isNoneOrNil(3) ? -1 : L.checkDim(3, rank: t.dim)
            return try t.flatten(a, b)
        },
        tensorMethod("contiguous") { _, t in t.contiguous() },
        tensorMethod("clone") { _, t in t.clone() },
        tensorMethod("float") { _, t in t.toFloat() },
        tensorMethod("long") { _, t in try t.toInt64() },
        method("item") { L, t in L.push(try t.item()); return 1 },
        method("totable") { L, t in
            if t.dim == 0 { L.push(t.value(at: [])); return 1 }
            let vals = t.toArray()
            var k = 0
            func build(_ d: Int) {
                L.newTable(array: Int32(t.shape[d]))
                for i in 0..<t.shape[d] {
                    if d == t.dim - 1 { L.push(vals[k]); k += 1 } else { build(d + 1) }
                    L.setIndex(-2, i + 1)
                }
            }
            build(0)
            return 1
        },
        method("fill") { L, t in
            t.fill(Float(try L.checkNumber(2)))
            L.pushValue(1); return 1
        },
        method("zero") { L, t in
            t.fill(0)
            L.pushValue(1); return 1
        },
        method("copy") { L, t in
            try t.copy(from: try L.checkTensorLike(2))
            L.pushValue(1); return 1
        },
    ]
}
