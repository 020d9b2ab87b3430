import Kernels
import Tensor

/// Shared input handling of the 2-d pooling layers.
func poolInput(_ input: Tensor, _ op: String) throws -> Tensor {
    try Check.input(input, rank: 4, op, "[N, C, H, W]")
}

/// Max pooling (PyTorch's `nn.MaxPool2d`); stride defaults to the kernel size.
public final class MaxPool2d: Module {
    public let typeName = "MaxPool2d"
    public var training = true
    public var kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    public var ceilMode: Bool
    private var cache: (shape: [Int], geometry: PoolGeometry, index: [Int32])?

    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) throws {
        try Check.window([("kernel_size", kernelSize), ("stride", stride ?? kernelSize), ("padding", padding),
                          ("dilation", dilation)], "MaxPool2d")
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize
        self.padding = padding; self.dilation = dilation; self.ceilMode = ceilMode
        _ = try geometry([1, 1, max(kernelSize.0 * dilation.0, 1), max(kernelSize.1 * dilation.1, 1)])
    }

    func geometry(_ s: [Int]) throws -> PoolGeometry {
        try PoolGeometry(planes: s[0] * s[1], height: s[2], width: s[3], kernel: kernelSize, stride: stride,
                         padding: padding, dilation: dilation, ceilMode: ceilMode, op: "max_pool2d")
    }

    public var extraDescription: String {
        let k = kernelSize.0 == kernelSize.1 ? "\(kernelSize.0)" : pair(kernelSize)
        let s = stride.0 == stride.1 ? "\(stride.0)" : pair(stride)
        let p = padding.0 == padding.1 ? "\(padding.0)" : pair(padding)
        let d = dilation.0 == dilation.1 ? "\(dilation.0)" : pair(dilation)
        return "kernel_size=\(k), stride=\(s), padding=\(p), dilation=\(d), ceil_mode=\(ceilMode ? "True" : "False")"
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        let x = try poolInput(input, "max_pool2d")
        let g = try geometry(x.shape)
        let y = try Tensor.allocate([x.shape[0], x.shape[1], g.outHeight, g.outWidth], zeroed: false, typeName)
        var index = [Int32](repeating: 0, count: y.numel)
        x.withFloats { xp in index.withUnsafeMutableBufferPointer { Pooling.maxForward(g, x: xp, y: y.ptr, index: $0.baseAddress!) } }
        cache = GradMode.enabled ? (x.shape, g, index) : nil
        return y
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        guard let (shape, g, index) = cache else { throw noForward("max_pool2d") }
        let dy = try Check.grad(gradOutput, [shape[0], shape[1], g.outHeight, g.outWidth], "max_pool2d")
        let dx = try Tensor(uninitialized: shape)
        dy.withFloats { Pooling.maxBackward(g, dy: $0, index: index, dx: dx.ptr) }
        return dx
    }
}

/// Average pooling (PyTorch's `nn.AvgPool2d`, count_include_pad by default).
public final class AvgPool2d: Module {
    public let typeName = "AvgPool2d"
    public var training = true
    public var kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int)
    public var ceilMode: Bool, countIncludePad: Bool
    private var cache: (shape: [Int], geometry: PoolGeometry)?

    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                ceilMode: Bool = false, countIncludePad: Bool = true) throws {
        try Check.window([("kernel_size", kernelSize), ("stride", stride ?? kernelSize), ("padding", padding)], "AvgPool2d")
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
        self.ceilMode = ceilMode; self.countIncludePad = countIncludePad
        _ = try geometry([1, 1, max(kernelSize.0, 1), max(kernelSize.1, 1)])
    }

    func geometry(_ s: [Int]) throws -> PoolGeometry {
        try PoolGeometry(planes: s[0] * s[1], height: s[2], width: s[3], kernel: kernelSize, stride: stride,
                         padding: padding, ceilMode: ceilMode, op: "avg_pool2d")
    }

    public var extraDescription: String {
        let k = kernelSize.0 == kernelSize.1 ? "\(kernelSize.0)" : pair(kernelSize)
        let s = stride.0 == stride.1 ? "\(stride.0)" : pair(stride)
        let p = padding.0 == padding.1 ? "\(padding.0)" : pair(padding)
        return "kernel_size=\(k), stride=\(s), padding=\(p)"
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        let x = try poolInput(input, "avg_pool2d")
        let g = try geometry(x.shape)
        let y = try Tensor.allocate([x.shape[0], x.shape[1], g.outHeight, g.outWidth], zeroed: false, typeName)
        x.withFloats { Pooling.avgForward(g, includePad: countIncludePad, x: $0, y: y.ptr) }
        cache = GradMode.enabled ? (x.shape, g) : nil
        return y
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        guard let (shape, g) = cache else { throw noForward("avg_pool2d") }
        let dy = try Check.grad(gradOutput, [shape[0], shape[1], g.outHeight, g.outWidth], "avg_pool2d")
        let dx = try Tensor(uninitialized: shape)
        dy.withFloats { Pooling.avgBackward(g, includePad: countIncludePad, dy: $0, dx: dx.ptr) }
        return dx
    }
}

/// Adaptive average pooling to a fixed output size (PyTorch's `nn.AdaptiveAvgPool2d`).
public final class AdaptiveAvgPool2d: Module {
    public let typeName = "AdaptiveAvgPool2d"
    public var training = true
    public var outputSize: (Int, Int)
    private var inputShape: [Int]?

    public init(outputSize: (Int, Int)) throws {
        guard outputSize.0 > 0, outputSize.1 > 0 else {
            throw TensorError("AdaptiveAvgPool2d: output size must be positive, got \(pair(outputSize))")
        }
        self.outputSize = outputSize
    }

    public var extraDescription: String {
        "output_size=" + (outputSize.0 == outputSize.1 ? "\(outputSize.0)" : pair(outputSize))
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        let x = try poolInput(input, "adaptive_avg_pool2d")
        let s = x.shape
        guard s[2] > 0, s[3] > 0 else {
            throw TensorError("adaptive_avg_pool2d: input \(s[2])x\(s[3]) has no values to average (the input's spatial size must be positive)")
        }
        let y = try Tensor.allocate([s[0], s[1], outputSize.0, outputSize.1], zeroed: false, "adaptive_avg_pool2d")
        x.withFloats { xp in
            Pooling.adaptiveAvg(planes: s[0] * s[1], height: s[2], width: s[3], outH: outputSize.0, outW: outputSize.1,
                                x: xp, y: y.ptr)
        }
        inputShape = GradMode.enabled ? s : nil
        return y
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        guard let s = inputShape else { throw noForward("adaptive_avg_pool2d") }
        let dy = try Check.grad(gradOutput, [s[0], s[1], outputSize.0, outputSize.1], "adaptive_avg_pool2d")
        let dx = try Tensor(uninitialized: s)
        dy.withFloats { g in
            Pooling.adaptiveAvg(planes: s[0] * s[1], height: s[2], width: s[3], outH: outputSize.0, outW: outputSize.1,
                                x: nil, y: nil, dy: g, dx: dx.ptr)
        }
        return dx
    }
}
