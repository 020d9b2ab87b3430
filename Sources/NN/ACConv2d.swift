import Tensor

/// An asymmetric convolution block (ACNet, Ding et al. 2019; SFM's over-parameterised
/// convolution): a k×k, a 1×k and a k×1 convolution of the same input, each followed by
/// its own BatchNorm, outputs summed. It trains as one layer; `fused()` folds it into a
/// single k×k `Conv2d` with bias that computes the same in eval mode.
///
/// The branches are ordinary `Conv2d` / `BatchNorm2d` layers held inside the block (not
/// children: the block is one layer to traces, groups, capture and masks). Their state
/// appears under ACNet's PyTorch names — `square_conv.weight`, `square_bn.running_mean`,
/// `hor_conv.weight`, `ver_bn.bias`, … — so the block's state dict matches ACNet's
/// `ACBlock`.
///
/// The 1×k branch sits on the centre row of the k×k window and the k×1 branch on the
/// centre column: with padding p the 1×k conv pads rows by p − k/2 (cropping the input
/// when that is negative, as ACNet's CropLayer does) and columns by p.
public final class ACConv2d: Module {
    public let typeName = "ACConv2d"
    public let square: Conv2d, hor: Conv2d, ver: Conv2d
    public let squareBN: BatchNorm2d, horBN: BatchNorm2d, verBN: BatchNorm2d
    /// The side k of the square kernel (odd, at least 3).
    public let kernel: Int
    public let stride: (Int, Int)
    public let padding: (Int, Int)

    public var inChannels: Int { square.inChannels }
    public var outChannels: Int { square.outChannels }

    /// The branches under their state-dict prefixes, in ACBlock's registration order.
    public var branches: [(name: String, module: any Module)] {
        [("square_conv", square), ("square_bn", squareBN), ("ver_conv", ver), ("hor_conv", hor),
         ("ver_bn", verBN), ("hor_bn", horBN)]
    }

    /// The three branches' BatchNorms under their state-dict names.
    public var norms: [(name: String, bn: BatchNorm2d)] { [("square_bn", squareBN), ("ver_bn", verBN), ("hor_bn", horBN)] }

    /// The training flag is the branches' (one flag for the whole block).
    public var training: Bool {
        get { squareBN.training }
        set { for (_, m) in branches { m.training = newValue } }
    }

    /// Rows the 1×k branch crops from each side of its input (and columns the k×1 branch
    /// crops) when the padding is smaller than k/2.
    var crop: (rows: Int, cols: Int) { (max(kernel / 2 - padding.0, 0), max(kernel / 2 - padding.1, 0)) }

    /// - Parameters: bias adds a bias to each branch conv (ACNet's branches have none:
    ///   the BNs make it redundant); eps and momentum are the three BNs'.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int = 3, stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), bias: Bool = false, eps: Double = 1e-5, momentum: Double? = 0.1) throws {
        guard kernelSize >= 3, kernelSize % 2 == 1 else {
            throw TensorError("ACConv2d: kernel_size must be odd and at least 3 (the 1×k and k×1 branches sit on its centre row and column), got \(kernelSize)")
        }
        guard padding.0 >= 0, padding.1 >= 0 else { throw TensorError("ACConv2d: padding must be non-negative") }
        try Check.window([("kernel_size", (kernelSize, kernelSize)), ("stride", stride), ("padding", padding)], "ACConv2d")
        let h = kernelSize / 2
        square = try Conv2d(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: stride,
                            padding: padding, bias: bias)
        ver = try Conv2d(inChannels, outChannels, kernelSize: (kernelSize, 1), stride: stride,
                         padding: (padding.0, max(padding.1 - h, 0)), bias: bias)
        hor = try Conv2d(inChannels, outChannels, kernelSize: (1, kernelSize), stride: stride,
                         padding: (max(padding.0 - h, 0), padding.1), bias: bias)
        squareBN = try BatchNorm2d(outChannels, eps: eps, momentum: momentum)
        verBN = try BatchNorm2d(outChannels, eps: eps, momentum: momentum)
        horBN = try BatchNorm2d(outChannels, eps: eps, momentum: momentum)
        kernel = kernelSize
        self.stride = stride; self.padding = padding
    }

    public var parameters: [(name: String, parameter: Parameter)] {
        branches.flatMap { b in b.module.parameters.map { (b.name + "." + $0.name, $0.parameter) } }
    }

    public var buffers: [(name: String, tensor: Tensor)] {
        branches.flatMap { b in b.module.buffers.map { (b.name + "." + $0.name, $0.tensor) } }
    }

    public func setBuffer(_ name: String, _ value: Tensor) -> Bool {
        for b in branches where name.hasPrefix(b.name + ".") {
            return b.module.setBuffer(String(name.dropFirst(b.name.count + 1)), value)
        }
        return false
    }

    public var extraDescription: String {
        var s = "\(inChannels), \(outChannels), kernel_size=\(pair((kernel, kernel))), stride=\(pair(stride))"
        if padding != (0, 0) { s += ", padding=\(pair(padding))" }
        if square.bias != nil { s += ", bias=True" }
        return s
    }

    /// The input of the 1×k (rows cropped) or k×1 (columns cropped) branch.
    func cropped(_ x: Tensor, dim: Int, by c: Int) throws -> Tensor {
        c == 0 ? x : try x.narrow(dim, c, x.shape[dim] - 2 * c)
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        let x = try Check.input(input, rank: 4, "acconv2d", "[N, C, H, W]")
        try Check.channels(x, inChannels, "acconv2d")
        let c = crop
        guard x.shape[2] + 2 * padding.0 >= kernel, x.shape[3] + 2 * padding.1 >= kernel else {
            throw TensorError("acconv2d: input \(shapeString(x.shape)) is smaller than the \(kernel)×\(kernel) kernel with padding \(pair(padding))")
        }
        let ys = try squareBN.forward(try square.forward(x))
        let yv = try verBN.forward(try ver.forward(try cropped(x, dim: 3, by: c.cols)))
        let yh = try horBN.forward(try hor.forward(try cropped(x, dim: 2, by: c.rows)))
        return try addSameShape(try addSameShape(ys, yv, "acconv2d", ("square", "vertical")), yh,
                                "acconv2d", ("square", "horizontal"))
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        let dxs = try square.backward(try squareBN.backward(gradOutput))
        let dxv = try ver.backward(try verBN.backward(gradOutput))
        let dxh = try hor.backward(try horBN.backward(gradOutput))
        let c = crop
        let dx = try dxs.contiguous().clone()
        for (d, dim, n) in [(dxv, 3, c.cols), (dxh, 2, c.rows)] {
            let at = try cropped(dx, dim: dim, by: n)
            try at.copy(from: try at.add(d))
        }
        return dx
    }
}
