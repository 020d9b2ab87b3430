import Tensor

/// Squeeze-and-excitation (Hu et al. 2018), laid out as torchvision's
/// `ops.SqueezeExcitation`: y = x · s with s = scale_activation(fc2(activation(fc1(avgpool(x))))),
/// one scale per image and channel. Children, in the order they run: `avgpool`
/// (AdaptiveAvgPool2d(1)), `fc1` (1×1 Conv2d, channels → squeeze channels, bias), `activation`
/// (ReLU by default), `fc2` (1×1 Conv2d back, bias), `scale_activation` (Sigmoid by default;
/// MobileNetV3 uses Hardsigmoid) — the state dict keys are torchvision's.
///
/// The product is recorded in traces as a `scale` node (inputs x, s), which ties fc2's output
/// channels to x's: pruning the block's channels shrinks fc1's inputs and fc2's outputs
/// with them, and fc1's outputs (the squeeze channels) are a group of their own.
public final class SqueezeExcite: Module {
    public var typeName: String
    public var training = true
    /// The children by name, in execution order (fixed names; `replace` swaps one).
    public private(set) var parts: [(name: String, module: any Module)]
    /// x and s of the last forward with gradients.
    private var cache: (x: Tensor, s: Tensor)?

    static let names = ["avgpool", "fc1", "activation", "fc2", "scale_activation"]

    /// A block for `channels` channels squeezed to `squeezeChannels`.
    public convenience init(channels: Int, squeezeChannels: Int, activation: (any Module)? = nil,
                            scaleActivation: (any Module)? = nil, typeName: String = "SqueezeExcite") throws {
        guard channels > 0, squeezeChannels > 0 else {
            throw TensorError("SqueezeExcite: channels and squeeze channels must be positive, got \(channels) and \(squeezeChannels)")
        }
        try self.init(named: [
            ("avgpool", try AdaptiveAvgPool2d(outputSize: (1, 1))),
            ("fc1", try Conv2d(channels, squeezeChannels, kernelSize: (1, 1), bias: true)),
            ("activation", activation ?? ReLU()),
            ("fc2", try Conv2d(squeezeChannels, channels, kernelSize: (1, 1), bias: true)),
            ("scale_activation", scaleActivation ?? Sigmoid()),
        ], typeName: typeName)
    }

    /// The five children under their names (a spec's `children`), in that order.
    public init(named: [(String, any Module)], typeName: String = "SqueezeExcite") throws {
        guard named.map(\.0) == Self.names else {
            throw TensorError("SqueezeExcite: children must be \(Self.names.joined(separator: ", ")) in that order, got \(named.map(\.0).joined(separator: ", "))")
        }
        self.typeName = typeName
        parts = named.map { (name: $0.0, module: $0.1) }
        for (_, m) in parts { try Nesting.adopt(m, into: self, typeName) }
    }

    public var children: [(name: String, module: any Module)] { parts }

    /// Puts `module` in the place of the child `name`.
    public func replace(_ name: String, with module: any Module) throws {
        guard let i = parts.firstIndex(where: { $0.name == name }) else {
            throw TensorError("\(typeName): no child named '\(name)' (\(Self.names.joined(separator: ", ")))")
        }
        try Nesting.adopt(module, into: self, typeName)
        parts[i].module = module
        cache = nil
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        let x = try input.toFloat().contiguous()
        guard x.dim == 4 else {
            throw TensorError("\(typeName): expected [N, C, H, W] input, got \(shapeString(x.shape))")
        }
        var s = x
        for (name, m) in parts { s = try Tracer.run(name, m, s) }
        s = try s.toFloat().contiguous()
        let (n, c) = (x.shape[0], x.shape[1]), plane = x.shape[2] * x.shape[3]
        guard s.shape == [n, c, 1, 1] else {
            throw TensorError("\(typeName): the scale branch gave \(shapeString(s.shape)) for input \(shapeString(x.shape)), expected \(shapeString([n, c, 1, 1]))")
        }
        let y = try Tensor(uninitialized: x.shape)
        let xp = x.ptr, sp = s.ptr, yp = y.ptr
        for k in 0..<(n * c) {
            let v = sp[k], base = k * plane
            for i in 0..<plane { yp[base + i] = xp[base + i] * v }
        }
        Tracer.record(.scale, "Mul", inputs: [x, s], output: y)
        cache = GradMode.enabled ? (x, s) : nil
        return y
    }

    /// ∂L/∂x = ∂L/∂y · s + the scale branch's backward of ∂L/∂s = Σ over positions of ∂L/∂y · x.
    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        guard let (x, s) = cache else { throw noForward(typeName.lowercased()) }
        let dy = try Check.grad(gradOutput, x.shape, typeName.lowercased())
        let (n, c) = (x.shape[0], x.shape[1]), plane = x.shape[2] * x.shape[3]
        let ds = try Tensor(uninitialized: s.shape), dx = try Tensor(uninitialized: x.shape)
        let xp = x.ptr, sp = s.ptr, gp = dy.ptr, dsp = ds.ptr, dxp = dx.ptr
        for k in 0..<(n * c) {
            let v = sp[k], base = k * plane
            var acc: Float = 0
            for i in 0..<plane {
                acc += gp[base + i] * xp[base + i]
                dxp[base + i] = gp[base + i] * v
            }
            dsp[k] = acc
        }
        var g = ds
        for (name, m) in parts.reversed() { g = try Tracer.runBackward(name, m, g) }
        let through = try g.toFloat().contiguous()
        guard through.shape == x.shape else {
            throw TensorError("\(typeName) backward: the scale branch gave a gradient of \(shapeString(through.shape)), expected \(shapeString(x.shape))")
        }
        let tp = through.ptr
        for i in 0..<x.numel { dxp[i] += tp[i] }
        return dx
    }
}
