import Dist
import LuaHost
import NN
import Tensor

/// The `dist` Lua module: the ranks of a data-parallel job started with
/// `mpirun -np K topiary run script.lua` (Open MPI). Without mpirun the script is the only
/// rank (rank 1 of 1) and no MPI is used. Ranks are 1-based, like every index in
/// Topiary's Lua API: `dist.rank()` is 1 ... `dist.size()`, and rank 1 is the one that
/// prints and writes checkpoints in `train.fit{distributed = true}`. Started by a launcher
/// Topiary cannot join (`srun --mpi=pmi2`: Open MPI here has no PMI-2), each task is rank 1
/// of 1 and warns on stderr.
/// ```lua
/// local g = net:parameters()[1].grad
/// dist.allreduce(g, "mean")
/// if dist.rank() == 1 then print("loss", loss) end
/// ```
public enum DistModule {
    public static let library = LuaLibrary(name: "dist") { L in
        L.newTable()
        for f in functions { L.push(f); L.setField(-2, f.name) }
    }

    static let functions: [LuaFunction] = [rank, size, allreduce, broadcast, barrier]

    /// The world communicator, with MPI's errors as Lua errors. A one-rank world that a
    /// launcher started as one of several tasks (`srun --mpi=pmi2`) says so on stderr, once.
    static func world(_ L: Lua) throws -> Communicator {
        let c = try Communicator.world()
        if let warning = c.takeWarning() { L.write(warning + "\n", to: .stderr) }
        return c
    }

    static let rank = LuaFunction("rank", doc: """
        dist.rank() -> integer
        This process's rank, 1 ... dist.size() (1-based, like every index in Topiary). Without mpirun: 1.
        Example:
          if dist.rank() == 1 then print("first rank of", dist.size()) end
        """) { L in
        L.push(try world(L).rank + 1)
        return 1
    }

    static let size = LuaFunction("size", doc: """
        dist.size() -> integer
        The number of ranks: K under `mpirun -np K topiary run script.lua`, 1 without mpirun.
        Example:
          local per_rank = 128 // dist.size()
        """) { L in
        L.push(try world(L).size)
        return 1
    }

    static let allreduce = LuaFunction("allreduce", doc: """
        dist.allreduce(t [, op = "sum"]) -> t
        Combines tensor t element-wise over all ranks, in place: op is "sum", "mean" (the sum divided
        by dist.size(); int64 truncates), "max" or "min" (a NaN on any rank gives NaN there). Every rank
        must call it with a tensor of the same dtype and number of elements (a mismatch is an error naming
        each rank's count). Returns t.
        Example:
          local t = tensor.full({3}, dist.rank())
          dist.allreduce(t, "sum")   -- every element: 1 + 2 + ... + dist.size()
        """) { L in
        let t = try L.checkTensor(1)
        let name = try L.optString(2, "sum")
        guard let op = ReduceOp(rawValue: name) else {
            throw LuaError.argument(2, "invalid op '\(name)' (expected \(ReduceOp.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")))")
        }
        try world(L).allreduce(t, op: op)
        L.pushValue(1)
        return 1
    }

    static let broadcast = LuaFunction("broadcast", doc: """
        dist.broadcast(t [, root = 1]) -> t
        Overwrites tensor t on every rank with rank root's values (1-based), in place. Every rank
        must pass a tensor of the same dtype and number of elements. Returns t.
        Example:
          local w = dist.broadcast(tensor.randn(4, 4), 1)   -- the same random matrix on every rank
        """) { L in
        let t = try L.checkTensor(1)
        let c = try world(L)
        let root = try L.optInteger(2, 1)
        guard root >= 1 && root <= c.size else {
            throw LuaError.argument(2, "root rank \(root) out of range (1 ... \(c.size))")
        }
        try c.broadcast(t, root: root - 1)
        L.pushValue(1)
        return 1
    }

    static let barrier = LuaFunction("barrier", doc: """
        dist.barrier() -> nothing
        Waits until every rank has called it (e.g. before reading a file the first rank wrote).
        Example:
          if dist.rank() == 1 then tensor.ones(2):save("shared.npy") end
          dist.barrier()
          local s = tensor.load("shared.npy")
        """) { L in
        try world(L).barrier()
        return 0
    }
}
