import Tensor

/// A layer or a container of layers, PyTorch-style.
///
/// - Children carry names; `namedModules()` gives every module under its dotted path
///   (`layer1.0.conv1`). A child whose name is "" is transparent: its own children
///   appear directly under the parent (how `Residual` exposes its body's layers).
/// - Own parameters (`weight`, `bias`) and buffers (`running_mean`, …) are addressed by
///   `path.name`, exactly the keys of a PyTorch `state_dict`.
/// - `forward` caches what `backward` needs (unless `GradMode.enabled` is false);
///   `backward(gradOutput)` returns the input gradient and ADDS parameter gradients into
///   `Parameter.grad`.
/// - Containers run children through `Tracer.run`, so a traced forward records the data
///   flow (see Trace.swift).
public protocol Module: AnyObject, CustomStringConvertible {
    /// The PyTorch class name ("Conv2d", "BatchNorm2d", "Sequential").
    var typeName: String { get }
    /// Training mode of this module alone; use `train()` / `eval()` for a whole tree.
    var training: Bool { get set }
    /// Direct children, in order. Names are unique among the visible (inlined) names.
    var children: [(name: String, module: any Module)] { get }
    /// This module's own parameters, in PyTorch's registration order.
    var parameters: [(name: String, parameter: Parameter)] { get }
    /// This module's own buffers (saved in the state dict, not trained).
    var buffers: [(name: String, tensor: Tensor)] { get }
    /// The arguments shown between the parentheses of the description (PyTorch's
    /// `extra_repr`): `1, 32, kernel_size=(3, 3), stride=(1, 1)`.
    var extraDescription: String { get }
    /// Computes the output; caches what backward needs when gradients are enabled.
    func forward(_ input: Tensor) throws -> Tensor
    /// Given ∂L/∂output, returns ∂L/∂input and accumulates parameter gradients.
    func backward(_ gradOutput: Tensor) throws -> Tensor
    /// Replaces a buffer by name (used by state-dict loading when a buffer's storage must
    /// change, and by pruning surgery). Returns false if there is no such buffer.
    func setBuffer(_ name: String, _ value: Tensor) -> Bool
}

extension Module {
    public var children: [(name: String, module: any Module)] { [] }
    public var parameters: [(name: String, parameter: Parameter)] { [] }
    public var buffers: [(name: String, tensor: Tensor)] { [] }
    public var extraDescription: String { "" }
    public func setBuffer(_ name: String, _ value: Tensor) -> Bool { false }

    /// Children after inlining transparent ("") ones: what paths and printing show.
    public var visibleChildren: [(name: String, module: any Module)] {
        var out: [(name: String, module: any Module)] = []
        for c in children {
            if c.name.isEmpty { out += c.module.visibleChildren } else { out.append(c) }
        }
        return out
    }

    /// Whether this module has no visible children (a layer rather than a container):
    /// every child is transparent and itself a leaf.
    public var isLeaf: Bool { children.allSatisfy { $0.name.isEmpty && $0.module.isLeaf } }

    /// Every module with its dotted path, the root first (path ""), depth-first.
    public func namedModules(prefix: String = "") -> [(name: String, module: any Module)] {
        var out: [(name: String, module: any Module)] = [(prefix, self)]
        for c in visibleChildren {
            out += c.module.namedModules(prefix: prefix.isEmpty ? c.name : prefix + "." + c.name)
        }
        return out
    }

    /// The module at a dotted path ("" is this module), or nil.
    public func module(at path: String) -> (any Module)? {
        if path.isEmpty { return self }
        var m: any Module = self
        var rest = Substring(path)
        while !rest.isEmpty {
            // Names may contain dots only as separators; match the longest child name.
            guard let c = m.visibleChildren.first(where: { rest == $0.name || rest.hasPrefix($0.name + ".") }) else {
                return nil
            }
            m = c.module
            rest = rest.dropFirst(c.name.count)
            if rest.hasPrefix(".") { rest = rest.dropFirst() }
        }
        return m
    }

    /// Every parameter with its state-dict key (`layer1.0.conv1.weight`).
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        namedModules().flatMap { m in
            m.module.parameters.map { (m.name.isEmpty ? $0.name : m.name + "." + $0.name, $0.parameter) }
        }
    }

    /// Every buffer with its state-dict key (`bn1.running_mean`).
    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        namedModules().flatMap { m in
            m.module.buffers.map { (m.name.isEmpty ? $0.name : m.name + "." + $0.name, $0.tensor) }
        }
    }

    /// Parameters then buffers of each module, in module order (PyTorch's state_dict
    /// order). The tensors are the live ones: copy before modifying.
    public func stateDict() -> [(key: String, tensor: Tensor)] {
        namedModules().flatMap { m -> [(key: String, tensor: Tensor)] in
            let p = m.name.isEmpty ? "" : m.name + "."
            return m.module.parameters.map { (p + $0.name, $0.parameter.value) }
                + m.module.buffers.map { (p + $0.name, $0.tensor) }
        }
    }

    /// Number of parameter elements (trainable or not; buffers excluded).
    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.parameter.value.numel } }

    /// Sets training mode on this module and all below it.
    public func train(_ on: Bool = true) {
        for m in namedModules() { m.module.training = on }
    }

    /// Evaluation mode (BatchNorm uses running statistics, Dropout is the identity).
    public func eval() { train(false) }

    /// Puts this module and all below it in evaluation mode and returns what gives each
    /// one its own mode back (`let restore = net.enterEvalMode(); defer { restore() }`).
    public func enterEvalMode() -> () -> Void {
        let restore = modeRestorer()
        eval()
        return restore
    }

    /// What gives this module and every one below it its present mode back, whatever
    /// `train` / `eval` calls happen in between (`Trainer.fit` restores modes however it ends).
    public func modeRestorer() -> () -> Void {
        let modes = namedModules().map { ($0.module, $0.module.training) }
        return { for (m, on) in modes { m.training = on } }
    }

    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for p in namedParameters() { p.parameter.zeroGrad() }
    }

    /// PyTorch-like printout: `Conv2d(1, 32, kernel_size=(3, 3), ...)`, containers with
    /// one indented `(name): child` line per visible child.
    public var description: String {
        var s = ""
        describe(into: &s, indent: "")
        return s
    }

    /// Writes the printout once, indenting as it goes (time linear in the output, also
    /// for deep trees).
    func describe(into s: inout String, indent: String) {
        let kids = visibleChildren
        s += "\(typeName)(" + extraDescription.replacingOccurrences(of: "\n", with: "\n" + indent)
        if kids.isEmpty { s += ")"; return }
        s += "\n"
        let inner = indent + "  "
        for c in kids {
            s += inner + "(\(c.name)): "
            c.module.describe(into: &s, indent: inner)
            s += "\n"
        }
        s += indent + ")"
    }
}

/// Whether layers cache activations for backward (PyTorch's `torch.no_grad`). Turn it
/// off for inference to save memory; `backward` then fails with a clear error.
public enum GradMode {
    nonisolated(unsafe) public static var enabled = true

    /// Runs `body` with caching off, restoring the previous mode.
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        let before = enabled
        enabled = false
        defer { enabled = before }
        return try body()
    }
}

/// The error of a backward call without a cached forward.
func noForward(_ what: String) -> TensorError {
    TensorError("\(what): backward called without a forward pass (or with gradients disabled)")
}
