import Tensor

/// Runs children in order (PyTorch's `nn.Sequential`). Children are named "0", "1", …
/// unless given names (`conv1`, `bn1`, … as in a PyTorch module's attributes).
public final class Sequential: Module {
    public var typeName: String
    public var training = true
    public private(set) var children: [(name: String, module: any Module)] = []

    /// Children named by position: "0", "1", ….
    public init(_ modules: [any Module] = [], typeName: String = "Sequential") {
        self.typeName = typeName
        children = modules.enumerated().map { (String($0.offset), $0.element) }
        for m in modules { Nesting.link(m, self) }
    }

    /// Children with explicit names (unique, non-empty, without dots).
    public init(named: [(String, any Module)], typeName: String = "Sequential") throws {
        self.typeName = typeName
        for (n, m) in named { try append(m, name: n) }
    }

    /// Adds a child at the end; the default name is its position. A module that is (or
    /// contains) this one, or a tree deeper than `Nesting.maxDepth`, is refused.
    public func append(_ module: any Module, name: String? = nil) throws {
        let n = name ?? String(children.count)
        try checkChildName(n, existing: visibleChildren.map(\.name), in: typeName)
        try Nesting.adopt(module, into: self, typeName)
        children.append((n, module))
    }

    /// Replaces the child called `name` (pruning surgery, swapping a block).
    public func replace(_ name: String, with module: any Module) throws {
        guard let i = children.firstIndex(where: { $0.name == name }) else {
            throw TensorError("Sequential: no child named '\(name)'")
        }
        try Nesting.adopt(module, into: self, typeName)
        children[i].module = module
    }

    /// Whether training forwards fuse a BatchNorm with the ReLU after it, and a residual
    /// block's add with its ReLU (`topiary bench --ab train-fusion`); results are the
    /// same bit for bit either way.
    nonisolated(unsafe) public static var fusesTraining = true

    /// Positions of the BatchNorm children the last forward fused with the ReLU after them.
    private(set) var fusedReLUs = Set<Int>()

    /// The groups the last forward ran fused through frozen layers (a gradient pass in
    /// evaluation mode, `FusedInference.FrozenRun`), by the position of their last child.
    private(set) var frozenRuns: [Int: FusedInference.FrozenRun] = [:]

    /// Records the fused groups of a forward that ran the children from outside
    /// (`FusedInference.residual`), replacing the last forward's fusions.
    func recordFrozenRuns(_ runs: [Int: FusedInference.FrozenRun]) {
        fusedReLUs.removeAll()
        frozenRuns = runs
    }

    /// Runs the children in order. A BatchNorm followed by a ReLU runs as one pass
    /// (`BatchNorm.forward(_:thenReLU:)`: one read and one write of the map instead of
    /// two of each, and a backward without the ReLU's own pass) unless a forward hook or a
    /// tracer must see the BatchNorm's output (`Tracer.allowsTrainingFusion`; an
    /// observer that allows fusing gets the pair's output under the ReLU's path). The
    /// ReLU keeps its output as if it had run, so either backward is exact.
    public func forward(_ input: Tensor) throws -> Tensor { try forward(input, upTo: children.count) }

    /// `forward` of the children before position `end` only, with the same fusions and
    /// records for `backward` (`Residual` runs its body's last BatchNorm itself, with the
    /// block's add and ReLU).
    func forward(_ input: Tensor, upTo end: Int) throws -> Tensor {
        if FusedInference.active {
            recordFrozenRuns([:])
            return try FusedInference.forward(children[..<end], input)
        }
        fusedReLUs.removeAll()
        frozenRuns.removeAll()
        let frozen = FusedInference.activeFrozen
        let named = end == children.count ? children : Array(children[..<end])   // no group past `end`
        var x = input, i = 0
        while i < end {
            if frozen, let (y, run) = try FusedInference.step(named, at: i, x, keep: true) {
                x = y
                frozenRuns[i + run.count - 1] = run.frozen
                i += run.count
            } else if i + 1 < end, let bn = children[i].module as? BatchNorm,
               let relu = children[i + 1].module as? ReLU, Tracer.allowsTrainingFusion(hiding: [children[i].name]) {
                let pairInput = x
                x = try bn.forward(x, thenReLU: true)
                relu.cache = GradMode.enabled ? x : nil
                fusedReLUs.insert(i)
                Tracer.current?.report(children[i + 1].name, relu, pairInput, x)
                i += 2
            } else {
                x = try Tracer.run(children[i].name, children[i].module, x)
                i += 1
            }
        }
        return x
    }

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
                        guard let y = relu.cache else { throw noForward("relu") }
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

    public var closingPaths: [String] {
        guard let (name, m) = children.last, let e = m as? ReLUEnding else { return [] }
        return GateBehindReLU.paths(name, e)
    }

    public func backward(gatedGradient gradOutput: Tensor, adding extra: Tensor?, gatedBy gate: Tensor?) throws -> Tensor {
        guard closingGate != nil else { throw TensorError("backward: \(typeName) does not end with a ReLU") }
        return try backward(gradOutput, then: extra, gatedBy: gate, preGated: true)
    }
}

/// Validates a child name: non-empty, no dots, not already used.
func checkChildName(_ name: String, existing: [String], in container: String) throws {
    guard !name.isEmpty, !name.contains(".") else {
        throw TensorError("\(container): invalid child name '\(name)' (names must be non-empty and contain no dots)")
    }
    guard !existing.contains(name) else {
        throw TensorError("\(container): duplicate child name '\(name)'")
    }
}

/// a + b for tensors of equal shape (no broadcasting: a mismatch is an error).
/// With `thenReLU`, max(a + b, 0) in the same pass.
func addSameShape(_ a: Tensor, _ b: Tensor, _ op: String, _ what: (String, String), thenReLU: Bool = false) throws -> Tensor {
    guard a.shape == b.shape else {
        throw TensorError("\(op): \(what.0) output \(shapeString(a.shape)) and \(what.1) output \(shapeString(b.shape)) differ")
    }
    let x = try a.toFloat().contiguous(), y = try b.toFloat().contiguous()
    let out = try Tensor(uninitialized: x.shape)
    let r = out.ptr
    x.withFloats { p in y.withFloats { q in
        Parallel.ranges(out.numel, grain: 32768) { lo, hi in
            if thenReLU {
                for i in lo..<hi { r[i] = max(p[i] + q[i], 0) }
            } else {
                for i in lo..<hi { r[i] = p[i] + q[i] }
            }
        }
    } }
    return out
}
