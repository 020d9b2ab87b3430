import Tensor

/// out = post(body(x) + shortcut(x)): a residual block. The shortcut is the identity
/// when nil, `ShortcutA` (option A: subsample + zero channel padding) or any module
/// (option B: 1×1 conv + BN). A `Sequential` body is transparent, so a block's layers
/// get PyTorch's names (`layer1.0.conv1`, `layer1.0.shortcut.0`, `layer1.0.relu2`).
public final class Residual: Module {
    public var typeName: String
    public var training = true
    public var body: any Module
    public var shortcut: (any Module)?
    /// Applied after the sum (ReLU in ResNet blocks), or nil.
    public var post: (any Module)?
    /// Set by the parent's gradient pass just before this block's forward: the ReLU that
    /// alone keeps this block's input, which the block may then write over
    /// (`FusedInference.overwritesKeptInputs`); the forward clears it.
    var inputDonor: ReLU?
    public let shortcutName: String
    public let postName: String
    private var bodyName: String { body is Sequential ? "" : "body" }

    public init(body: any Module, shortcut: (any Module)? = nil, post: (any Module)? = nil,
                shortcutName: String = "shortcut", postName: String = "relu", typeName: String = "Residual") throws {
        self.body = body; self.shortcut = shortcut; self.post = post
        self.shortcutName = shortcutName; self.postName = postName; self.typeName = typeName
        var names = (body is Sequential ? body.visibleChildren.map(\.name) : ["body"])
        if shortcut != nil { try checkChildName(shortcutName, existing: names, in: typeName); names.append(shortcutName) }
        if post != nil { try checkChildName(postName, existing: names, in: typeName) }
        for m in [body, shortcut, post].compactMap({ $0 }) { try Nesting.adopt(m, into: self, typeName) }
    }

    public var children: [(name: String, module: any Module)] {
        var c: [(name: String, module: any Module)] = [(bodyName, body)]
        if let shortcut { c.append((shortcutName, shortcut)) }
        if let post { c.append((postName, post)) }
        return c
    }

    public func forward(_ input: Tensor) throws -> Tensor { try forward(input, overwriting: false) }

    /// `forward` of an input nothing else holds (the caller gave up its reference): in fused
    /// inference, a block with an identity shortcut then writes its output over its input
    /// (`FusedInference.residual`). Whether nothing else holds it is checked here: another
    /// reference (a hook's, a view of the same storage) keeps the input as it is.
    public func forward(consuming input: consuming Tensor) throws -> Tensor {
        let owned = isKnownUniquelyReferenced(&input) && input.spansItsStorage
        return try forward(input, overwriting: owned)
    }

    private func forward(_ input: Tensor, overwriting: Bool) throws -> Tensor {
        let donor = inputDonor
        inputDonor = nil
        if FusedInference.active || FusedInference.activeFrozen,
           let y = try FusedInference.residual(self, input, overwriting: overwriting, donor: donor) { return y }
        if let y = try forwardClosingNormFused(input) { return y }
        let y = try Tracer.run(bodyName, body, input)
        var s = input
        if let shortcut {
            if let a = shortcut as? ShortcutA { try a.configure(input: input.shape, target: y.shape) }
            s = try Tracer.run(shortcutName, shortcut, input)
        }
        if let relu = post as? ReLU, Tracer.allowsTrainingFusion(hiding: [postName]) {
            // relu(body + shortcut) in one pass; the ReLU keeps its output for backward
            let out = try addSameShape(y, s, "residual", ("body", "shortcut"), thenReLU: true)
            relu.cache = GradMode.enabled ? out : nil
            return out
        }
        let sum = try addSameShape(y, s, "residual", ("body", "shortcut"))
        Tracer.record(.add, "Add", inputs: [y, s], output: sum)
        guard let post else { return sum }
        return try Tracer.run(postName, post, sum)
    }

    /// Whether a training forward runs the body's closing BatchNorm with the add and the
    /// block's ReLU in its output pass (`topiary bench --ab norm-add`); bit-equal either way.
    nonisolated(unsafe) public static var fusesClosingNorm = true

    /// Blocks run by `forwardClosingNormFused` since the process started (tests).
    nonisolated(unsafe) static var closingNormRuns = 0

    /// While training, with no hook or observer: the body up to its closing BatchNorm (in
    /// training mode), the shortcut, then that BatchNorm writing relu(its output + the
    /// shortcut's) in one pass (`BatchNorm.forward(_:adding:thenReLU:)`) — neither the
    /// body's output nor the sum is written apart. The ReLU keeps the block's output, so the
    /// backward runs as it always does. nil when the block does not have that shape.
    private func forwardClosingNormFused(_ input: Tensor) throws -> Tensor? {
        guard Self.fusesClosingNorm, Sequential.fusesTraining, Tracer.current == nil, ForwardHooks.isEmpty,
              let body = body as? Sequential, let bn = body.children.last?.module as? BatchNorm, bn.training else { return nil }
        let relu: ReLU?
        switch post {
        case nil: relu = nil
        case let r as ReLU: relu = r
        default: return nil
        }
        let h = try body.forward(input, upTo: body.children.count - 1)
        // a body whose closing BatchNorm does not fit reports it as the plain forward would
        guard h.dim >= 2, h.shape[1] == bn.numFeatures else {
            _ = try bn.forward(h)
            return nil
        }
        var s = input
        if let shortcut {
            if let a = shortcut as? ShortcutA { try a.configure(input: input.shape, target: h.shape) }
            s = try shortcut.forward(input)
        }
        let out = try bn.forward(h, adding: s, thenReLU: relu != nil)
        relu?.cache = GradMode.enabled ? out : nil
        Self.closingNormRuns += 1
        return out
    }

    /// Whether the shortcut's gradient joins the body's input gradient where it is written
    /// (`topiary bench --ab residual-grad`); bit-equal either way.
    nonisolated(unsafe) public static var addsShortcutGradientInPlace = true

    /// The shortcut's gradient runs first and joins the body's input gradient where it is
    /// written (`InputGradientAdding`: a ResNet block's first convolution adds it in its
    /// output pass), bit-equal to the sum of the two.
    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        try backward(gradOutput, preGated: false, adding: nil, gatedBy: nil)
    }

    /// `backward`, from behind the closing ReLU when `preGated` (`ReLUEnding`), plus `extra`,
    /// gated by `gate` (`InputGradientGating`: in the body's first convolution's output pass
    /// with the shortcut's gradient, when the body can).
    private func backward(_ gradOutput: Tensor, preGated: Bool, adding extra: Tensor?, gatedBy gate: Tensor?) throws -> Tensor {
        let g = preGated ? gradOutput : try post.map { try Tracer.runBackward(postName, $0, gradOutput) } ?? gradOutput
        let gs = try shortcut.map { try Tracer.runBackward(shortcutName, $0, g) } ?? g
        if extra == nil, let gate, Self.addsShortcutGradientInPlace, let b = body as? InputGradientGating {
            return try Tracer.reportingBackward(bodyName, body, g) { try b.backward(g, adding: gs, gatedBy: gate) }
        }
        let r: Tensor
        if Self.addsShortcutGradientInPlace {
            r = try Tracer.runBackward(bodyName, body, g, adding: gs, "residual backward", ("body", "shortcut"))
        } else {
            r = try addSameShape(try Tracer.runBackward(bodyName, body, g), gs, "residual backward", ("body", "shortcut"))
        }
        return try GateBehindReLU.finish(r, adding: extra, gatedBy: gate, "residual backward")
    }
}

extension Residual: ReLUEnding, InputGradientGating {
    /// The closing ReLU's output (a `ReLU` post, after a forward with gradients), or its
    /// mask as 1 / 0 floats where the next block wrote over the output (`ReLU.gateOutput`).
    public var closingGate: Tensor? { (post as? ReLU).flatMap { try? $0.gateOutput() } }

    public var hasClosingGate: Bool { (post as? ReLU)?.hasGateOutput ?? false }

    public var closingPaths: [String] { [postName] }

    public func backward(gatedGradient gradOutput: Tensor, adding extra: Tensor?, gatedBy gate: Tensor?) throws -> Tensor {
        guard hasClosingGate else { throw noForward("residual") }
        GateBehindReLU.skipped += 1
        return try backward(gradOutput, preGated: true, adding: extra, gatedBy: gate)
    }

    public func backward(_ gradOutput: Tensor, adding extra: Tensor?, gatedBy gate: Tensor) throws -> Tensor {
        try backward(gradOutput, preGated: false, adding: extra, gatedBy: gate)
    }
}

/// Option-A shortcut of CIFAR ResNets (He et al.; akamaster's `LambdaLayer`):
/// `F.pad(x[:, :, ::stride, ::stride], (0, 0, 0, 0, padBefore, padAfter))`. With
/// `automatic`, the stride and padding are set at each forward from the block's body
/// output (so a pruned body still matches).
public final class ShortcutA: Module {
    public let typeName = "ShortcutA"
    public var training = true
    public var stride: Int
    public var padBefore: Int
    public var padAfter: Int
    public var automatic: Bool
    private var inputShape: [Int]?

    public init(stride: Int, padBefore: Int, padAfter: Int) throws {
        guard stride > 0, padBefore >= 0, padAfter >= 0 else {
            throw TensorError("ShortcutA: stride must be positive and padding non-negative")
        }
        try Check.window([("stride", (stride, stride)), ("pad", (padBefore, padAfter))], "ShortcutA")
        self.stride = stride; self.padBefore = padBefore; self.padAfter = padAfter; automatic = false
    }

    /// A shortcut that takes its stride and padding from the body's output shape.
    public init() { stride = 1; padBefore = 0; padAfter = 0; automatic = true }

    public var extraDescription: String {
        "stride=\(stride), " + (channelMap.map { "channel_map=\($0), out=\(mappedChannels)" } ?? "pad=(\(padBefore), \(padAfter))")
            + (automatic ? ", automatic" : "")
    }

    /// Sets stride and padding (automatic mode) so the output matches `target`.
    func configure(input: [Int], target: [Int]) throws {
        guard automatic, input.count == 4, target.count == 4 else { return }
        if channelMap != nil {
            stride = max(1, (input[2] + target[2] - 1) / max(target[2], 1))
            return
        }
        let extra = target[1] - input[1]
        guard extra >= 0, target[2] > 0 else {
            throw TensorError("shortcut A: body output \(shapeString(target)) has fewer channels than the input \(shapeString(input))")
        }
        stride = max(1, (input[2] + target[2] - 1) / target[2])
        padBefore = extra / 2
        padAfter = extra - extra / 2
    }

    /// After pruning: input channel i goes to output channel `channelMap[i]` (-1: dropped)
    /// of `mappedChannels` outputs, instead of the offset `padBefore` (nil before pruning).
    public var channelMap: [Int]?
    public var mappedChannels = 0

    /// Output channels for `inChannels` input channels.
    public func outputChannels(for inChannels: Int) -> Int {
        channelMap != nil ? mappedChannels : inChannels + padBefore + padAfter
    }

    /// The output channel of input channel `ch`, or nil when it is dropped.
    @inline(__always)
    public func outputChannel(of ch: Int) -> Int? {
        guard let m = channelMap else { return ch + padBefore }
        return m[ch] >= 0 ? m[ch] : nil
    }

    /// Sets an explicit channel map (pruning surgery): checked against the channel count.
    public func setChannelMap(_ map: [Int], outputs: Int) throws {
        guard outputs >= 0, map.allSatisfy({ $0 >= -1 && $0 < outputs }),
              Set(map.filter { $0 >= 0 }).count == map.filter({ $0 >= 0 }).count else {
            throw TensorError("shortcut A: invalid channel map \(map) for \(outputs) outputs")
        }
        channelMap = map; mappedChannels = outputs
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        let x = try Check.input(input, rank: 4, "shortcut A", "[N, C, H, W]")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        if let m = channelMap, m.count != c {
            throw TensorError("shortcut A: input has \(c) channels, the channel map expects \(m.count)")
        }
        let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride, oc = outputChannels(for: c)
        let y = try Tensor.allocate([n, oc, oh, ow], "shortcut A")
        x.withFloats { xp in
            let yp = y.ptr
            let st = stride
            forEachPlane(n, c, h * w, oc, oh * ow) { i, o in
                let src = xp + i, dst = yp + o
                for r in 0..<oh { for q in 0..<ow { dst[r * ow + q] = src[r * st * w + q * st] } }
            }
        }
        inputShape = GradMode.enabled ? x.shape : nil
        return y
    }

    /// body(offset of an input plane, offset of its output plane) for every image and
    /// kept channel (`n` images of `c` planes of `plane` floats in, `oc` of `outPlane`
    /// out), the images split over the cores: at a stage change this copy ran alone on
    /// the calling thread.
    private func forEachPlane(_ n: Int, _ c: Int, _ plane: Int, _ oc: Int, _ outPlane: Int,
                              _ body: (_ input: Int, _ output: Int) -> Void) {
        let map = (0..<c).map { outputChannel(of: $0) }
        Parallel.ranges(n, grain: max(1, 16384 / max(c * outPlane, 1))) { lo, hi in
            for i in lo..<hi {
                for ch in 0..<c {
                    if let to = map[ch] { body((i * c + ch) * plane, (i * oc + to) * outPlane) }
                }
            }
        }
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        guard let s = inputShape else { throw noForward("shortcut A") }
        let (n, c, h, w) = (s[0], s[1], s[2], s[3])
        let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride, oc = outputChannels(for: c)
        let dy = try Check.grad(gradOutput, [n, oc, oh, ow], "shortcut A")
        let dx = try Tensor(zeros: s)
        dy.withFloats { g in
            let dp = dx.ptr
            let st = stride
            forEachPlane(n, c, h * w, oc, oh * ow) { i, o in
                let src = g + o, dst = dp + i
                for r in 0..<oh { for q in 0..<ow { dst[r * st * w + q * st] = src[r * ow + q] } }
            }
        }
        return dx
    }
}
