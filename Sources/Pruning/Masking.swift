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
}
