import Tensor

/// Records a forward pass. Containers call `Tracer.run` for each child and
/// `Tracer.record` for their own adds and concatenations; outside a trace both cost a
/// nil check. Tensors are told apart by identity: a module returning its input unchanged
/// (Identity, Dropout in eval mode) is invisible in the graph.
public final class Tracer {
    nonisolated(unsafe) static var current: Tracer?

    let graph = TraceGraph()
    /// Whether to build the graph (false when only observing).
    var recording = true
    /// Called after every named module's forward (see `observe`).
    var hook: ((String, any Module, Tensor, Tensor) -> Void)?
    /// Called with the gradient of every named module's output (see `observeGradients`).
    var gradientHook: ((String, any Module, Tensor) -> Void)?
    /// Set by `stopBackward()` from a gradient hook: the observer has every gradient it
    /// wants, so the backward ends at the next report.
    var backwardDone = false
    /// Replaces every layer's output (see `transforming`).
    var transform: ((String, any Module, Tensor) throws -> Tensor)?
    /// Set by `observe(_:fusingExcept:_:)`: inference fusion may run under this observer
    /// as long as it hides none of these module paths.
    var fusingExcept: Set<String>?
    /// Set by `observe(_:fusingExcept:placing:_:)`: where a fused run reported under a
    /// path writes its output (see there).
    var placement: ((String, [Int]) -> Tensor?)?
    /// Whether layers that can (`ShapeInferring`) report their output shape instead of
    /// computing it (a trace only needs shapes).
    var shapesOnly = false
    var path: [String] = []
    var producer: [ObjectIdentifier: Int] = [:]
    var keep: [Tensor] = []

    /// Runs `body` with no trace or observation active, then puts the current one back: a
    /// loss that runs another network (a teacher) between an observed forward and its
    /// backward is not observed with it.
    public static func suspended<R>(_ body: () throws -> R) rethrows -> R {
        let t = current
        current = nil
        defer { current = t }
        return try body()
    }

    /// Runs `module.forward(x)` as the child `name` of the module being run ("" for a
    /// transparent child), recording it if a trace is active.
    @inline(__always)
    public static func run(_ name: String, _ module: any Module, _ x: Tensor) throws -> Tensor {
        guard let t = current else {
            let y = try module.forward(x)
            return ForwardHooks.isEmpty ? y : try ForwardHooks.run(module, x, y)
        }
        return try t.run(name, module, x)
    }

    /// Runs `module.backward(g)` as the child `name` of the module being run backward,
    /// reporting `g` (the gradient of the child's output) to an active gradient hook.
    @inline(__always)
    public static func runBackward(_ name: String, _ module: any Module, _ g: Tensor) throws -> Tensor {
        try reportingBackward(name, module, g) { try module.backward(g) }
    }

    /// Runs `body` (the child `name`'s backward for the output gradient `g`) under the
    /// child's path, after reporting `g` to an active gradient hook. Refused when a forward
    /// hook replaced the child's output (`ForwardHooks.checkBackward`).
    @inline(__always)
    static func reportingBackward(_ name: String, _ module: any Module, _ g: Tensor,
                                  _ body: () throws -> Tensor) throws -> Tensor {
        if !ForwardHooks.isEmpty { try ForwardHooks.checkBackward(module) }
        guard let t = current, t.gradientHook != nil else { return try body() }
        try t.reportGradient(name, module, g)
        if !name.isEmpty { t.path.append(name) }
        defer { if !name.isEmpty { t.path.removeLast() } }
        return try body()
    }

    /// Records an add or concat performed by the running container.
    @inline(__always)
    public static func record(_ kind: TraceNode.Kind, _ typeName: String, inputs: [Tensor], output: Tensor) {
        guard current?.recording ?? false else { return }
        current?.add(kind, name: current?.path.joined(separator: ".") ?? "", typeName: typeName,
                     module: nil, inputs: inputs, output: output)
    }

    func run(_ name: String, _ module: any Module, _ x: Tensor) throws -> Tensor {
        if !name.isEmpty { path.append(name) }
        defer { if !name.isEmpty { path.removeLast() } }
        var y: Tensor
        do {
            if shapesOnly, ForwardHooks.isEmpty, let s = module as? any ShapeInferring {
                y = try s.forwardShape(x)
            } else {
                y = try module.forward(x)
            }
        } catch let e as TensorError where module.isLeaf && !e.message.hasPrefix("at ") {
            // Name the layer: traces and observations report where a forward failed.
            throw TensorError("at \(path.joined(separator: ".")) (\(module.typeName)): \(e.message)")
        }
        if !ForwardHooks.isEmpty { y = try ForwardHooks.run(module, x, y) }
        if let transform, module.isLeaf { y = try transform(path.joined(separator: "."), module, y) }
        if let hook, !name.isEmpty { hook(path.joined(separator: "."), module, x, y) }
        if recording && module.isLeaf && y !== x {
            add(.layer, name: path.joined(separator: "."), typeName: module.typeName, module: module,
                inputs: [x], output: y)
        }
        return y
    }

    func node(of t: Tensor) -> Int {
        if let id = producer[ObjectIdentifier(t)] { return id }
        // A tensor made outside any recorded step (should not happen): treat as an input.
        return add(.input, name: "input", typeName: "Input", module: nil, inputs: [], output: t)
    }

    @discardableResult
    func add(_ kind: TraceNode.Kind, name: String, typeName: String, module: (any Module)?,
             inputs: [Tensor], output: Tensor) -> Int {
        let ids = inputs.map { node(of: $0) }
        let id = graph.nodes.count
        graph.nodes.append(TraceNode(id: id, kind: kind, name: name, typeName: typeName, module: module,
                                     inputs: ids, inputShapes: inputs.map(\.shape), outputShape: output.shape))
        producer[ObjectIdentifier(output)] = id
        keep.append(output)
        return id
    }

    /// Runs `module` on `input` in evaluation mode without caching activations and
    /// returns the graph. Training flags are restored afterwards. With `shapesOnly` (the
    /// default; the graph holds shapes, not values) convolutions and linear layers check
    /// their input and report their output's shape without computing it, unless forward
    /// hooks are registered (they see and may replace real outputs).
    public static func trace(_ module: any Module, input: Tensor, shapesOnly: Bool = true) throws -> TraceGraph {
        guard current == nil else { throw TensorError("trace: a trace is already running") }
        let t = Tracer()
        t.shapesOnly = shapesOnly
        let restore = module.enterEvalMode()
        defer {
            restore()
            current = nil
        }
        current = t
        t.keep.append(input)
        t.add(.input, name: "input", typeName: "Input", module: nil, inputs: [], output: input)
        let y = try GradMode.withoutGrad { try t.run("", module, input) }
        t.graph.output = t.node(of: y)
        return t.graph
    }
}

/// A layer that can check its input and report its output's shape without computing the
/// output (shape-only traces skip the arithmetic of convolutions and linear layers).
public protocol ShapeInferring: Module {
    /// Checks `input` exactly as `forward` does (same errors) and returns zeros of the
    /// shape `forward` would return. Caches nothing.
    func forwardShape(_ input: Tensor) throws -> Tensor
}
