import LuaHost
import Tensor
import Kernels

extension TensorModule {
    /// Constructors and global settings:
    /// ```lua
    /// local a = tensor.new{{1, 2}, {3, 4}}      -- from nested tables
    /// local z = tensor.zeros(2, 3)               -- or tensor.zeros{2, 3}
    /// tensor.manual_seed(1); local r = tensor.randn(128, 64)
    /// ```
    static let constructors: [LuaFunction] = [
        LuaFunction("new", doc: """
            tensor.new(table | tensor) -> tensor
            A float32 tensor from nested tables of numbers (rectangular), or a copy of a tensor.
            Example: local a = tensor.new{{1, 2}, {3, 4}}
            """) { L in
            if let t = try L.tensor(1) { L.push(try t.clone()); return 1 }
            try L.checkTable(1)
            L.push(try L.tensorFromTable(1)); return 1
        },
        LuaFunction("zeros", doc: """
            tensor.zeros(d1, d2, ... | {d1, d2, ...}) -> tensor
            A float32 tensor of zeros with the given shape.
            Example: local z = tensor.zeros(2, 3)
            """) { L in L.push(try Tensor.zeros(try L.checkShape(from: 1))); return 1 },
        LuaFunction("ones", doc: """
            tensor.ones(d1, d2, ... | {d1, d2, ...}) -> tensor
            A float32 tensor of ones with the given shape.
            Example: local o = tensor.ones{4, 4}
            """) { L in L.push(try Tensor.ones(try L.checkShape(from: 1))); return 1 },
        LuaFunction("full", doc: """
            tensor.full(d1, ..., value) | tensor.full({d1, ...}, value) -> tensor
            A float32 tensor of the given shape filled with value.
            Example: local s = tensor.full({2, 3}, 7)
            """) { L in
            let n = L.top
            guard n >= 2 else { throw LuaError.argument(Int(max(n, 1) + 1), "number expected, got no value") }
            let v = try L.checkNumber(n)
            L.setTop(n - 1)
            L.push(try Tensor.full(try L.checkShape(from: 1), Float(v))); return 1
        },
        LuaFunction("arange", doc: """
            tensor.arange(end) | tensor.arange(start, end, step?) -> tensor
            Values start, start+step, ... below end (start 0 and step 1 by default), as numpy.
            Example: tensor.arange(4)  --> 0 1 2 3
            """) { L in
            let a = try L.checkNumber(1)
            let integers = (1...3).allSatisfy { L.isNoneOrNil(Int32($0)) || L.isInteger(Int32($0)) }
            if integers {   // exact counts near math.maxinteger
                if L.isNoneOrNil(2) { L.push(try Tensor.arange(0, try L.checkInteger(1))); return 1 }
                L.push(try Tensor.arange(try L.checkInteger(1), try L.checkInteger(2), try L.optInteger(3, 1))); return 1
            }
            if L.isNoneOrNil(2) { L.push(try Tensor.arange(0, a)); return 1 }
            L.push(try Tensor.arange(a, try L.checkNumber(2), try L.optNumber(3, 1))); return 1
        },
        LuaFunction("linspace", doc: """
            tensor.linspace(start, stop, n) -> tensor
            n evenly spaced values from start to stop inclusive.
            Example: tensor.linspace(0, 1, 5)  --> 0 0.25 0.5 0.75 1
            """) { L in
            L.push(try Tensor.linspace(try L.checkNumber(1), try L.checkNumber(2), try L.checkInteger(3))); return 1
        },
        LuaFunction("eye", doc: """
            tensor.eye(n, m?) -> tensor
            The n x m identity matrix (square by default).
            Example: local i3 = tensor.eye(3)
            """) { L in
            let n = try L.checkInteger(1), m = try L.optInteger(2) ?? n
            guard n >= 0, m >= 0 else { throw LuaError.argument(n < 0 ? 1 : 2, "size must be non-negative") }
            L.push(try Tensor.eye(n, m)); return 1
        },
        LuaFunction("rand", doc: """
            tensor.rand(d1, d2, ... | {d1, ...}) -> tensor
            Uniform random values in [0, 1) from the seeded generator (tensor.manual_seed).
            Example: local u = tensor.rand(2, 3)
            """) { L in L.push(try Tensor.rand(try L.checkShape(from: 1))); return 1 },
        LuaFunction("randn", doc: """
            tensor.randn(d1, d2, ... | {d1, ...}) -> tensor
            Standard normal random values from the seeded generator (tensor.manual_seed).
            Example: local w = tensor.randn(64, 3, 3, 3)
            """) { L in L.push(try Tensor.randn(try L.checkShape(from: 1))); return 1 },
        LuaFunction("randperm", doc: """
            tensor.randperm(n) -> int64 tensor
            A random permutation of 1..n (seeded generator).
            Example: local order = tensor.randperm(10)
            """) { L in
            let n = try L.checkInteger(1)
            guard n >= 0 else { throw LuaError.argument(1, "size must be non-negative") }
            L.push(oneBased(try Tensor.randperm(n))); return 1
        },
        LuaFunction("manual_seed", doc: """
            tensor.manual_seed(seed)
            Seeds the generator behind rand, randn and randperm, so runs repeat exactly.
            Example: tensor.manual_seed(42)
            """) { L in
            let s = try L.checkInteger(1)
            Random.manualSeed(UInt64(bitPattern: Int64(s)))
            return 0
        },
        LuaFunction("set_num_threads", doc: """
            tensor.set_num_threads(n)
            Sets the threads used by native kernels and OpenBLAS (1..256).
            Example: tensor.set_num_threads(1)
            """) { L in
            let n = try L.checkInteger(1)
            guard n >= 1 && n <= 256 else { throw LuaError.argument(1, "thread count must be in 1..256") }
            Parallel.threads = n
            BLAS.setThreads(n)
            return 0
        },
        LuaFunction("get_num_threads", doc: """
            tensor.get_num_threads() -> number
            The threads used by native kernels.
            Example: print(tensor.get_num_threads())
            """) { L in L.push(Parallel.threads); return 1 },
        LuaFunction("memory", doc: """
            tensor.memory() -> {live = bytes, allocated = bytes, external = bytes}
            Native memory held by tensors now, and allocated since start (external: held outside
            tensors by objects Lua's collector also counts, such as datasets' pixels).
            Example: print(tensor.memory().live)
            """) { L in
            L.newTable()
            L.push(Storage.liveBytes); L.setField(-2, "live")
            L.push(Storage.externalBytes); L.setField(-2, "external")
            L.push(Storage.allocatedBytes); L.setField(-2, "allocated")
            return 1
        },
        LuaFunction("is_tensor", doc: """
            tensor.is_tensor(v) -> boolean
            True if v is a tensor (closed tensors raise an error).
            Example: assert(tensor.is_tensor(tensor.zeros(1)))
            """) { L in L.push(try L.tensor(1) != nil); return 1 },
    ]

    /// `zeros_like(x)` and friends: a new tensor of x's shape (and dtype for zeros/ones/full).
    static let likeConstructors: [LuaFunction] = [
        LuaFunction("zeros_like", doc: """
            tensor.zeros_like(x) -> tensor
            Zeros of x's shape and dtype.
            Example: local g = tensor.zeros_like(w)
            """) { L in L.push(try L.checkTensor(1).fullLike(0)); return 1 },
        LuaFunction("ones_like", doc: """
            tensor.ones_like(x) -> tensor
            Ones of x's shape and dtype.
            Example: local m = tensor.ones_like(w)
            """) { L in L.push(try L.checkTensor(1).fullLike(1)); return 1 },
        LuaFunction("full_like", doc: """
            tensor.full_like(x, value) -> tensor
            A tensor of x's shape and dtype filled with value.
            Example: local h = tensor.full_like(w, 0.5)
            """) { L in
            let t = try L.checkTensor(1)
            L.push(try t.fullLike(Float(try L.checkNumber(2)))); return 1
        },
        LuaFunction("rand_like", doc: """
            tensor.rand_like(x) -> tensor
            Uniform [0, 1) values of x's shape (float32).
            Example: local noise = tensor.rand_like(w)
            """) { L in L.push(try Tensor.rand(try L.checkTensor(1).shape)); return 1 },
        LuaFunction("randn_like", doc: """
            tensor.randn_like(x) -> tensor
            Standard normal values of x's shape (float32).
            Example: local noise = tensor.randn_like(w) * 0.01
            """) { L in L.push(try Tensor.randn(try L.checkTensor(1).shape)); return 1 },
    ]
}
