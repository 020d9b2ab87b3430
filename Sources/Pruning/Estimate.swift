import NN
import Tensor

extension DependencyGraph {
    /// MACs (Conv2d, Linear) and parameters of the net as it would be without the
    /// `removed` channel classes, computed from the traced shapes without touching it.
    public func estimate(removing removed: Set<Int>) -> (macs: Int, params: Int) {
        if removed.isEmpty, let c = fullCost { return c }
        let c = cost(removing: removed)
        if removed.isEmpty { fullCost = c }
        return c
    }

    /// The kept fraction of each (module, state entry, dim) and of each module's input and
    /// output channels without the `removed` classes.
    private struct KeptFractions {
        var entries: [ObjectIdentifier: [String: [Int: Double]]] = [:]
        var inputs: [ObjectIdentifier: Double] = [:], outputs: [ObjectIdentifier: Double] = [:]

        /// A module's parameter elements kept.
        func params(_ m: any Module) -> Double {
            let fr = entries[ObjectIdentifier(m)] ?? [:]
            return m.parameters.reduce(0.0) { $0 + Double($1.parameter.value.numel) * (fr[$1.name]?.values.reduce(1, *) ?? 1) }
        }
    }

    private func keptFractions(removing removed: Set<Int>) -> KeptFractions {
        // Removed classes as flags (class ids are small integers).
        var gone = [Bool](repeating: false, count: (removed.max() ?? -1) + 1)
        for c in removed { gone[c] = true }
        var k = KeptFractions()
        for s in slots {
            let n = s.classes.count
            guard n > 0 else { continue }
            let kept = removed.isEmpty ? n : s.classes.reduce(0) { $0 + ($1 < gone.count && gone[$1] ? 0 : 1) }
            let f = Double(kept) / Double(n), id = ObjectIdentifier(s.module)
            for (e, d) in s.entries { k.entries[id, default: [:]][e, default: [:]][d] = f }
            switch s.role {
            case .input: k.inputs[id] = f
            case .output: k.outputs[id] = f
            case .perChannel: k.outputs[id] = f
            default: break
            }
        }
        return k
    }

    /// The traced layers that have MACs, with their multiply-adds in the full net.
    private var macLayers: [(node: TraceNode, module: any Module, macs: Int)] {
        trace.nodes.compactMap { n in
            guard n.kind == .layer, let m = n.module, let d = m.layerDescription else { return nil }
            let c = d.cost(input: n.inputShapes.first ?? [], output: n.outputShape).macs
            return c > 0 ? (n, m, c) : nil
        }
    }

    private func cost(removing removed: Set<Int>) -> (macs: Int, params: Int) {
        let k = keptFractions(removing: removed)
        var params = 0.0
        var seen = Set<ObjectIdentifier>()
        for m in trace.nodes.compactMap(\.module) where seen.insert(ObjectIdentifier(m)).inserted {
            params += k.params(m)
        }
        // Parameters of modules the trace did not reach still count.
        let untraced = parameterCountOutside(seen)
        var macs = 0.0
        for l in macLayers {
            let id = ObjectIdentifier(l.module)
            macs += Double(l.macs) * (k.outputs[id] ?? 1) * (k.inputs[id] ?? 1)
        }
        return (Int(macs.rounded()), Int(params.rounded()) + untraced)
    }

    /// Each layer with MACs (in execution order) before and after removing `removed`:
    /// channels, MACs and its own parameters, from the traced shapes without touching the net.
    public func layerChanges(removing removed: Set<Int>) -> [LayerChange] {
        let k = keptFractions(removing: removed)
        var seen = Set<ObjectIdentifier>()
        return macLayers.compactMap { l in
            let id = ObjectIdentifier(l.module)
            guard seen.insert(id).inserted else { return nil }
            let fin = k.inputs[id] ?? 1, fout = k.outputs[id] ?? 1
            let cin = LayerChange.channels(l.node.inputShapes.first ?? []), cout = LayerChange.channels(l.node.outputShape)
            return LayerChange(name: l.node.name, inBefore: cin, inAfter: Int((Double(cin) * fin).rounded()),
                               outBefore: cout, outAfter: Int((Double(cout) * fout).rounded()),
                               macsBefore: l.macs, macsAfter: Int((Double(l.macs) * fin * fout).rounded()),
                               paramsBefore: l.module.parameters.reduce(0) { $0 + $1.parameter.value.numel }, paramsAfter: Int(k.params(l.module).rounded()))
        }
    }

    private func parameterCountOutside(_ seen: Set<ObjectIdentifier>) -> Int {
        guard let root = rootModule else { return 0 }
        return root.namedModules().filter { $0.module.isLeaf && !seen.contains(ObjectIdentifier($0.module)) }
            .reduce(0) { t, m in t + m.module.parameters.reduce(0) { $0 + $1.parameter.value.numel } }
    }
}
