import Tensor

extension ACConv2d {
    /// The single k×k convolution (with bias) that computes what the block computes in
    /// eval mode: each BN folded into its branch (W·γ/σ, β − μ·γ/σ + b·γ/σ with
    /// σ = √(running_var + eps)), the 1×k kernel added into the centre row and the k×1
    /// kernel into the centre column of the k×k one, the biases summed. Refused in
    /// training mode, where the BNs use batch statistics and no single conv is equal.
    public func fused() throws -> Conv2d {
        guard !training else {
            throw TensorError("ACConv2d:fuse: the block is in training mode (its BatchNorms use batch statistics); call eval() first — the fused conv equals the block in eval mode")
        }
        let k = kernel
        let conv = try Conv2d(inChannels, outChannels, kernelSize: (k, k), stride: stride, padding: padding, bias: true)
        let (w, b) = try equivalentKernel()
        conv.weight.value = w
        conv.bias?.value = b
        conv.training = false
        return conv
    }

    /// The k×k weight [out, in, k, k] and the bias [out] of the convolution the block
    /// computes in eval mode (what `fused()` builds), whatever its mode: the BNs enter
    /// with their running statistics. Weight criteria score a block by this kernel, so
    /// a block scores as its fused conv does.
    public func equivalentKernel() throws -> (weight: Tensor, bias: Tensor) {
        let k = kernel, h = k / 2, cin = inChannels, cout = outChannels
        var w = [Double](repeating: 0, count: cout * cin * k * k), b = [Double](repeating: 0, count: cout)
        // (conv, bn, where tap t of the branch kernel lands in the k×k window)
        let parts: [(Conv2d, BatchNorm2d, (Int) -> Int)] = [
            (square, squareBN, { $0 }), (ver, verBN, { $0 * k + h }), (hor, horBN, { h * k + $0 })]
        for (c, bn, place) in parts {
            let taps = c.kernelSize.0 * c.kernelSize.1
            let cw = c.weight.value.toFloats(), cb = c.bias?.value.toFloats()
            let (scale, shift) = bn.affine(Double.self)
            for o in 0..<cout {
                for i in 0..<cin {
                    let src = (o * cin + i) * taps, dst = (o * cin + i) * k * k
                    for t in 0..<taps { w[dst + place(t)] += scale[o] * Double(cw[src + t]) }
                }
                b[o] += shift[o] + scale[o] * Double(cb?[o] ?? 0)
            }
        }
        return (try Tensor(shape: [cout, cin, k, k], values: w.map { Float($0) }),
                try Tensor(shape: [cout], values: b.map { Float($0) }))
    }

    /// A block whose k×k branch starts from `conv`'s weights (and bias): in eval mode it
    /// computes what `conv` computes (its square BN starts at the identity, up to BN's
    /// eps) plus the 1×k and k×1 branches scaled by their BNs' γ, set to `gamma`. With
    /// γ = 0 (the default of `nn.acnet`) the new branches start switched off and the
    /// converted net computes what the original did; their γ still learns, so they
    /// grow in during fine-tuning. γ = 1 is ACNet's initialisation for training from
    /// scratch. `conv` must be a square odd k×k (k ≥ 3), groups 1, dilation 1.
    public convenience init(converting conv: Conv2d, gamma: Double = 0) throws {
        guard ACConv2d.canConvert(conv) else {
            throw TensorError("ACConv2d: cannot convert \(conv.description) (a square odd kernel of at least 3×3, groups 1 and dilation 1 is needed)")
        }
        try self.init(conv.inChannels, conv.outChannels, kernelSize: conv.kernelSize.0, stride: conv.stride,
                      padding: conv.padding, bias: conv.bias != nil)
        try square.weight.value.copy(from: conv.weight.value)
        if let b = conv.bias, let sb = square.bias { try sb.value.copy(from: b.value) }
        for bn in [verBN, horBN] { bn.weight?.value.fill(Float(gamma)) }
        training = conv.training
    }

    /// Whether `nn.acnet` converts this conv: a square odd k×k kernel (k ≥ 3), groups 1,
    /// dilation 1.
    public static func canConvert(_ conv: Conv2d) -> Bool {
        let k = conv.kernelSize
        return k.0 == k.1 && k.0 >= 3 && k.0 % 2 == 1 && conv.groups == 1 && conv.dilation == (1, 1)
    }
}
