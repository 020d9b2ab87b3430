import Tensor

/// The backward of `Sequential`: fused groups as one step, and the input gradient's
/// additions and ReLU gates handed to the child that can apply them as it writes.
extension Sequential {
    /// Runs the children backward; a fused BatchNorm–ReLU pair as one step (the
    /// BatchNorm applies the ReLU's mask; a gradient hook that allows fusing gets the
    /// gradient of the ReLU's output), or layer by layer when a gradient hook wants the
    /// gradient between them. A child that ends with a ReLU (`ReLUEnding`: a residual
    /// block) leaves that ReLU's mask to the next child's input gradient
    /// (`InputGradientGating`) where nothing observes the gradient in between
    /// (`GateBehindReLU`).
    public func backward(_ gradOutput: Tensor) throws -> Tensor { try backward(gradOutput, then: nil) }

    /// `backward`, and `extra` added to the input gradient by the first child when it is the
    /// last step (`InputGradientAdding`), else after it; the result gated by `gate` (the
    /// output of a ReLU before this module) the same way. With `preGated`, `gradOutput` is
    /// already behind the last child's closing ReLU (`ReLUEnding`).
    private func backward(_ gradOutput: Tensor, then extra: Tensor?, gatedBy gate: Tensor? = nil,
                          preGated: Bool = false) throws -> Tensor {
        var g = gradOutput, i = children.count - 1
        var gated = preGated   // g is behind child i's closing ReLU
        while i >= 0 {
            if !gated, let run = frozenRuns[i] {
                // a fused group of frozen layers: its output's gradient as the layer-by-layer
                // backward reports it, the ReLU's mask, the input gradient with the scale folded in
                try Tracer.current?.reportGradient(children[i].name, children[i].module, g)
                var reluGate: Tensor?
                if let relu = run.relu {
                    if FusedInference.gatesInConvolution {
                        guard let y = try relu.gateOutput() else { throw noForward("relu") }
                        reluGate = y
                    } else {
                        g = try relu.backward(g)
                    }
                }
                let first = run.start == 0
                g = try run.conv.inputGradient(g, scale: run.scale, gate: reluGate, adding: first ? extra : nil,
                                               inputGate: first ? gate : nil)
                if first { return g }
                i = run.start - 1
            } else if !gated, i >= 1, fusedReLUs.contains(i - 1),
                      !(Tracer.current?.hidesGradient([children[i - 1].name]) ?? false) {
                try Tracer.current?.reportGradient(children[i].name, children[i].module, g)
                g = try children[i - 1].module.backward(g)
                i -= 2
            } else {
                // the input gradient behind child i - 1's closing ReLU when it can be (the
                // first child's: behind `gate`)
                let below = i > 0 ? GateBehindReLU.gate(of: children[i - 1].module, named: children[i - 1].name,
                                                        before: children[i].module) : nil
                g = try step(i, g, preGated: gated, adding: i == 0 ? extra : nil, gatedBy: i == 0 ? gate : below?.1)
                if i == 0 { return g }
                gated = below != nil
                i -= 1
            }
        }
        return try GateBehindReLU.finish(g, adding: extra, gatedBy: gate, "backward")
    }

    /// Child i's backward for `g` (behind its closing ReLU when `preGated`), plus `extra`,
    /// gated by `gate`: in the child's own backward where it can, else after it.
    private func step(_ i: Int, _ g: Tensor, preGated: Bool, adding extra: Tensor?, gatedBy gate: Tensor?) throws -> Tensor {
        let (name, m) = children[i]
        if preGated {
            guard let e = m as? ReLUEnding else { throw TensorError("backward: \(name) has no closing ReLU") }
            return try Tracer.reportingBackward(name, m, g) { try e.backward(gatedGradient: g, adding: extra, gatedBy: gate) }
        }
        if let gate, let gm = m as? InputGradientGating {
            return try Tracer.reportingBackward(name, m, g) { try gm.backward(g, adding: extra, gatedBy: gate) }
        }
        let r = try extra.map { try Tracer.runBackward(name, m, g, adding: $0, "backward", ("input", "added")) }
            ?? Tracer.runBackward(name, m, g)
        return try GateBehindReLU.finish(r, adding: nil, gatedBy: gate, "backward")
    }
}


extension Sequential: InputGradientAdding {
    /// `backward(g)` + `extra`, added by the first child's backward where it can.
    public func backward(_ gradOutput: Tensor, adding extra: Tensor) throws -> Tensor {
        try backward(gradOutput, then: extra)
    }
}

extension Sequential: InputGradientGating, ReLUEnding {
    public func backward(_ gradOutput: Tensor, adding extra: Tensor?, gatedBy gate: Tensor) throws -> Tensor {
        try backward(gradOutput, then: extra, gatedBy: gate)
    }

    /// The last child's closing gate (a stage of residual blocks ends with its last block's ReLU).
    public var closingGate: Tensor? {
        guard let (_, m) = children.last, let e = m as? ReLUEnding else { return nil }
        return e.closingGate
    }

    public var hasClosingGate: Bool {
        guard let (_, m) = children.last, let e = m as? ReLUEnding else { return false }
        return e.hasClosingGate
    }

    public var closingPaths: [String] {
        guard let (name, m) = children.last, let e = m as? ReLUEnding else { return [] }
        return GateBehindReLU.paths(name, e)
    }

    public func backward(gatedGradient gradOutput: Tensor, adding extra: Tensor?, gatedBy gate: Tensor?) throws -> Tensor {
        guard hasClosingGate else { throw TensorError("backward: \(typeName) does not end with a ReLU") }
        return try backward(gradOutput, then: extra, gatedBy: gate, preGated: true)
    }
}
