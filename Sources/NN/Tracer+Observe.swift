import Tensor

/// Observations: hooks on a forward or a backward pass that see each named module's output
/// (feature-map capture) or the gradient of it (Taylor scores), with the fusions they allow,
/// and layer outputs replaced on the fly (`transforming`).
extension Tracer {
    /// Thrown out of a backward pass whose observer called `stopBackward()`: nothing below the
    /// modules reported so far ran backward. The observer (e.g. `Calibration.collect`) catches it.
    public struct BackwardStopped: Error, CustomStringConvertible {
        public var description: String { "backward: stopped by its gradient observer" }
    }

    /// Called from a gradient hook of `observeGradients` once it has every gradient it wants:
    /// the backward ends right after this report by throwing `BackwardStopped`, so the layers
    /// before the earliest wanted point run no backward at all (their parameter and input
    /// gradients are not computed). Scores taken only at deep layers pay for only the deep
    /// part of the backward. No effect outside a gradient observation.
    public static func stopBackward() {
        guard let t = current, t.gradientHook != nil else { return }
        t.backwardDone = true
    }

    /// Runs `body` (a forward and a backward pass) calling `forward(path, module, input,
    /// output)` after every named module's forward and `backward(path, module, grad)`
    /// with the gradient of its output — what Taylor criteria need.
    public static func observeGradients<R>(forward: @escaping (_ path: String, _ module: any Module, _ input: Tensor, _ output: Tensor) -> Void,
                                           backward: @escaping (_ path: String, _ module: any Module, _ grad: Tensor) -> Void,
                                           _ body: () throws -> R) throws -> R {
        try observing("observe", body) { t in t.hook = forward; t.gradientHook = backward }
    }

    /// `observeGradients` for an observer that needs only the module paths in `needed`
    /// (Taylor scores): the training fusions (`Sequential.fusesTraining`: a BatchNorm with
    /// the ReLU after it, a residual add with its ReLU) stay on wherever they hide none of
    /// them. A fused BatchNorm–ReLU pair is reported once, under the ReLU's path (forward:
    /// with the BatchNorm's input as `input`; backward: the gradient of the ReLU's output),
    /// and the modules a fusion hides are not reported; a residual block whose closing ReLU
    /// is left to the next block (`GateBehindReLU`) is reported with the gradient behind
    /// that ReLU, and the ReLU is not. Every path in `needed` is reported as
    /// `observeGradients` would report it.
    public static func observeGradients<R>(forward: @escaping (_ path: String, _ module: any Module, _ input: Tensor, _ output: Tensor) -> Void,
                                           backward: @escaping (_ path: String, _ module: any Module, _ grad: Tensor) -> Void,
                                           fusingExcept needed: Set<String>, _ body: () throws -> R) throws -> R {
        try observing("observe", body) { t in t.hook = forward; t.gradientHook = backward; t.fusingExcept = needed }
    }

    /// Whether a training fusion that hides the children `names` of the module being run
    /// may run now: fusion on, no forward hook, and no tracer or one that allows fusing
    /// (`fusingExcept`) and needs none of them.
    static func allowsTrainingFusion(hiding names: [String]) -> Bool {
        Sequential.fusesTraining && ForwardHooks.isEmpty && !(current?.hides(names) ?? false)
    }

    /// Runs `body` with a new non-recording tracer, set up by `configure`, as the current
    /// one; `op` names the caller when another is already running.
    private static func observing<R>(_ op: String, _ body: () throws -> R, _ configure: (Tracer) -> Void) throws -> R {
        guard current == nil else { throw TensorError("\(op): a trace or observation is already running") }
        let t = Tracer()
        t.recording = false
        configure(t)
        current = t
        defer { current = nil }
        return try body()
    }

    /// Runs `body` (typically `net.forward(x)`) calling `hook(path, module, input, output)`
    /// after the forward of every named module below the root — layers and containers
    /// (`layer1.0.relu1`, `layer1.0`, `layer1`). Modes and caching are left as they are.
    /// Feature-map capture for pruning criteria builds on this.
    public static func observe<R>(_ hook: @escaping (_ path: String, _ module: any Module, _ input: Tensor, _ output: Tensor) -> Void,
                                  _ body: () throws -> R) throws -> R {
        try observing("observe", body) { $0.hook = hook }
    }

    /// `observe` for feature-map capture in evaluation mode without gradients: inference
    /// fusion (`FusedInference`) stays on wherever it hides none of the module paths in
    /// `needed`, so a fused conv → BN → ReLU run is reported once, under its last
    /// module's path (with the run's input as `input`), and the modules it hides are not
    /// reported. Every path in `needed` is reported as `observe` would report it.
    public static func observe<R>(_ hook: @escaping (_ path: String, _ module: any Module, _ input: Tensor, _ output: Tensor) -> Void,
                                  fusingExcept needed: Set<String>, _ body: () throws -> R) throws -> R {
        try observing("observe", body) { $0.hook = hook; $0.fusingExcept = needed }
    }

    /// `observe(_:fusingExcept:_:)` whose observer also says where outputs go: a fused run
    /// reported under `path` with output shape `shape` writes into `place(path, shape)`
    /// when that gives a contiguous float32 tensor of the shape (a row block of the
    /// observer's own buffer, so keeping the maps costs no copy) instead of a new tensor.
    /// The tensor handed to the hook is then that one. Layers run one by one are unaffected.
    public static func observe<R>(_ hook: @escaping (_ path: String, _ module: any Module, _ input: Tensor, _ output: Tensor) -> Void,
                                  fusingExcept needed: Set<String>,
                                  placing place: @escaping (_ path: String, _ shape: [Int]) -> Tensor?,
                                  _ body: () throws -> R) throws -> R {
        try observing("observe", body) { $0.hook = hook; $0.fusingExcept = needed; $0.placement = place }
    }

    /// Where the output of the child `name` of the module being run goes (`placement`), if
    /// the observer places it and gives a tensor that fits.
    func destination(_ name: String, shape: [Int]) -> Tensor? {
        guard let placement, !name.isEmpty else { return nil }
        path.append(name)
        defer { path.removeLast() }
        guard let t = placement(path.joined(separator: "."), shape),
              t.shape == shape, t.dtype == .float32, t.isContiguous else { return nil }
        return t
    }

    /// Whether a backward step that skips the children `names` of the module being run
    /// would hide a gradient this observation needs (never, without a gradient hook).
    func hidesGradient(_ names: [String]) -> Bool { gradientHook != nil && hides(names) }

    /// Whether running the children `names` of the module being run inside one fused
    /// group would hide a path this observation needs.
    func hides(_ names: [String]) -> Bool {
        guard let needed = fusingExcept else { return true }
        if needed.isEmpty { return false }
        let prefix = path.joined(separator: ".")
        return names.contains { needed.contains(prefix.isEmpty ? $0 : prefix + "." + $0) }
    }

    /// Reports the output of the child `name` computed inside a fused group.
    func report(_ name: String, _ module: any Module, _ input: Tensor, _ output: Tensor) {
        guard let hook else { return }
        childPath(name) { hook($0, module, input, output) }
    }

    /// Reports the gradient of the output of the child `name` run backward inside a fused
    /// group.
    /// Throws `BackwardStopped` when the hook asked to stop (`stopBackward`).
    func reportGradient(_ name: String, _ module: any Module, _ grad: Tensor) throws {
        guard let gradientHook else { return }
        childPath(name) { gradientHook($0, module, grad) }
        if backwardDone { throw BackwardStopped() }
    }

    /// `body` with the path of the child `name` of the module being run (not for a
    /// transparent child, which has no path of its own).
    private func childPath(_ name: String, _ body: (String) -> Void) {
        guard !name.isEmpty else { return }
        path.append(name)
        defer { path.removeLast() }
        body(path.joined(separator: "."))
    }

    /// Runs `body` with every layer's output (modules without children, by path)
    /// replaced by `transform(path, module, output)` — channel masks for soft pruning, or
    /// checking that a pruned net equals the masked full one. No graph is recorded.
    public static func transforming<R>(_ transform: @escaping (_ path: String, _ module: any Module, _ output: Tensor) throws -> Tensor,
                                       _ body: () throws -> R) throws -> R {
        try observing("transform", body) { $0.transform = transform }
    }
}
