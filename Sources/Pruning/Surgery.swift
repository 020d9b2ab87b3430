import NN
import Tensor

/// What surgery changed: per touched layer, the channel counts before and after.
public struct SurgeryReport {
    public var layers: [(layer: String, role: ChannelSlot.Role, before: Int, after: Int)] = []
}

extension DependencyGraph {
    /// Removes channels: `kept[g]` lists the channels of group `g` to keep (0-based group
    /// channel indices). Every member of each group is sliced — weights, biases, BN
    /// statistics and affine parameters, every consumer's input slice (with offsets in
    /// concatenations and the spatial factor after a flatten), option-A shortcut maps —
    /// and, when given, the optimizer's per-parameter state. Everything is checked before
    /// anything changes. The graph follows the surgery, so it can be applied again.
    @discardableResult
    public func apply(_ kept: [Int: [Int]], optimizer: (any Optimizer)? = nil) throws -> SurgeryReport {
        let removed = try removedClasses(kept)
        if removed.isEmpty { return SurgeryReport() }

        // Plan every slice and check the net still matches the graph.
        var ops: [(module: any Module, entry: String, dim: Int, index: Tensor)] = []
        var report = SurgeryReport()
        var newClasses: [Int: [Int]] = [:]
        for (s, slot) in slots.enumerated() {
            let pos = slot.keptPositions(removing: removed)
            if pos.count == slot.classes.count { continue }
            guard !pos.isEmpty else { throw TensorError("prune.apply: \(slot.layer) would lose all of its \(slot.role.rawValue) channels") }
            newClasses[s] = pos.map { slot.classes[$0] }
            report.layers.append((slot.layer, slot.role, slot.classes.count, pos.count))
            let idx = slot.entryIndices(pos)
            let index = try Tensor.int64(shape: [idx.count], values: idx.map(Int64.init))
            for (entry, dim) in slot.entries {
                guard let t = stateTensor(slot.module, entry) else {
                    throw TensorError("prune.apply: \(slot.layer) has no '\(entry)' (the net changed since its groups were built)")
                }
                guard t.dim > dim, t.shape[dim] == slot.classes.count * slot.factor else {
                    throw TensorError("prune.apply: \(slot.layer).\(entry) has shape \(shapeString(t.shape)), the groups expect \(slot.classes.count * slot.factor) along dim \(dim + 1) (the net changed since its groups were built)")
                }
                ops.append((slot.module, entry, dim, index))
            }
        }
        var maps: [(ShortcutA, [Int], Int)] = []
        for (si, so, a) in shortcuts where newClasses[si] != nil || newClasses[so] != nil {
            let keptIn = slots[si].keptPositions(removing: removed), keptOut = slots[so].keptPositions(removing: removed)
            var at: [Int: Int] = [:]
            for (j, o) in keptOut.enumerated() { at[o] = j }
            maps.append((a, keptIn.map { i in a.outputChannel(of: i).flatMap { at[$0] } ?? -1 }, keptOut.count))
        }

        // Apply.
        for (m, entry, dim, index) in ops {
            if let p = m.parameters.first(where: { $0.name == entry })?.parameter {
                try optimizer?.sliceState(p, dim: dim, index: index)
                p.value = try p.value.indexSelect(dim, index).contiguous()
                p.grad = try p.grad.map { try $0.indexSelect(dim, index).contiguous() }
            } else if let b = m.buffers.first(where: { $0.name == entry }) {
                _ = m.setBuffer(entry, try b.tensor.indexSelect(dim, index).contiguous())
            }
        }
        for (a, map, outs) in maps { try a.setChannelMap(map, outputs: outs) }
        for (m, _, _, _) in ops { m.layerDescription?.channelsDidChange() }
        for (s, c) in newClasses { setClasses(s, c) }
        pruneGroups(removing: removed)
        fullCost = nil
        return report
    }

    /// The channel classes a keep map removes (checked: range, repeats, empty sets,
    /// frozen groups).
    public func removedClasses(_ kept: [Int: [Int]]) throws -> Set<Int> {
        var removed = Set<Int>()
        for (g, keep) in kept.sorted(by: { $0.key < $1.key }) {
            guard groups.indices.contains(g) else { throw TensorError("prune.apply: no group number \(g + 1)") }
            let group = groups[g]
            try group.checkKeep(keep, "prune.apply")
            if keep.count == group.channels { continue }
            if let why = group.frozen { throw TensorError("prune.apply: group \(group.name) cannot be pruned (\(why))") }
            let k = Set(keep)
            for (i, c) in group.classes.enumerated() where !k.contains(i) { removed.insert(c) }
        }
        return removed
    }

    func stateTensor(_ m: any Module, _ entry: String) -> Tensor? {
        m.parameters.first { $0.name == entry }?.parameter.value ?? m.buffers.first { $0.name == entry }?.tensor
    }
}
