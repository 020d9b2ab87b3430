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
public enum FusedInference {
    /// Whether fusion is used at all (the layer-by-layer forward is the reference).
    nonisolated(unsafe) public static var enabled = true

    /// Groups run fused since the process started (tests check that fusion happened).
    nonisolated(unsafe) static var groupsRun = 0

    /// Whether a forward may fuse now.
    static var active: Bool {
        enabled && !GradMode.enabled && ForwardHooks.isEmpty && (Tracer.current.map { $0.fusingExcept != nil } ?? true)
    }

    /// A fusable run: a convolution, an optional evaluation-mode BatchNorm2d, an optional ReLU.
    struct Group {
        let conv: Conv2d
        let bn: BatchNorm2d?
        let relu: ReLU?
        var count: Int { 1 + (bn != nil ? 1 : 0) + (relu != nil ? 1 : 0) }
    }

    /// The group starting at `mods[i]`, if it has more than the convolution (else there
    /// is nothing to fuse); `allowReLU` false stops before a ReLU.
    static func group(_ mods: [any Module], at i: Int, allowReLU: Bool = true) -> Group? {
        guard let conv = mods[i] as? Conv2d, !conv.training else { return nil }
        var j = i + 1
        var bn: BatchNorm2d?
        if j < mods.count, let b = mods[j] as? BatchNorm2d, !b.training, b.trackRunningStats {
            bn = b; j += 1
        }
        var relu: ReLU?
        if allowReLU, j < mods.count, let r = mods[j] as? ReLU, !r.training { relu = r }
        let g = Group(conv: conv, bn: bn, relu: relu)
        return g.count > 1 ? g : nil
    }

    /// Runs `children` in order on `x`, fused where a group starts (unless the group
    /// would hide an output the running observation needs; it then reports the output of
    /// the group's last module).
    static func forward(_ children: ArraySlice<(name: String, module: any Module)>, _ x: Tensor) throws -> Tensor {
        let named = Array(children), all = named.map(\.module)
        let tracer = Tracer.current
        var x = x, i = 0
        while i < all.count {
            if let g = group(all, at: i), !(tracer?.hides(named[i..<(i + g.count - 1)].map(\.name)) ?? false) {
                let input = x
                x = try run(g, x, residual: nil, relu: g.relu != nil)
                let last = named[i + g.count - 1]
                tracer?.report(last.name, last.module, input, x)
                i += g.count
            } else {
                x = try Tracer.run(named[i].name, all[i], x)
                i += 1
            }
        }
        return x
    }

    /// A `Residual` block fused: the body up to its closing conv (+ BatchNorm) as above,
    /// then that convolution with the shortcut's output added and the block's ReLU in
    /// its output pass. nil when the block does not have that shape (then it runs as is).
    static func residual(_ block: Residual, _ input: Tensor) throws -> Tensor? {
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
        // an observation that needs the closing layers' outputs gets the block run as is
        if let t = Tracer.current,
           t.hides(named[start...].map(\.name) + (block.shortcut != nil ? [block.shortcutName] : [])
                   + (block.post != nil ? [block.postName] : [])) { return nil }
        let h = try forward(named[..<start], input)
        let target = try conv.plan(try conv.checkedInput(h)).outputShape
        var s = input
        if let shortcut = block.shortcut {
            if let a = shortcut as? ShortcutA { try a.configure(input: input.shape, target: target) }
            s = try shortcut.forward(input)
        }
        let y = try run(Group(conv: conv, bn: bn, relu: nil), h, residual: s, relu: postReLU)
        (block.post as? ReLU)?.cache = nil
        return y
    }

    /// One group: the convolution with its bias and the BatchNorm's scale and shift in its
    /// output pass, plus `residual` and ReLU. Clears the skipped layers'
    /// caches, as their own forwards without gradients do.
    static func run(_ g: Group, _ input: Tensor, residual: Tensor?, relu: Bool) throws -> Tensor {
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
        g.conv.cache = nil
        g.relu?.cache = nil
        groupsRun += 1
        return try plan.forward(scale: scale, shift: shift, residual: residual, relu: relu)
    }
}
