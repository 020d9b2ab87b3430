import Tensor

/// Runs every branch on the same input and concatenates the outputs along channels
/// (dim 1), like an Inception block or a DenseNet layer (`Concat{Identity(), body}`).
/// A branch named "" is transparent: its layers appear directly under the Concat.
public final class Concat: Module {
    public var typeName: String
    public var training = true
    public private(set) var branches: [(name: String, module: any Module)] = []
    private var widths: [Int]?

    /// Branches named by position ("0", "1", …).
    public convenience init(_ modules: [any Module], typeName: String = "Concat") throws {
        try self.init(named: modules.enumerated().map { (String($0.offset), $0.element) }, typeName: typeName)
    }

    /// Branches with explicit names ("" = transparent, for a Sequential or Identity).
    public init(named: [(String, any Module)], typeName: String = "Concat") throws {
        self.typeName = typeName
        guard !named.isEmpty else { throw TensorError("\(typeName): needs at least one branch") }
        var seen: [String] = []
        for (n, m) in named {
            if n.isEmpty {
                guard m is Sequential || m is Identity else {
                    throw TensorError("\(typeName): only a Sequential or Identity branch can be unnamed")
                }
                for c in m.visibleChildren { try checkChildName(c.name, existing: seen, in: typeName); seen.append(c.name) }
            } else {
                try checkChildName(n, existing: seen, in: typeName)
                seen.append(n)
            }
            branches.append((n, m))
        }
        for (_, m) in branches { try Nesting.adopt(m, into: self, typeName) }
    }

    public var children: [(name: String, module: any Module)] { branches }

    /// Replaces the branch at `index` (0-based; swapping a layer, see `replacingLayers`).
    /// A transparent ("") branch stays a Sequential or Identity.
    public func replaceBranch(_ index: Int, with module: any Module) throws {
        guard branches.indices.contains(index) else { throw TensorError("\(typeName): no branch number \(index + 1)") }
        if branches[index].name.isEmpty, !(module is Sequential || module is Identity) {
            throw TensorError("\(typeName): only a Sequential or Identity branch can be unnamed")
        }
        try Nesting.adopt(module, into: self, typeName)
        branches[index].module = module
        widths = nil
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        let outs = try branches.map { try Tracer.run($0.name, $0.module, input).toFloat().contiguous() }
        let first = outs[0].shape
        guard first.count >= 2 else {
            throw TensorError("concat: branch outputs need at least 2 dimensions, got \(shapeString(first))")
        }
        for (i, o) in outs.enumerated() {
            guard o.dim == first.count, o.shape[0] == first[0], Array(o.shape[2...]) == Array(first[2...]) else {
                throw TensorError("concat: branch \(i + 1) output \(shapeString(o.shape)) does not match branch 1 output \(shapeString(first)) outside the channel dimension")
            }
        }
        let c = outs.map { $0.shape[1] }, total = c.reduce(0, +)
        let inner = first[2...].reduce(1, *), n = first[0]
        var shape = first
        shape[1] = total
        let y = try Tensor(uninitialized: shape)
        for i in 0..<n {
            var off = 0
            for (b, o) in outs.enumerated() {
                (y.ptr + (i * total + off) * inner).update(from: o.ptr + i * c[b] * inner, count: c[b] * inner)
                off += c[b]
            }
        }
        Tracer.record(.concat, "Concat", inputs: outs, output: y)
        widths = GradMode.enabled ? c : nil
        return y
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        guard let c = widths else { throw noForward("concat") }
        let total = c.reduce(0, +)
        guard gradOutput.dim >= 2, gradOutput.shape[1] == total else {
            throw TensorError("concat: gradient has shape \(shapeString(gradOutput.shape)), expected \(total) channels")
        }
        var sum: Tensor?
        var off = 0
        for (b, branch) in branches.enumerated() {
            let g = try gradOutput.narrow(1, off, c[b]).contiguous()
            off += c[b]
            let gi = try Tracer.runBackward(branch.name, branch.module, g)
            sum = try sum.map { try addSameShape($0, gi, "concat backward", ("branch", "branch")) } ?? gi
        }
        return sum!
    }
}
