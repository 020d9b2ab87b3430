import CMPI
import Tensor

/// How `allreduce` combines the ranks' values.
public enum ReduceOp: String, CaseIterable, Sendable {
    case sum, mean, max, min
}

extension Communicator {
    /// Combines `t` element-wise over all ranks, in place (every rank gets the result).
    /// `mean` is the sum divided by the number of ranks (for int64 tensors: truncated).
    /// A NaN on any rank makes the element NaN for `max` and `min` too.
    /// Every rank must pass a tensor of the same dtype and element count (checked: a
    /// mismatch is an error on every rank, naming the ranks' counts).
    public func allreduce(_ t: Tensor, op: ReduceOp) throws {
        try agree(on: t, "allreduce")
        guard usesMPI else { return }
        let work = try t.contiguous()
        let mpiOp: MPI_Op
        switch op {
        case .sum, .mean: mpiOp = cmpi_sum()
        case .max: mpiOp = cmpi_max()
        case .min: mpiOp = cmpi_min()
        }
        let n = work.numel
        let nans = work.dtype == .float32 && (op == .max || op == .min) ? try nanMask(work) : nil
        try work.withBytes { p in
            if work.dtype == .float32 {
                try allreduce(p, count: n, elementSize: 4, type: cmpi_float(), op: mpiOp)
            } else {
                try allreduce(p, count: n, elementSize: 8, type: cmpi_int64(), op: mpiOp)
            }
        }
        if let nans { work.withFloats { p in for i in 0..<n where nans[i] > 0 { p[i] = .nan } } }
        if op == .mean {
            if work.dtype == .float32 {
                let k = Float(size)
                work.withFloats { p in for i in 0..<n { p[i] /= k } }
            } else {
                let k = Int64(size)
                work.withInt64s { p in for i in 0..<n { p[i] /= k } }
            }
        }
        if work !== t { try t.copy(from: work) }
    }

    /// Overwrites `t` on every rank with rank `root`'s values (0-based `root`), in place.
    /// Every rank must pass a tensor of the same dtype and element count (checked).
    public func broadcast(_ t: Tensor, root: Int) throws {
        try checkRoot(root)
        try agree(on: t, "broadcast")
        guard usesMPI else { return }
        let work = try t.contiguous(), n = work.numel
        try work.withBytes { p in
            try broadcast(p, count: n, elementSize: work.dtype.size,
                          type: work.dtype == .float32 ? cmpi_float() : cmpi_int64(), root: root)
        }
        if work !== t { try t.copy(from: work) }
    }

    /// Where any rank's `t` holds a NaN: positive there, 0 elsewhere (summed over the
    /// ranks); nil when no rank has a NaN (one scalar collective). MPI_MAX and MPI_MIN
    /// compare with > and <, so a NaN would survive or not depending on the ranks' order.
    private func nanMask(_ t: Tensor) throws -> [Float]? {
        let n = t.numel
        let here = t.withFloats { p in (0..<n).contains { p[$0].isNaN } }
        guard try allreduceSum([here ? 1 : 0])[0] > 0 else { return nil }
        var mask = t.withFloats { p in (0..<n).map { p[$0].isNaN ? Float(1) : 0 } }
        try mask.withUnsafeMutableBufferPointer { try allreduceSum($0) }
        return mask
    }

    /// Checks that every rank holds a tensor of the same dtype and element count.
    func agree(on t: Tensor, _ op: String) throws {
        guard usesMPI else { return }
        let mine: [Int64] = [Int64(t.numel), t.dtype == .float32 ? 0 : 1]
        let all = try allgather(mine)
        let counts = stride(from: 0, to: all.count, by: 2).map { all[$0] }
        let types = stride(from: 1, to: all.count, by: 2).map { all[$0] }
        if Set(types).count > 1 {
            throw TensorError("\(op): ranks disagree on the dtype: " + types.enumerated()
                .map { "rank \($0.offset + 1) has \($0.element == 0 ? "float32" : "int64")" }.joined(separator: ", "))
        }
        if Set(counts).count > 1 {
            throw TensorError("\(op): ranks disagree on the element count: " + counts.enumerated()
                .map { "rank \($0.offset + 1) has \($0.element)" }.joined(separator: ", "))
        }
    }
}
