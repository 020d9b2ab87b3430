import Tensor

/// Data-parallel training over a `Collective`: the same model on every rank, each rank
/// on its own shard of every batch, gradients summed after backward so that every rank
/// takes the same optimizer step. Used by `Trainer` when it has a collective.
///
/// Gradients are reduced after the whole backward pass, in buckets of about
/// `bucketBytes` (gradients packed into one buffer per bucket: few large allreduces
/// rather than one per tensor). They are not overlapped with backward: on one machine
/// the ranks share the cores the reduction would compete with, and the reduction of a
/// ResNet-56 (3.4 MB) is a small fraction of a step (see README, "Going further").
public final class DataParallel {
    public let model: any Module
    public let collective: any Collective
    public var bucketBytes = 4 << 20

    public init(model: any Module, collective: any Collective) {
        self.model = model
        self.collective = collective
    }

    /// The trainable parameters, in state-dict order (the same on every rank).
    var parameters: [Parameter] { model.namedParameters().map(\.parameter).filter(\.requiresGrad) }

    /// Overwrites every rank's parameters and float buffers with rank `root`'s.
    public func broadcastState(root: Int = 0) throws {
        for (_, t) in model.stateDict() where t.dtype == .float32 {
            let work = try t.contiguous()
            try work.withFloats { try collective.broadcast(UnsafeMutableBufferPointer(start: $0, count: work.numel), root: root) }
            if work !== t { try t.copy(from: work) }
        }
    }

    /// Overwrites every rank's float buffers (BatchNorm's running statistics) with rank
    /// `root`'s, packed in one broadcast. A plain BatchNorm's running statistics follow the
    /// samples of its own rank; `Trainer.fit` calls this at the end of every epoch, before
    /// the evaluation and the epoch callback (as PyTorch's DDP broadcasts rank 0's buffers),
    /// so that evaluation, checkpoints and pruning see one model on every rank.
    public func broadcastBuffers(root: Int = 0) throws {
        guard collective.size > 1 else { return }
        let buffers = try model.namedBuffers().map(\.tensor).filter { $0.dtype == .float32 }.map { ($0, try $0.contiguous()) }
        let total = buffers.reduce(0) { $0 + $1.1.numel }
        guard total > 0 else { return }
        var packed = [Float](repeating: 0, count: total)
        try packed.withUnsafeMutableBufferPointer { b in
            var o = 0
            for (_, c) in buffers {
                let n = c.numel
                c.withFloats { (b.baseAddress! + o).update(from: $0, count: n) }
                o += n
            }
            try collective.broadcast(b, root: root)
            o = 0
            for (t, c) in buffers {
                let n = c.numel
                c.withFloats { $0.update(from: b.baseAddress! + o, count: n) }
                o += n
                if c !== t { try t.copy(from: c) }
            }
        }
    }

    /// Sums every trainable parameter's gradient over the ranks, in buckets. A missing
    /// gradient counts as zeros (allocated, so every rank reduces the same buffers).
    public func reduceGradients() throws {
        guard collective.size > 1 else { return }
        let cap = max(1, bucketBytes / 4)
        var bucket = [Float](repeating: 0, count: cap)
        var pending: [Tensor] = []
        var filled = 0
        func flush() throws {
            guard filled > 0 else { return }
            try bucket.withUnsafeMutableBufferPointer { b in
                try collective.allreduceSum(UnsafeMutableBufferPointer(rebasing: b[0..<filled]))
                var o = 0
                for g in pending {
                    let n = g.numel
                    g.withFloats { p in p.update(from: b.baseAddress! + o, count: n) }
                    o += n
                }
            }
            pending.removeAll(keepingCapacity: true)
            filled = 0
        }
        for p in parameters {
            let g = try p.gradBuffer()
            let n = g.numel
            if n > cap {
                try g.withFloats { try collective.allreduceSum(UnsafeMutableBufferPointer(start: $0, count: n)) }
                continue
            }
            if filled + n > cap { try flush() }
            bucket.withUnsafeMutableBufferPointer { b in g.withFloats { (b.baseAddress! + filled).update(from: $0, count: n) } }
            pending.append(g)
            filled += n
        }
        try flush()
    }
}
