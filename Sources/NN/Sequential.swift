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
                // a block may write over x where only the previous block's ReLU keeps it
                if frozen, let donor = FusedInference.keptInputDonor(named, i, x) { (children[i].module as? Residual)?.inputDonor = donor }
                x = try Tracer.run(children[i].name, children[i].module, x)
                i += 1
            }
        }
        return x
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
