import Kernels
import Tensor

/// 2-d convolution over NCHW input (PyTorch's `nn.Conv2d`): stride, zero padding,
/// dilation, groups (depthwise when groups == in_channels), optional bias.
/// Channel counts are derived from the weight, so pruning surgery only replaces
/// `weight` / `bias` (and `groups` for depthwise layers).
public final class Conv2d: Module, ShapeInferring {
    public let typeName = "Conv2d"
    public var training = true
    /// [out_channels, in_channels / groups, kh, kw]
    public var weight: Parameter
    /// [out_channels], or nil.
    public var bias: Parameter?
    public var stride: (Int, Int)
    public var padding: (Int, Int)
    public var dilation: (Int, Int)
    public var groups: Int
    /// When false, backward skips ∂L/∂input and returns zeros (for a network's first
    /// layer, whose input gradient nobody reads; saves a third of its backward).
    public var computeInputGradient = true

    public var outChannels: Int { weight.value.shape[0] }
    public var inChannels: Int { weight.value.shape[1] * groups }
    public var kernelSize: (Int, Int) { (weight.value.shape[2], weight.value.shape[3]) }

    var cache: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1,
                bias: Bool = true) throws {
        try Check.positive(inChannels, "in_channels", "Conv2d")
        try Check.positive(outChannels, "out_channels", "Conv2d")
        try Check.positive(groups, "groups", "Conv2d")
        guard inChannels % groups == 0, outChannels % groups == 0 else {
            throw TensorError("Conv2d: in_channels (\(inChannels)) and out_channels (\(outChannels)) must be divisible by groups (\(groups))")
        }
        guard kernelSize.0 > 0, kernelSize.1 > 0, stride.0 > 0, stride.1 > 0, dilation.0 > 0, dilation.1 > 0 else {
            throw TensorError("Conv2d: kernel_size, stride and dilation must be positive")
        }
        guard padding.0 >= 0, padding.1 >= 0 else { throw TensorError("Conv2d: padding must be non-negative") }
        try Check.window([("stride", stride), ("padding", padding), ("dilation", dilation)], "Conv2d")
        let shape = [outChannels, inChannels / groups, kernelSize.0, kernelSize.1]
        weight = Parameter(try Init.defaultWeight(shape, "Conv2d"))
        self.bias = bias ? Parameter(try Init.defaultBias(outChannels, fanIn: Init.fans(shape).fanIn, "Conv2d")) : nil
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
    }

    public var parameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var extraDescription: String {
        var s = "\(inChannels), \(outChannels), kernel_size=\(pair(kernelSize)), stride=\(pair(stride))"
        if padding != (0, 0) { s += ", padding=\(pair(padding))" }
        if dilation != (1, 1) { s += ", dilation=\(pair(dilation))" }
        if groups != 1 { s += ", groups=\(groups)" }
        if bias == nil { s += ", bias=False" }
        return s
    }

    /// The geometry for an input shape (checked).
    public func geometry(for shape: [Int]) throws -> ConvGeometry {
        try ConvGeometry(batch: shape[0], inChannels: inChannels, height: shape[2], width: shape[3],
                         outChannels: outChannels, kernel: kernelSize, stride: stride, padding: padding,
                         dilation: dilation, groups: groups)
    }

    /// The checked convolution of `x` with the current weight and bias.
    func plan(_ x: Tensor) throws -> ConvPlan {
        try ConvPlan(input: x, weight: weight.value, bias: bias?.value, stride: stride, padding: padding,
                     dilation: dilation, groups: groups)
    }

    /// The input checked (rank 4, channel count) as every forward checks it.
    func checkedInput(_ input: Tensor) throws -> Tensor {
        let x = try Check.input(input, rank: 4, "conv2d", "[N, C, H, W]")
        try Check.channels(x, inChannels, "conv2d")
        return x
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        let x = try checkedInput(input)
        let y = try plan(x).forward()
        cache = GradMode.enabled ? x : nil
        return y
    }

    public func forwardShape(_ input: Tensor) throws -> Tensor {
        let x = try checkedInput(input)
        return try Tensor(zeros: try plan(x).outputShape)
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor { try gradients(gradOutput, addingToInput: nil) }

    /// ∂L/∂input (+ `extra`), parameter gradients accumulated unless `parameters` is
    /// false; `scale`, `gate`, `inputGate`: see `inputGradient`.
    private func gradients(_ gradOutput: Tensor, addingToInput extra: Tensor?, scale: [Float]? = nil,
                           gate: Tensor? = nil, inputGate: Tensor? = nil, parameters: Bool = true) throws -> Tensor {
        guard let x = cache else { throw noForward("conv2d") }
        let p = try plan(x)
        let dy = try Check.grad(gradOutput, p.outputShape, "conv2d")
        let dw = parameters && weight.requiresGrad ? try weight.gradBuffer() : nil
        let db = parameters && (bias?.requiresGrad ?? false) ? try bias?.gradBuffer() : nil
        return try p.backward(dy, inputGradient: computeInputGradient, addingToInput: extra, weightGrad: dw, biasGrad: db,
                              outputScale: scale, outputGate: gate, inputGate: inputGate)
    }
}

extension Conv2d {
    /// ∂L/∂input alone (+ `extra`), for `gradOutput` the gradient of this convolution's
    /// output times `scale` per output channel (a frozen BatchNorm fused after it,
    /// `FusedInference`) and, with `gate` (the output of a ReLU after them), the gradient
    /// behind that ReLU: the kernel applies its mask (`ReLUGate`). With `inputGate` (the
    /// output of a ReLU before it), the result is the gradient behind that ReLU
    /// (`InputGradientGating`). No parameter gradients, whatever `requiresGrad` says.
    func inputGradient(_ gradOutput: Tensor, scale: [Float]?, gate: Tensor? = nil, adding extra: Tensor?,
                       inputGate: Tensor? = nil) throws -> Tensor {
        try gradients(gradOutput, addingToInput: extra, scale: scale, gate: gate, inputGate: inputGate, parameters: false)
    }
}

extension Conv2d: InputGradientGating {
    /// (∂L/∂input + `extra`) behind the ReLU whose output is `gate`, in the input gradient's
    /// own output pass where the kernel can (`ConvEpilogue.gate`).
    public func backward(_ gradOutput: Tensor, adding extra: Tensor?, gatedBy gate: Tensor) throws -> Tensor {
        try gradients(gradOutput, addingToInput: extra, inputGate: gate)
    }
}

extension Conv2d: InputGradientAdding {
    /// `backward(g)` + `extra`, the sum made in the input gradient's own output pass.
    public func backward(_ gradOutput: Tensor, adding extra: Tensor) throws -> Tensor {
        try gradients(gradOutput, addingToInput: extra)
    }
}
