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
    static let viewMethods: [LuaFunction] = queryMethods + reshapeMethods + copyMethods

    static let queryMethods: [LuaFunction] = [
        method("shape", doc: """
            x:shape() -> {d1, d2, ...}
            The sizes of every dimension, as a table.
            Example: local n, c = table.unpack(x:shape())
            """) { L, t in L.push(ints: t.shape); return 1 },
        method("size", doc: """
            x:size(dim?) -> number | table
            The size of dimension dim (1-based, negative from the end), or the shape.
            Example: local channels = x:size(2)
            """) { L, t in
            if L.isNoneOrNil(2) { L.push(ints: t.shape); return 1 }
            let d = try L.checkDim(2, rank: t.dim)
            guard t.dim > 0 else { throw LuaError.message("size: a 0-d tensor has no dimensions") }
            L.push(t.shape[d]); return 1
        },
        method("dim", doc: """
            x:dim() -> number
            The number of dimensions.
            Example: assert(tensor.zeros(2, 3):dim() == 2)
            """) { L, t in L.push(t.dim); return 1 },
        method("numel", doc: """
            x:numel() -> number
            The number of elements.
            Example: assert(tensor.zeros(2, 3):numel() == 6)
            """) { L, t in L.push(t.numel); return 1 },
        method("dtype", doc: """
            x:dtype() -> "float32" | "int64"
            The element type (index results are int64).
            Example: print(select(2, x:max(1)):dtype())  --> int64
            """) { L, t in L.push(t.dtype.rawValue); return 1 },
        method("stride", doc: """
            x:stride() -> {s1, s2, ...}
            Element strides of every dimension (views change them, not the data).
            Example: print(table.concat(x:t():stride(), " "))
            """) { L, t in L.push(ints: t.strides); return 1 },
        method("is_contiguous", doc: """
            x:is_contiguous() -> boolean
            True if the elements lie in row-major order without gaps.
            Example: assert(not x:t():is_contiguous())
            """) { L, t in L.push(t.isContiguous); return 1 },
        method("item", doc: """
            x:item() -> number
            The value of a one-element tensor (a Lua integer for int64).
            Example: local loss = l:sum(1):item()
            """) { L, t in
            _ = try t.item()   // checks there is exactly one element
            pushElement(L, try t.view([Int](repeating: 1, count: t.dim)))
            return 1
        },
        method("totable", doc: """
            x:totable() -> table
            The values as nested Lua tables (a number for a 0-d tensor); int64 values are Lua integers.
            At most 2^26 values and tables in all (a gigabyte or more of Lua memory): slice a larger tensor first.
            Example: local rows = x:totable(); print(rows[1][2])
            """) { L, t in
            // Lua raises its memory error by a longjmp, which must not cross these Swift frames:
            // the size is bounded before any table is made (tables: 1 + d0 + d0·d1 + …).
            var tables = 1, outer = 1
            for d in t.shape.dropLast() {
                outer = outer.multipliedReportingOverflow(by: d).overflow ? Int.max : outer * d
                tables = tables.addingReportingOverflow(outer).overflow ? Int.max : tables + outer
            }
            let values = t.numel.addingReportingOverflow(tables)
            guard !values.overflow, values.partialValue <= totableLimit else {
                throw LuaError.message("totable: a tensor of shape \(shapeString(t.shape)) would make \(values.overflow ? "more than 2^63" : String(values.partialValue)) Lua values and tables (at most \(totableLimit)): slice it first")
            }
            let c = try t.contiguous()
            let push: (Int) -> Void = t.dtype == .int64 ? { L.push(Int(c.iptr[$0])) } : { L.push(Double(c.ptr[$0])) }
            if t.dim == 0 { push(0); return 1 }
            // One table per level is on the stack at once (up to Tensor.maxDims).
            guard lua_checkstack(L.state, Int32(t.dim) + 4) != 0 else {
                throw LuaError.message("totable: not enough Lua stack for \(t.dim) dimensions")
            }
            var k = 0
            func build(_ d: Int) {
                L.newTable(array: Int32(clamping: t.shape[d]))
                for i in 0..<t.shape[d] {
                    if d == t.dim - 1 { push(k); k += 1 } else { build(d + 1) }
                    L.setIndex(-2, i + 1)
                }
            }
            withExtendedLifetime(c) { build(0) }
            return 1
        },
    ]

    /// The most values and tables `x:totable()` makes.
    static let totableLimit = 1 << 26

    static let reshapeMethods: [LuaFunction] = [
        tensorMethod("view", doc: """
            x:view(d1, d2, ... | {d1, ...}) -> tensor
            The same storage with a new shape (one size may be -1); x must be contiguous.
            Example: local flat = x:view(x:size(1), -1)
            """) { L, t in try t.view(try L.checkShape(from: 2, allowInfer: true)) },
        tensorMethod("reshape", doc: """
            x:reshape(d1, d2, ... | {d1, ...}) -> tensor
            Like view, but copies when x is not contiguous.
            Example: local m = x:t():reshape(-1)
            """) { L, t in try t.reshape(try L.checkShape(from: 2, allowInfer: true)) },
        tensorMethod("permute", doc: """
            x:permute(p1, p2, ...) -> tensor
            A view with dimensions reordered: dimension i of the result is dimension p_i of x.
            Example: local nhwc = x:permute(1, 3, 4, 2)
            """) { L, t in
            let p = try L.checkShape(from: 2)
            guard p.count == t.dim, p.allSatisfy({ $0 >= 1 && $0 <= t.dim }) else {
                throw LuaError.argument(2, "expected a permutation of 1..\(t.dim), got \(shapeString(p))")
            }
            return try t.permute(p.map { $0 - 1 })
        },
        tensorMethod("transpose", doc: """
            x:transpose(d1, d2) -> tensor
            A view with two dimensions swapped (no arguments: a 2-d transpose).
            Example: local y = x:transpose(1, 2)
            """) { L, t in
            if t.dim == 2 && L.isNoneOrNil(2) { return try t.transpose(0, 1) }
            return try t.transpose(try L.checkDim(2, rank: t.dim), try L.checkDim(3, rank: t.dim))
        },
        tensorMethod("t", doc: """
            x:t() -> tensor
            The transpose of a matrix as a view (vectors unchanged).
            Example: local g = a:matmul(a:t())
            """) { L, t in
            guard t.dim <= 2 else { throw LuaError.message("t: expected a tensor with at most 2 dimensions, got \(shapeString(t.shape))") }
            return t.dim < 2 ? t : try t.transpose(0, 1)
        },
        tensorMethod("narrow", doc: """
            x:narrow(dim, start, length) -> tensor
            Entries start .. start+length-1 of dimension dim, as a view.
            Example: local first16 = w:narrow(1, 1, 16)
            """) { L, t in
            let d = try L.checkDim(2, rank: t.dim)
            let start = try L.checkInteger(3), len = try L.checkInteger(4)
            guard start >= 1 else { throw LuaError.argument(3, "start must be >= 1 (indices are 1-based), got \(start)") }
            return try t.narrow(d, start - 1, len)
        },
        method("select", doc: """
            x:select(dim, index) -> tensor
            Entry index of dimension dim, with that dimension removed (a view; x[i] for dim 1).
            Example: local channel3 = x:select(2, 3)
            """) { L, t in
            let d = try L.checkDim(2, rank: t.dim)
            let i = try L.checkInteger(3)
            guard i != 0 else { throw LuaError.argument(3, "index 0 is invalid (indices are 1-based)") }
            L.push(try t.select(d, i > 0 ? i - 1 : i)); return 1
        },
        tensorMethod("squeeze", doc: """
            x:squeeze(dim?) -> tensor
            Removes size-1 dimensions (only dim if given), as a view.
            Example: local v = tensor.zeros(1, 3, 1):squeeze()  -- shape {3}
            """) { L, t in
            L.isNoneOrNil(2) ? try t.squeeze() : try t.squeeze(try L.checkDim(2, rank: t.dim))
        },
        tensorMethod("unsqueeze", doc: """
            x:unsqueeze(dim) -> tensor
            Inserts a size-1 dimension at position dim (1 .. x:dim() + 1), as a view.
            Example: local batch = img:unsqueeze(1)
            """) { L, t in try t.unsqueeze(try L.checkDim(2, rank: t.dim + 1)) },
        tensorMethod("expand", doc: """
            x:expand(d1, d2, ... | {d1, ...}) -> tensor
            Broadcasts size-1 dimensions to the given sizes without copying (-1 keeps a size).
            Example: local m = tensor.ones(3, 1):expand(3, 4)
            """) { L, t in try t.expand(try L.checkShape(from: 2, allowInfer: true)) },
        tensorMethod("expand_as", doc: """
            x:expand_as(y) -> tensor
            x expanded to y's shape.
            Example: local b = bias:view(1, -1):expand_as(y)
            """) { L, t in try t.expand(try L.checkTensor(2).shape) },
        tensorMethod("flatten", doc: """
            x:flatten(first?, last?) -> tensor
            Merges dimensions first..last (default all) into one.
            Example: local feats = x:flatten(2)  -- N x (C*H*W)
            """) { L, t in
            let a = try L.isNoneOrNil(2) ? 0 : L.checkDim(2, rank: t.dim)
            let b = try L.isNoneOrNil(3) ? -1 : L.checkDim(3, rank: t.dim)
            return try t.flatten(a, b)
        },
    ]

    static let copyMethods: [LuaFunction] = [
        tensorMethod("contiguous", doc: """
            x:contiguous() -> tensor
            x itself if contiguous, otherwise a contiguous copy.
            Example: local c = x:t():contiguous()
            """) { _, t in try t.contiguous() },
        tensorMethod("clone", doc: """
            x:clone() -> tensor
            A contiguous copy with its own storage.
            Example: local backup = w:clone()
            """) { _, t in try t.clone() },
        tensorMethod("float", doc: """
            x:float() -> tensor
            x as float32 (x itself if it already is).
            Example: local f = idx:float()
            """) { _, t in try t.toFloat() },
        tensorMethod("long", doc: """
            x:long() -> tensor
            x as int64, truncating toward zero (NaN and infinities are errors).
            Example: local i = tensor.new{1.7, 2}:long()  --> 1 2
            """) { _, t in try t.toInt64() },
        method("fill", doc: """
            x:fill(value) -> x
            Sets every element (through views too) to value, in place.
            Example: w:narrow(1, 1, 4):fill(0)
            """) { L, t in
            t.fill(Float(try L.checkNumber(2)))
            L.pushValue(1); return 1
        },
        method("zero", doc: """
            x:zero() -> x
            Sets every element to 0, in place.
            Example: grad:zero()
            """) { L, t in
            t.fill(0)
            L.pushValue(1); return 1
        },
        method("copy", doc: """
            x:copy(src) -> x
            Copies src (broadcast to x's shape) into x, in place.
            Example: w:narrow(1, 1, 2):copy(tensor.ones(2, 3))
            """) { L, t in
            try t.copy(from: try L.checkTensorLike(2))
            L.pushValue(1); return 1
        },
    ]
}
