import Tensor

extension Module {
    /// A deep copy: the same layers, rebuilt from the spec (no random initial weights are
    /// drawn, so the global generator does not advance), holding copies of the parameters
    /// and buffers, with each module's own mode and each parameter's `requiresGrad`,
    /// `lrScale` and `weightDecay`.
    /// Gradients, forward hooks and optimizer state are not copied.
    public func deepCopy() throws -> any Module {
        let c = try Init.withoutRandomness { try ModelSpec.rebuild(self) }
        try c.loadStateDict(stateDict())
        let mine = namedModules(), theirs = c.namedModules()
        guard mine.count == theirs.count else {
            throw TensorError("copy: the rebuilt \(typeName) has \(theirs.count) modules, the original \(mine.count)")
        }
        for (a, b) in zip(mine, theirs) { b.module.training = a.module.training }
        for (a, b) in zip(namedParameters(), c.namedParameters()) {
            b.parameter.requiresGrad = a.parameter.requiresGrad
            b.parameter.lrScale = a.parameter.lrScale
            b.parameter.weightDecay = a.parameter.weightDecay
        }
        return c
    }
}
