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

    public func forward(_ input: Tensor) throws -> Tensor {
        if FusedInference.active { return try FusedInference.forward(children[...], input) }
        var x = input
        for c in children { x = try Tracer.run(c.name, c.module, x) }
        return x
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        var g = gradOutput
        for c in children.reversed() { g = try Tracer.runBackward(c.name, c.module, g) }
        return g
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
func addSameShape(_ a: Tensor, _ b: Tensor, _ op: String, _ what: (String, String)) throws -> Tensor {
    guard a.shape == b.shape else {
        throw TensorError("\(op): \(what.0) output \(shapeString(a.shape)) and \(what.1) output \(shapeString(b.shape)) differ")
    }
    let x = try a.toFloat().contiguous(), y = try b.toFloat().contiguous()
    let out = try Tensor(uninitialized: x.shape)
    let r = out.ptr
    x.withFloats { p in y.withFloats { q in
        Parallel.ranges(out.numel, grain: 32768) { lo, hi in
            for i in lo..<hi { r[i] = p[i] + q[i] }
        }
    } }
    return out
}
