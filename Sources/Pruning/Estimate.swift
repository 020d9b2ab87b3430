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

    private func cost(removing removed: Set<Int>) -> (macs: Int, params: Int) {
        // Removed classes as flags (class ids are small integers).
        var gone = [Bool](repeating: false, count: (removed.max() ?? -1) + 1)
        for c in removed { gone[c] = true }
        // Kept fraction of each (module, entry, dim) and of each module's in/out channels.
        var fraction: [ObjectIdentifier: [String: [Int: Double]]] = [:]
        var inFrac: [ObjectIdentifier: Double] = [:], outFrac: [ObjectIdentifier: Double] = [:]
        for s in slots {
            let n = s.classes.count
            guard n > 0 else { continue }
            let kept = removed.isEmpty ? n : s.classes.reduce(0) { $0 + ($1 < gone.count && gone[$1] ? 0 : 1) }
            let f = Double(kept) / Double(n), id = ObjectIdentifier(s.module)
            for (e, d) in s.entries { fraction[id, default: [:]][e, default: [:]][d] = f }
            switch s.role {
            case .input: inFrac[id] = f
            case .output: outFrac[id] = f
            case .perChannel: outFrac[id] = f
            default: break
            }
        }
        var params = 0.0
        var seen = Set<ObjectIdentifier>()
        for (_, m) in trace.nodes.compactMap({ n in n.module.map { (n, $0) } }) where seen.insert(ObjectIdentifier(m)).inserted {
            let fr = fraction[ObjectIdentifier(m)] ?? [:]
            for (name, p) in m.parameters {
                params += Double(p.value.numel) * (fr[name]?.values.reduce(1, *) ?? 1)
            }
        }
        // Parameters of modules the trace did not reach still count.
        let untraced = parameterCountOutside(seen)
        var macs = 0.0
        for n in trace.nodes where n.kind == .layer {
            guard let m = n.module, let d = m.layerDescription else { continue }
            let c = d.cost(input: n.inputShapes.first ?? [], output: n.outputShape).macs
            guard c > 0 else { continue }
            let id = ObjectIdentifier(m)
            macs += Double(c) * (outFrac[id] ?? 1) * (inFrac[id] ?? 1)
        }
        return (Int(macs.rounded()), Int(params.rounded()) + untraced)
    }

    private func parameterCountOutside(_ seen: Set<ObjectIdentifier>) -> Int {
        guard let root = rootModule else { return 0 }
        return root.namedModules().filter { $0.module.isLeaf && !seen.contains(ObjectIdentifier($0.module)) }
            .reduce(0) { t, m in t + m.module.parameters.reduce(0) { $0 + $1.parameter.value.numel } }
    }
}
