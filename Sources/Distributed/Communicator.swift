import CMPI
import Foundation
import NN
import Tensor

/// The ranks of one data-parallel job: MPI's world communicator when the process was
/// started by `mpirun` (Open MPI sets `OMPI_COMM_WORLD_SIZE`; PMIx launchers set
/// `PMIX_RANK`), otherwise a world of one rank that never touches MPI — so Topiary runs
/// without mpirun and needs no MPI daemon (Open MPI's singleton init would start one).
/// A one-rank world whose environment says the job has more tasks (`srun --mpi=pmi2`)
/// carries a warning (`takeWarning`).
///
/// MPI is initialised on the first `world()` call and finalised at a successful exit (an
/// exit with a failure status aborts the job: no rank is left waiting). Its errors are
/// returned (MPI_ERRORS_RETURN) and thrown as `TensorError`s naming the operation.
/// Calls must come from one thread at a time (MPI_THREAD_SERIALIZED).
/// Ranks are 0-based in Swift.
public final class Communicator: Collective {
    public let rank: Int
    public let size: Int
    /// Whether this world runs over MPI (false: one rank, no MPI calls).
    public let usesMPI: Bool

    /// `launcherWarning(environment:)` for a world of one rank, until `takeWarning` gives it.
    private var pendingWarning: String?

    private init(rank: Int, size: Int, usesMPI: Bool) {
        self.rank = rank; self.size = size; self.usesMPI = usesMPI
    }

    /// The warning that this one-rank world is one of several tasks a launcher started
    /// (`launcherWarning(environment:)`), the first time it is asked for; then nil, so
    /// that it is shown once.
    public func takeWarning() -> String? {
        defer { pendingWarning = nil }
        return pendingWarning
    }

    /// Whether the environment says an MPI launcher started this process.
    public static var launchedByMPI: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil
    }

    private static var shared: Communicator?
    private static let lock = NSLock()

    /// The world: every rank of the job (one rank without mpirun).
    public static func world() throws -> Communicator {
        lock.lock(); defer { lock.unlock() }
        if let c = shared { return c }
        guard launchedByMPI else {
            let c = Communicator(rank: 0, size: 1, usesMPI: false)
            c.pendingWarning = launcherWarning(environment: ProcessInfo.processInfo.environment)
            shared = c
            return c
        }
        var provided: Int32 = 0
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            let rc = MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SERIALIZED), &provided)
            guard rc == cmpi_success() else { throw TensorError("dist: MPI_Init_thread failed (code \(rc))") }
            // At exit: finalise after success; after a failure (a Lua error exits 1) abort the
            // job, since the other ranks may wait in a collective this rank will never join.
            on_exit({ status, _ in
                var finalized: Int32 = 0
                MPI_Finalized(&finalized)
                guard finalized == 0 else { return }
                if status == 0 { MPI_Finalize() } else { MPI_Abort(cmpi_comm_world(), status) }
            }, nil)
        }
        MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return())
        var r: Int32 = 0, s: Int32 = 0
        try check(MPI_Comm_rank(cmpi_comm_world(), &r), "MPI_Comm_rank")
        try check(MPI_Comm_size(cmpi_comm_world(), &s), "MPI_Comm_size")
        let c = Communicator(rank: Int(r), size: Int(s), usesMPI: true)
        shared = c
        return c
    }

    /// Throws MPI's message for a failed call.
    static func check(_ rc: Int32, _ what: String) throws {
        guard rc != cmpi_success() else { return }
        var buf = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var len: Int32 = 0
        MPI_Error_string(rc, &buf, &len)
        throw TensorError("dist: \(what) failed: \(String(cString: buf))")
    }

    /// Largest element count passed to one MPI call (counts are 32-bit).
    static let chunk = 1 << 28

    /// Runs `call(offset, count)` over `n` elements in chunks that fit MPI's int counts.
    private func chunked(_ n: Int, _ what: String, _ call: (Int, Int32) -> Int32) throws {
        var o = 0
        while o < n {
            let k = min(Self.chunk, n - o)
            try Self.check(call(o, Int32(k)), what)
            o += k
        }
    }

    /// Element-wise reduction over all ranks, in place, of a raw buffer.
    func allreduce(_ p: UnsafeMutableRawPointer, count: Int, elementSize: Int, type: MPI_Datatype, op: MPI_Op) throws {
        guard usesMPI, count > 0 else { return }
        try chunked(count, "MPI_Allreduce") { o, k in
            MPI_Allreduce(UnsafeRawPointer(cmpi_in_place()), p + o * elementSize, k, type, op, cmpi_comm_world())
        }
    }

    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        guard let b = values.baseAddress else { return }
        try allreduce(b, count: values.count, elementSize: 4, type: cmpi_float(), op: cmpi_sum())
    }

    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        guard let b = values.baseAddress else { return }
        try allreduce(b, count: values.count, elementSize: 8, type: cmpi_double(), op: cmpi_sum())
    }

    public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws {
        try checkRoot(root)
        guard usesMPI, let b = values.baseAddress else { return }
        try broadcast(b, count: values.count, elementSize: 4, type: cmpi_float(), root: root)
    }

    func broadcast(_ p: UnsafeMutableRawPointer, count: Int, elementSize: Int, type: MPI_Datatype, root: Int) throws {
        guard usesMPI, count > 0 else { return }
        try chunked(count, "MPI_Bcast") { o, k in
            MPI_Bcast(p + o * elementSize, k, type, Int32(root), cmpi_comm_world())
        }
    }

    func checkRoot(_ root: Int) throws {
        guard root >= 0 && root < size else {
            throw TensorError("broadcast: root rank \(root + 1) out of range (\(size) rank\(size == 1 ? "" : "s"))")
        }
    }

    public func allgather(_ values: [Int64]) throws -> [Int64] {
        guard usesMPI else { return values }
        var out = [Int64](repeating: 0, count: values.count * size)
        try values.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                try Self.check(MPI_Allgather(src.baseAddress, Int32(values.count), cmpi_int64(),
                                             dst.baseAddress, Int32(values.count), cmpi_int64(), cmpi_comm_world()),
                               "MPI_Allgather")
            }
        }
        return out
    }

    /// Waits until every rank has called it.
    public func barrier() throws {
        guard usesMPI else { return }
        try Self.check(MPI_Barrier(cmpi_comm_world()), "MPI_Barrier")
    }
}
