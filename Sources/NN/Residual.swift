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

    public func forward(_ input: Tensor) throws -> Tensor {
        let y = try Tracer.run(bodyName, body, input)
        var s = input
        if let shortcut {
            if let a = shortcut as? ShortcutA { try a.configure(input: input.shape, target: y.shape) }
            s = try Tracer.run(shortcutName, shortcut, input)
        }
        let sum = try addSameShape(y, s, "residual", ("body", "shortcut"))
        Tracer.record(.add, "Add", inputs: [y, s], output: sum)
        guard let post else { return sum }
        return try Tracer.run(postName, post, sum)
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        let g = try post?.backward(gradOutput) ?? gradOutput
        let gb = try body.backward(g)
        let gs = try shortcut?.backward(g) ?? g
        return try addSameShape(gb, gs, "residual backward", ("body", "shortcut"))
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
        "stride=\(stride), pad=(\(padBefore), \(padAfter))" + (automatic ? ", automatic" : "")
    }

    /// Sets stride and padding (automatic mode) so the output matches `target`.
    func configure(input: [Int], target: [Int]) throws {
        guard automatic, input.count == 4, target.count == 4 else { return }
        let extra = target[1] - input[1]
        guard extra >= 0, target[2] > 0 else {
            throw TensorError("shortcut A: body output \(shapeString(target)) has fewer channels than the input \(shapeString(input))")
        }
        stride = max(1, (input[2] + target[2] - 1) / target[2])
        padBefore = extra / 2
        padAfter = extra - extra / 2
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        let x = try Check.input(input, rank: 4, "shortcut A", "[N, C, H, W]")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride, oc = c + padBefore + padAfter
        let y = try Tensor.allocate([n, oc, oh, ow], "shortcut A")
        for i in 0..<n {
            for ch in 0..<c {
                let src = x.ptr + (i * c + ch) * h * w, dst = y.ptr + (i * oc + ch + padBefore) * oh * ow
                for r in 0..<oh { for q in 0..<ow { dst[r * ow + q] = src[r * stride * w + q * stride] } }
            }
        }
        inputShape = GradMode.enabled ? x.shape : nil
        return y
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        guard let s = inputShape else { throw noForward("shortcut A") }
        let (n, c, h, w) = (s[0], s[1], s[2], s[3])
        let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride, oc = c + padBefore + padAfter
        let dy = try Check.grad(gradOutput, [n, oc, oh, ow], "shortcut A")
        let dx = Tensor(zeros: s)
        for i in 0..<n {
            for ch in 0..<c {
                let src = dy.ptr + (i * oc + ch + padBefore) * oh * ow, dst = dx.ptr + (i * c + ch) * h * w
                for r in 0..<oh { for q in 0..<ow { dst[r * stride * w + q * stride] = src[r * ow + q] } }
            }
        }
        return dx
    }
}
