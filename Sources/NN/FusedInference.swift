import Kernels
import Tensor

/// Inference fusion: in evaluation mode without gradient caching, a `Conv2d` followed by
/// a `BatchNorm2d` (running statistics) and/or a `ReLU` runs as one convolution whose
/// output pass applies the BatchNorm's per-channel scale and shift, the ReLU and — for
/// the last convolution of a `Residual` body — the shortcut's sum and the block's
/// closing ReLU (`ConvEpilogue`). No intermediate tensor is written and nothing is
/// cached: scale and shift are computed from the live weights, running statistics and
/// modes at every call, so they cannot go stale after training steps, weight edits,
/// state-dict loads or pruning surgery.
///
/// Only when nothing may observe the skipped outputs: `GradMode` off, no trace or
/// observation (`Tracer`) — except an observation that names the outputs it needs
/// (`Tracer.observe(_:fusingExcept:_:)`: no group hides one of them, and the output of
/// each fused run is reported under its last module's path) —, no forward hooks, and
/// every fused module in evaluation mode.
/// The result is bit-equal to the layer-by-layer forward: the same GEMMs, then the same
/// additions and products in the same order.
///
/// Gradient passes through frozen layers fuse too (`activeFrozen`: Taylor scores, input
/// gradients of a fixed net): with `GradMode` on, a group whose modules are all in
/// evaluation mode and whose parameters all have `requiresGrad` off runs the same fused
/// forward, keeping what its backward needs — the convolution's input, the ReLU's output
/// — and its `Sequential` records it (`FrozenRun`). The backward is the convolution's input
/// gradient with the BatchNorm's scale folded into the transposed weights
/// (`ConvPlan.backward(…, outputScale:)`) and the ReLU's mask applied as the kernel copies
/// the gradient (`outputGate:`): no pass of the BatchNorm or of the ReLU. Equal to the layer-by-layer gradient up to rounding.
public enum FusedInference {
    /// Whether fusion is used at all (the layer-by-layer forward is the reference).
    nonisolated(unsafe) public static var enabled = true

    /// Groups run fused since the process started (tests check that fusion happened).
    nonisolated(unsafe) static var groupsRun = 0

    /// Whether an inference block with an identity shortcut writes its output over an input
    /// it alone holds (`residual(_:_:overwriting:)`; `topiary bench --ab overwrite-input`).
    nonisolated(unsafe) public static var overwritesInput = true
    /// Blocks that wrote their output over their input since the process started (tests).
    nonisolated(unsafe) static var overwrittenInputs = 0

    /// Whether, in a gradient pass through frozen layers (Taylor scores), a block with an
    /// identity shortcut writes its output over its input, the previous block's output, when
    /// nothing but that block's closing ReLU keeps it: the ReLU then keeps its mask as bits
    /// (`ReLUMask`), which is all the backward reads of it (the gate behind that ReLU), and
    /// gives it back as 1 / 0 floats, the same gate bit for bit. The forward then writes into
    /// lines just read instead of fresh memory (`topiary bench --ab overwrite-kept`).
    nonisolated(unsafe) public static var overwritesKeptInputs = true
    /// Kept inputs written over since the process started (tests).
    nonisolated(unsafe) static var overwrittenKeptInputs = 0

    /// The ReLU that alone keeps `x`, the output of child `i - 1`, when child `i`, a residual
    /// block, may write over x in a gradient pass (`overwritesKeptInputs`): child i − 1 is a
    /// block closing with that ReLU, and no forward hook or observer can see x.
    static func keptInputDonor(_ named: [(name: String, module: any Module)], _ i: Int, _ x: Tensor) -> ReLU? {
        guard overwritesKeptInputs, i > 0, named[i].module is Residual, ForwardHooks.isEmpty,
              let prev = named[i - 1].module as? Residual, let relu = prev.post as? ReLU, relu.cache === x,
              x.dtype == .float32, x.spansItsStorage else { return nil }
        if let t = Tracer.current, t.hides([named[i - 1].name, named[i - 1].name + "." + prev.postName]) { return nil }
        return relu
    }

    /// Whether a forward may fuse now.
    static var active: Bool {
        enabled && !GradMode.enabled && ForwardHooks.isEmpty && (Tracer.current.map { $0.fusingExcept != nil } ?? true)
    }

    /// Whether gradient passes through frozen layers fuse (`topiary bench --ab
    /// frozen-fusion`; the layer-by-layer backward is the reference).
    nonisolated(unsafe) public static var fusesFrozen = true

    /// Whether a frozen group's backward leaves its ReLU's mask to the convolution's input
    /// gradient (`Conv2d.inputGradient(…, gate:)`: applied as the kernel copies the gradient,
    /// no pass of the ReLU's own) instead of running `ReLU.backward` first (`topiary bench
    /// --ab gate-in-conv`). Bit-equal either way.
    nonisolated(unsafe) public static var gatesInConvolution = true

    /// Whether a forward with gradients may fuse its frozen groups now (`FrozenRun`).
    static var activeFrozen: Bool {
        enabled && fusesFrozen && GradMode.enabled && ForwardHooks.isEmpty && (Tracer.current.map { $0.fusingExcept != nil } ?? true)
    }

    /// A group run fused in a gradient pass (see the type's doc), recorded by its
    /// `Sequential` under the position of its last module: the backward applies the
    /// ReLU's mask (its output is in the ReLU's cache), then the convolution's input
    /// gradient with `scale` (the BatchNorm's) folded in.
    struct FrozenRun {
        let start: Int
        let conv: Conv2d
        let scale: [Float]?
        let relu: ReLU?
    }

    /// Whether no parameter of the group's layers wants a gradient.
    static func frozen(_ conv: Conv2d, _ bn: BatchNorm2d?) -> Bool {
        !conv.weight.requiresGrad && !(conv.bias?.requiresGrad ?? false)
            && !(bn?.weight?.requiresGrad ?? false) && !(bn?.bias?.requiresGrad ?? false)
    }

    /// A fusable run: a convolution, an optional evaluation-mode BatchNorm2d, an optional ReLU
    /// — or, outside gradient passes, a ReLU6 (MobileNetV2's blocks: the ReLU with an upper
    /// bound of 6 in the output pass).
    struct Group {
        let conv: Conv2d
        let bn: BatchNorm2d?
        let relu: ReLU?
        var relu6: ReLU6? = nil
        var count: Int { 1 + (bn != nil ? 1 : 0) + (relu != nil || relu6 != nil ? 1 : 0) }
    }

    /// Whether inference fuses a ReLU6 into the convolution before it (`topiary bench --ab
    /// relu6`); off, it runs as its own pass.
    nonisolated(unsafe) public static var fusesReLU6 = true
    /// ReLU6 layers run inside a convolution's output pass (tests check it ran; a plain counter).
    nonisolated(unsafe) static var relu6Fused = 0

    /// The group starting at `mods[i]`, if it has more than the convolution (else there
    /// is nothing to fuse); `allowReLU` false stops before a ReLU (and a ReLU6), `allowReLU6`
    /// takes a ReLU6 (only where no backward needs its mask).
    static func group(_ mods: [(name: String, module: any Module)], at i: Int, allowReLU: Bool = true,
                      allowReLU6: Bool = false) -> Group? {
        guard let conv = mods[i].module as? Conv2d, !conv.training else { return nil }
        var j = i + 1
        var bn: BatchNorm2d?
        if j < mods.count, let b = mods[j].module as? BatchNorm2d, !b.training, b.trackRunningStats {
            bn = b; j += 1
        }
        var relu: ReLU?
        if allowReLU, j < mods.count, let r = mods[j].module as? ReLU, !r.training { relu = r }
        var g = Group(conv: conv, bn: bn, relu: relu)
        if allowReLU && allowReLU6 && fusesReLU6, j < mods.count, let r = mods[j].module as? ReLU6, !r.training { g.relu6 = r }
        guard g.count > 1, !GradMode.enabled || frozen(conv, bn) else { return nil }
        return g
    }

    /// Runs `children` in order on `x`, fused where a group starts (unless the group
    /// would hide an output the running observation needs; it then reports the output of
    /// the group's last module). With `runs` (a gradient pass), each fused group keeps what
    /// its backward needs and is recorded there by the position of its last module.
    static func forward(_ children: ArraySlice<(name: String, module: any Module)>, _ x: Tensor,
                        keeping runs: inout [Int: FrozenRun]?) throws -> Tensor {
        let named = Array(children)
        // `fresh`: x was made here by a fused group or a residual block (a new tensor no one
        // else sees), so a block may take it over (`Residual.forward(consuming:)`)
        var x = x, i = 0, fresh = false
        while i < named.count {
            if let (y, run) = try step(named, at: i, x, keep: runs != nil) {
                x = y
                runs?[i + run.count - 1] = run.frozen
                i += run.count
                fresh = true
            } else if let block = named[i].module as? Residual, runs == nil, Tracer.current == nil {
                x = fresh ? try block.forward(consuming: consume x) : try block.forward(x)
                i += 1
                fresh = true
            } else {
                x = try Tracer.run(named[i].name, named[i].module, x)
                i += 1
                fresh = false
            }
        }
        return x
    }

    /// The group starting at `named[i]` run fused on `x` and reported as its last module's
    /// output; nil when there is none there or it would hide an output the running
    /// observation needs. `keep`: a gradient pass (only frozen groups fuse, `FrozenRun`).
    static func step(_ named: [(name: String, module: any Module)], at i: Int, _ x: Tensor,
                     keep: Bool) throws -> (Tensor, (count: Int, frozen: FrozenRun))? {
        let tracer = Tracer.current
        guard let g = group(named, at: i, allowReLU6: !keep),
              !(tracer?.hides(named[i..<(i + g.count - 1)].map(\.name)) ?? false) else { return nil }
        let last = named[i + g.count - 1]
        let place: (([Int]) -> Tensor?)? = keep ? nil : tracer.map { t in
            { t.destination(last.name, shape: $0).flatMap { $0.overlaps(x) ? nil : $0 } }
        }
        let (y, scale) = try run(g, x, residual: nil, relu: g.relu != nil || g.relu6 != nil, keep: keep, into: place)
        tracer?.report(last.name, last.module, x, y)
        return (y, (g.count, FrozenRun(start: i, conv: g.conv, scale: scale, relu: g.relu)))
    }

    /// `forward(_:_:keeping:)` without gradients.
    static func forward(_ children: ArraySlice<(name: String, module: any Module)>, _ x: Tensor) throws -> Tensor {
        var none: [Int: FrozenRun]? = nil
        return try forward(children, x, keeping: &none)
    }

    /// A `Residual` block fused: the body up to its closing conv (+ BatchNorm) as above,
    /// then that convolution with the shortcut's output added and the block's ReLU in
    /// its output pass. nil when the block does not have that shape (then it runs as is).
    /// In a gradient pass (frozen layers), the body's groups are recorded by the body and
    /// the block's ReLU keeps its output, so `Residual.backward` runs as it always does.
    ///
    /// `overwriting`: the input is the block's alone (`Residual.forward(consuming:)`); in
    /// inference with an identity shortcut, the output is written over it where the closing
    /// convolution's kernel allows it (`Conv2dKernel.outputMayOverwriteResidual`): no new
    /// buffer, and its lines are in cache from the read just before. `donor`: in a gradient
    /// pass, the ReLU that alone keeps the input (`keptInputDonor`); the output is then
    /// written over the input too, the ReLU keeping only its mask (`overwritesKeptInputs`).
    static func residual(_ block: Residual, _ input: Tensor, overwriting: Bool = false, donor: ReLU? = nil) throws -> Tensor? {
        guard let body = block.body as? Sequential, !block.training else { return nil }
        let postReLU: Bool
        switch block.post {
        case nil: postReLU = false
        case let r as ReLU where !r.training: postReLU = true
        default: return nil
        }
        let named = body.children, mods = named.map(\.module)
        let start = mods.count >= 2 && mods[mods.count - 1] is BatchNorm2d ? mods.count - 2 : mods.count - 1
        guard start >= 0, let conv = mods[start] as? Conv2d, !conv.training else { return nil }
        let bn = mods.count - start == 2 ? mods[start + 1] as? BatchNorm2d : nil
        if let bn, bn.training || !bn.trackRunningStats { return nil }
        let keep = GradMode.enabled
        if keep && !frozen(conv, bn) { return nil }
        // an observation that needs the closing layers' outputs gets the block run as is
        if let t = Tracer.current,
           t.hides(named[start...].map(\.name) + (block.shortcut != nil ? [block.shortcutName] : [])
                   + (block.post != nil ? [block.postName] : [])) { return nil }
        var runs: [Int: FrozenRun]? = keep ? [:] : nil
        let h = try forward(named[..<start], input, keeping: &runs)
        let plan = try conv.plan(try conv.checkedInput(h)), target = plan.outputShape
        var s = input
        if let shortcut = block.shortcut {
            if let a = shortcut as? ShortcutA { try a.configure(input: input.shape, target: target) }
            s = try shortcut.forward(input)
        }
        // the output may go over the input (identity shortcut, a kernel that reads each
        // residual value before writing its place): in inference when the block alone holds
        // the input, in a gradient pass when only the previous block's ReLU keeps it
        let overwritable = block.shortcut == nil && input.dtype == .float32
            && Conv2dKernel.outputMayOverwriteResidual(plan.geometry)
        let over = overwritable && overwritesInput && overwriting && !keep && Tracer.current == nil
        if over { overwrittenInputs += 1 }
        let overKept = overwritable && keep && donor.map { $0.cache === input } == true
        if overKept, let donor {
            let mask = try ReLUMask(input)
            donor.cache = nil
            donor.mask = mask
            overwrittenKeptInputs += 1
        }
        let (y, scale) = try run(Group(conv: conv, bn: bn, relu: nil), h, residual: s, relu: postReLU, keep: keep,
                                 into: over || overKept ? { _ in input } : nil)
        runs?[mods.count - 1] = FrozenRun(start: start, conv: conv, scale: scale, relu: nil)
        body.recordFrozenRuns(runs ?? [:])
        (block.post as? ReLU)?.cache = keep ? y : nil
        return y
    }

    /// One group: the convolution with its bias and the BatchNorm's scale and shift in its
    /// output pass, plus `residual` and ReLU; returns the output and the BatchNorm's scale.
    /// Clears the skipped layers' caches, as their own forwards without gradients do;
    /// with `keep`, the convolution keeps its input and the ReLU its output (`FrozenRun`).
    /// `into` may give, for the output's shape, the tensor to write it into (`Tracer`'s placement).
    static func run(_ g: Group, _ input: Tensor, residual: Tensor?, relu: Bool, keep: Bool = false,
                    into: (([Int]) -> Tensor?)? = nil) throws -> (Tensor, [Float]?) {
        let x = try g.conv.checkedInput(input)
        let plan = try g.conv.plan(x)
        var scale: [Float]?, shift: [Float]?
        if let bn = g.bn {
            guard bn.numFeatures == g.conv.outChannels else {
                throw TensorError("batchnorm2d: input has \(g.conv.outChannels) channels, layer expects \(bn.numFeatures)")
            }
            (scale, shift) = bn.affine(Float.self)
            bn.cache = nil
        }
        groupsRun += 1
        let y = try plan.forward(scale: scale, shift: shift, residual: residual, relu: relu,
                                 upper: relu && g.relu6 != nil ? 6 : nil, into: into?(plan.outputShape))
        g.conv.cache = keep ? x : nil
        g.relu?.cache = keep ? y : nil
        g.relu6?.cache = nil
        if g.relu6 != nil { relu6Fused += 1 }
        return (y, scale)
    }
}
