import Tensor

/// A checked 2-d convolution on tensors, as `MatmulPlan` is for matrix products: the
/// operands made contiguous float32 and held for the plan's lifetime, and the geometry.
/// `forward` and `backward` hand the kernels pointers only inside `withFloats`, so no
/// operand (a contiguous copy included) is released while a kernel reads it.
public struct ConvPlan {
    public let geometry: ConvGeometry
    /// [N, Cin, H, W], contiguous float32.
    public let input: Tensor
    /// [Cout, Cin / groups, kh, kw], contiguous float32.
    public let weight: Tensor
    /// [Cout], contiguous float32, or nil.
    public let bias: Tensor?

    /// Checks the shapes (4-d input and weight, input channels = weight's · groups, a
    /// bias of one value per output channel) and the geometry; `op` prefixes errors.
    public init(input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1,
                op: String = "conv2d") throws {
        guard input.dim == 4 else {
            throw TensorError("\(op): expected a 4-d input [N, C, H, W], got shape \(shapeString(input.shape))")
        }
        guard weight.dim == 4 else {
            throw TensorError("\(op): expected a 4-d weight [Cout, Cin/groups, kh, kw], got shape \(shapeString(weight.shape))")
        }
        guard groups > 0, input.shape[1] == weight.shape[1] * groups else {
            throw TensorError("\(op): input has \(input.shape[1]) channels, layer expects \(weight.shape[1] * max(groups, 1))")
        }
        if let bias, bias.shape != [weight.shape[0]] {
            throw TensorError("\(op): bias has shape \(shapeString(bias.shape)), expected [\(weight.shape[0])]")
        }
        let s = input.shape
        geometry = try ConvGeometry(batch: s[0], inChannels: s[1], height: s[2], width: s[3],
                                    outChannels: weight.shape[0], kernel: (weight.shape[2], weight.shape[3]),
                                    stride: stride, padding: padding, dilation: dilation, groups: groups, op: op)
        self.input = try input.toFloat().contiguous()
        self.weight = try weight.toFloat().contiguous()
        self.bias = try bias?.toFloat().contiguous()
    }

    /// The output shape [N, Cout, OH, OW].
    public var outputShape: [Int] { [geometry.batch, geometry.outChannels, geometry.outHeight, geometry.outWidth] }

    /// y = conv(input, weight) + bias.
    public func forward() throws -> Tensor {
        let y = try Tensor(uninitialized: outputShape), g = geometry
        try input.withFloats { x in
            try weight.withFloats { w in
                if let bias {
                    try bias.withFloats { b in try Conv2dKernel.forward(g, x: x, weight: w, bias: b, y: y.ptr) }
                } else {
                    try Conv2dKernel.forward(g, x: x, weight: w, bias: nil, y: y.ptr)
                }
            }
        }
        return y
    }

    /// y = act((conv(input, weight) + bias)·scale[o] + shift[o] + residual) in the output
    /// pass (see `ConvEpilogue`; bit-equal to the separate steps). `scale` and `shift` have
    /// one value per output channel (nil: none); `residual` has the output's shape. `into`
    /// (a contiguous float32 tensor of the output's shape, overlapping no operand — except
    /// the residual itself, element for element, where `Conv2dKernel.outputMayOverwriteResidual`)
    /// receives the output and is returned; nil: a new tensor.
    /// `upper`: after the ReLU, values above it become it (ReLU6: relu with upper 6).
    public func forward(scale: [Float]?, shift: [Float]?, residual: Tensor?, relu: Bool, upper: Float? = nil,
                        into: Tensor? = nil) throws -> Tensor {
        let c = geometry.outChannels
        guard scale.map({ $0.count == c }) ?? true, shift.map({ $0.count == c }) ?? true else {
            throw TensorError("conv2d: output pass needs \(c) scale and shift values")
        }
        if let residual, residual.shape != outputShape {
            throw TensorError("residual: body output \(shapeString(outputShape)) and shortcut output \(shapeString(residual.shape)) differ")
        }
        let r = try residual?.toFloat().contiguous()
        if let into {
            guard into.shape == outputShape, into.dtype == .float32, into.isContiguous else {
                throw TensorError("conv2d: output tensor must be contiguous float32 of shape \(shapeString(outputShape)), got \(shapeString(into.shape))")
            }
            // the residual itself may be overwritten (the same elements) where the path allows it
            let overwrites = r.map { $0.storage === into.storage && $0.offset == into.offset && $0.isContiguous } ?? false
            guard !(overwrites && !Conv2dKernel.outputMayOverwriteResidual(geometry)),
                  ![input, weight, overwrites ? nil : r].contains(where: { $0?.overlaps(into) ?? false }) else {
                throw TensorError("conv2d: the output tensor shares memory with an operand")
            }
        }
        let y = try into ?? Tensor(uninitialized: outputShape), g = geometry
        func run(_ res: UnsafePointer<Float>?) throws {
            try input.withFloats { x in
                try weight.withFloats { w in
                    try withOptional(bias?.toFloats()) { bp in
                        try withOptional(scale) { sp in
                            try withOptional(shift) { hp in
                                let e = ConvEpilogue(bias: bp, scale: sp, shift: hp, residual: res, relu: relu, upper: upper)
                                try Conv2dKernel.forward(g, x: x, weight: w, epilogue: e, y: y.ptr)
                            }
                        }
                    }
                }
            }
        }
        if let r { try r.withFloats { try run($0) } } else { try run(nil) }
        return y
    }

    /// The gradients for `gradOutput` (of `outputShape`): returns ∂L/∂input when
    /// `inputGradient` (else zeros), plus `addingToInput` when given (bit-equal to adding
    /// it afterwards, without the extra pass where the kernel can: `Conv2dKernel.backward`),
    /// and ADDS ∂L/∂weight to `weightGrad` and ∂L/∂bias to `biasGrad` when given
    /// (contiguous float32 tensors of the weight's and bias's shapes). With `outputScale`
    /// (one value per output channel), `gradOutput` is the gradient of the output times
    /// that scale — a frozen BatchNorm after the convolution — and dy·scale is what the
    /// gradients are taken for (`Conv2dKernel.backward(…, scaledBy:)`). With `outputGate`
    /// (the output's shape: a ReLU's output after the convolution), `gradOutput` is the
    /// gradient behind that ReLU, gated where the kernel copies it (`ReLUGate`). With
    /// `inputGate` (the input's shape: the output of a ReLU before the convolution), the
    /// result (with `addingToInput`) is the gradient behind that ReLU, gated as the kernel
    /// writes it (`ConvEpilogue.gate`), so the ReLU's backward need not run.
    public func backward(_ gradOutput: Tensor, inputGradient: Bool = true, addingToInput extra: Tensor? = nil,
                         weightGrad: Tensor? = nil, biasGrad: Tensor? = nil, outputScale: [Float]? = nil,
                         outputGate: Tensor? = nil, inputGate: Tensor? = nil) throws -> Tensor {
        guard gradOutput.shape == outputShape else {
            throw TensorError("conv2d: gradient has shape \(shapeString(gradOutput.shape)), the output had \(shapeString(outputShape))")
        }
        if let outputGate, outputGate.shape != outputShape {
            throw TensorError("conv2d: output gate has shape \(shapeString(outputGate.shape)), the output had \(shapeString(outputShape))")
        }
        if let inputGate, inputGate.shape != input.shape {
            throw TensorError("conv2d: input gate has shape \(shapeString(inputGate.shape)), the input had \(shapeString(input.shape))")
        }
        if let outputScale, outputScale.count != geometry.outChannels {
            throw TensorError("conv2d: output scale has \(outputScale.count) values for \(geometry.outChannels) output channels")
        }
        if let extra {
            guard extra.shape == input.shape else {
                throw TensorError("conv2d: the gradient to add has shape \(shapeString(extra.shape)), the input had \(shapeString(input.shape))")
            }
            guard inputGradient else {
                _ = try backward(gradOutput, inputGradient: false, weightGrad: weightGrad, biasGrad: biasGrad,
                                 outputScale: outputScale, outputGate: outputGate)
                let out = try extra.toFloat().contiguous().clone()
                if let inputGate {
                    let gate = try inputGate.toFloat().contiguous()
                    gate.withFloats { ReLUGate.applyParallel(out.ptr, gate: $0, count: out.numel, into: out.ptr) }
                }
                return out
            }
        }
        for (t, like, what) in [(weightGrad, weight, "weight"), (biasGrad, bias, "bias")] {
            guard let t else { continue }
            guard t.dtype == .float32, t.isContiguous, t.shape == like?.shape else {
                throw TensorError("conv2d: \(what) gradient must be a contiguous float32 tensor of the \(what)'s shape")
            }
        }
        let g = geometry
        let dx = inputGradient ? try Tensor(uninitialized: input.shape) : try Tensor(zeros: input.shape)
        let dxp = inputGradient ? dx.ptr : nil
        let gate = try outputGate.map { try $0.toFloat().contiguous() }
        let xGate = inputGradient ? try inputGate.map { try $0.toFloat().contiguous() } : nil
        try Tensor.withFloats([input, weight, try extra.map { try $0.toFloat().contiguous() }, gate, xGate]) { p in
            try gradOutput.withContiguousFloats { dy in
                try withOptional(outputScale) { scale in
                    try Conv2dKernel.backward(g, x: p[0]!, weight: p[1]!, dy: dy, dx: dxp, dw: weightGrad?.ptr,
                                              db: biasGrad?.ptr, dxAdding: p[2].map { UnsafePointer($0) }, dyScale: scale,
                                              dyGate: p[3].map { UnsafePointer($0) }, dxGate: p[4].map { UnsafePointer($0) })
                }
            }
        }
        return dx
    }
}

/// `body` with a pointer to the array's floats, or nil.
private func withOptional<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
    guard let a else { return try body(nil) }
    return try a.withUnsafeBufferPointer { try body($0.baseAddress) }
}
