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
        LuaFunction("new") { L in
            if let t = try L.tensor(1) { L.push(t.clone()); return 1 }
            try L.checkTable(1)
            L.push(try L.tensorFromTable(1)); return 1
        },
        LuaFunction("zeros") { L in L.push(try Tensor.zeros(try L.checkShape(from: 1))); return 1 },
        LuaFunction("ones") { L in L.push(try Tensor.ones(try L.checkShape(from: 1))); return 1 },
        LuaFunction("full") { L in
            // tensor.full({2, 3}, 7) or tensor.full(2, 3, 7)
            let n = L.top
            guard n >= 2 else { throw LuaError.argument(Int(max(n, 1) + 1), "number expected, got no value") }
            let v = try L.checkNumber(n)
            L.setTop(n - 1)
            L.push(try Tensor.full(try L.checkShape(from: 1), Float(v))); return 1
        },
        LuaFunction("arange") { L in
            // arange(n) = 1..n? No: as numpy/torch, arange(end) is 0 ..< end.
            let a = try L.checkNumber(1)
            if L.isNoneOrNil(2) { L.push(try Tensor.arange(0, a)); return 1 }
            L.push(try Tensor.arange(a, try L.checkNumber(2), try L.optNumber(3, 1))); return 1
        },
        LuaFunction("linspace") { L in
            L.push(try Tensor.linspace(try L.checkNumber(1), try L.checkNumber(2), try L.checkInteger(3))); return 1
        },
        LuaFunction("eye") { L in
            let n = try L.checkInteger(1), m = try L.optInteger(2) ?? n
            guard n >= 0, m >= 0 else { throw LuaError.argument(n < 0 ? 1 : 2, "size must be non-negative") }
            L.push(try Tensor.eye(n, m)); return 1
        },
        LuaFunction("rand") { L in L.push(try Tensor.rand(try L.checkShape(from: 1))); return 1 },
        LuaFunction("randn") { L in L.push(try Tensor.randn(try L.checkShape(from: 1))); return 1 },
        LuaFunction("randperm") { L in
            let n = try L.checkInteger(1)
            guard n >= 0 else { throw LuaError.argument(1, "size must be non-negative") }
            let p = try Tensor.randperm(n)
            for i in 0..<n { p.iptr[i] += 1 }   // 1-based, as every index in the Lua API
            L.push(p); return 1
        },
        LuaFunction("manual_seed") { L in
            let s = try L.checkInteger(1)
            Random.manualSeed(UInt64(bitPattern: Int64(s)))
            return 0
        },
        LuaFunction("set_num_threads") { L in
            let n = try L.checkInteger(1)
            guard n >= 1 && n <= 256 else { throw LuaError.argument(1, "thread count must be in 1..256") }
            Parallel.threads = n
            BLAS.setThreads(n)
            return 0
        },
        LuaFunction("get_num_threads") { L in L.push(Parallel.threads); return 1 },
        /// Native memory held by tensors: `{live = bytes, allocated = bytes since start}`.
        LuaFunction("memory") { L in
            L.newTable()
            L.push(Storage.liveBytes); L.setField(-2, "live")
            L.push(Storage.allocatedBytes); L.setField(-2, "allocated")
            return 1
        },
        LuaFunction("is_tensor") { L in L.push(try L.tensor(1) != nil); return 1 },
    ]
}
