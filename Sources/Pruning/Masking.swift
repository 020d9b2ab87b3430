import NN
import Tensor

extension DependencyGraph {
    /// A forward pass of the unpruned net with the channels that `kept` would remove set
    /// to zero at every layer's output (soft pruning). Every tensor of the net is a layer
    /// output, an add or a concatenation of them, so the result equals what the pruned
    /// net computes — the check that surgery is exact. Call it before `apply`.
    public func maskedForward(_ model: any Module, _ x: Tensor, kept: [Int: [Int]]) throws -> Tensor {
        let removed = try removedClasses(kept)
        var masks: [String: Tensor] = [:]
        for n in trace.nodes where n.kind == .layer && n.outputShape.count >= 2 {
            let classes = nodeClasses[n.id]
            guard classes.contains(where: { removed.contains($0) }) else { continue }
            var shape = [Int](repeating: 1, count: n.outputShape.count)
            shape[1] = classes.count
            let m = try Tensor.ones(shape)
            m.withFloats { p in for (i, c) in classes.enumerated() where removed.contains(c) { p[i] = 0 } }
            masks[n.name] = m
        }
        return try Tracer.transforming({ path, _, y in
            guard let m = masks[path], y.dim == m.dim, y.shape[1] == m.shape[1] else { return y }
            return try y.mul(m)
        }) { try model.forward(x) }
    }

    /// Soft pruning: sets to zero, in place, the parameters that make and read the channels
    /// `kept` would remove — every producer's filters and biases, every per-channel layer's
    /// (BatchNorm γ and β, depthwise filters) and every consumer's weights on them — and
    /// cuts option-A shortcuts' paths into them; no shape changes. The net then computes
    /// what the pruned net would, in eval and in train mode, whatever its activations (a
    /// sigmoid turns a silent channel into 0.5, which the zeroed consumers do not read),
    /// and training leaves the channels silent: no gradient reaches them through zeroed
    /// consumers. Returns how many parameter elements were zeroed.
    ///
    /// `filtersOnly` zeroes only the producers' filters (their ≥ 2-d weights), as soft filter
    /// pruning (He et al. 2018) does: BatchNorm γ, β and biases stay, so the channels are not
    /// silent (each carries its β) and training can grow them back; the net is then not the
    /// pruned one until `apply`. Shortcuts are left as they are.
    ///
    /// With `optimizer`, the same entries of each zeroed parameter's optimizer state
    /// (momentum, moments) are zeroed too, so the next step does not move them off zero.
    @discardableResult
    public func zero(_ kept: [Int: [Int]], filtersOnly: Bool = false, optimizer: (any Optimizer)? = nil) throws -> Int {
        let removed = try removedClasses(kept)
        // Everything is checked before anything changes.
        var ops: [(param: Parameter, dim: Int, rows: [Int], count: Int)] = []
        for slot in slots where slot.role == .output || (!filtersOnly && (slot.role == .perChannel || slot.role == .input)) {
            let gone = slot.classes.indices.filter { removed.contains(slot.classes[$0]) }
            guard !gone.isEmpty else { continue }
            let rows = slot.entryIndices(gone)
            for (entry, dim) in slot.entries {
                guard let p = slot.module.parameters.first(where: { $0.name == entry })?.parameter else { continue }
                let t = p.value
                if filtersOnly && t.dim < 2 { continue }
                guard t.dtype == .float32, t.isContiguous, t.dim > dim, t.shape[dim] == slot.classes.count * slot.factor else {
                    throw TensorError("plan:mask: \(slot.layer).\(entry) has shape \(shapeString(t.shape)), the groups expect \(slot.classes.count * slot.factor) along dim \(dim + 1) (the net changed since its groups were built)")
                }
                ops.append((p, dim, rows, t.numel / t.shape[dim] * rows.count))
            }
        }
        // An option-A shortcut has no weights: it stops passing channels into removed
        // output positions (its channel map; shapes stay), as the pruned net has none there.
        var maps: [(ShortcutA, [Int], Int)] = []
        // It drops removed input channels too: a channel the mask silences may still carry
        // f(0) ≠ 0 (a sigmoid's 0.5), which the pruned net does not have.
        for (si, so, a) in shortcuts where !filtersOnly {
            let ins = slots[si].classes, outs = slots[so].classes
            var changed = false
            let map = ins.indices.map { i -> Int in
                guard let o = a.outputChannel(of: i), o < outs.count else { return -1 }
                if removed.contains(outs[o]) || removed.contains(ins[i]) { changed = true; return -1 }
                return o
            }
            if changed { maps.append((a, map, outs.count)) }
        }
        var zeroed = 0
        for op in ops {
            try op.param.value.zeroSlices(op.dim, op.rows)
            try optimizer?.zeroState(op.param, dim: op.dim, rows: op.rows)
            zeroed += op.count
        }
        for (a, map, outs) in maps { try a.setChannelMap(map, outputs: outs) }
        return zeroed
    }
}
