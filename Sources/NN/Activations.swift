import Kernels
import Tensor

/// Element-wise activations with a cached tensor for backward: ReLU, ReLU6, LeakyReLU here;
/// Sigmoid, Tanh, SiLU, GELU, ELU (Activations+Smooth.swift); Hardswish, Hardsigmoid
/// (Activations+Hard.swift).
public class Activation: Module {
    public var typeName: String { "Activation" }
    public var training = true
    public var extraDescription: String { "" }
    var cache: Tensor?

    /// y = f(x) for one element.
    func value(_ x: Float) -> Float { x }
    /// f'(x) given the cached value (the input or the output, see `cachesOutput`).
    func slope(_ cached: Float) -> Float { 1 }
    /// Whether backward needs the output (ReLU) rather than the input.
    var cachesOutput: Bool { false }
    /// Whether the output is exactly 0 over a range of inputs (ReLU, ReLU6, Hardswish,
    /// Hardsigmoid): APoZ counts those zeros; after SiLU, GELU, ELU, LeakyReLU, Sigmoid or
    /// Tanh there are none to count.
    public var outputsZeros: Bool { false }

    /// y[i] = f(x[i]) for i in 0..<n. Subclasses override it with the loop written out, which
    /// the compiler vectorises (this one calls `value` through the class for every element).
    func values(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { y[i] = value(x[i]) }
    }

    /// dx[i] = dy[i]·f'(cached[i]) for i in 0..<n; overridden as `values` is.
    func gradients(_ dy: UnsafePointer<Float>, _ cached: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { dx[i] = dy[i] * slope(cached[i]) }
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        let x = try input.toFloat().contiguous()
        let y = try Tensor(uninitialized: x.shape)
        let dst = y.ptr
        x.withFloats { src in
            Parallel.ranges(x.numel, grain: 32768) { lo, hi in self.values(src + lo, dst + lo, hi - lo) }
        }
        cache = GradMode.enabled ? (cachesOutput ? y : x) : nil
        return y
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        guard let c = cache else { throw noForward(typeName.lowercased()) }
        let dy = try Check.grad(gradOutput, c.shape, typeName.lowercased())
        let dx = try Tensor(uninitialized: c.shape)
        let out = dx.ptr
        dy.withFloats { g in c.withFloats { v in
            Parallel.ranges(c.numel, grain: 32768) { lo, hi in self.gradients(g + lo, v + lo, out + lo, hi - lo) }
        } }
        return dx
    }
}

/// max(x, 0).
public final class ReLU: Activation {
    public override var typeName: String { "ReLU" }
    public override init() {}

    /// Where the output was positive, kept instead of `cache` when a gradient pass let the
    /// next layer write over the output (`FusedInference.overwritesKeptInputs`). Any new
    /// cache (a forward, or clearing it) drops it.
    var mask: ReLUMask?
    override var cache: Tensor? { didSet { mask = nil } }

    /// The output from the last forward with gradients, or, where only its mask was kept,
    /// the mask as 1 / 0 floats (the same gate); nil without either.
    func gateOutput() throws -> Tensor? { try cache ?? mask?.tensor() }

    /// Whether `gateOutput` has something to give.
    var hasGateOutput: Bool { cache != nil || mask != nil }
    override var cachesOutput: Bool { true }
    public override var outputsZeros: Bool { true }
    override func value(_ x: Float) -> Float { x > 0 ? x : 0 }
    override func slope(_ y: Float) -> Float { y > 0 ? 1 : 0 }

    // Specialised loops (the generic path calls through the class per element).
    public override func forward(_ input: Tensor) throws -> Tensor {
        let x = try input.toFloat().contiguous()
        let y = try Tensor(uninitialized: x.shape)
        let dst = y.ptr
        x.withFloats { src in
            Parallel.ranges(x.numel, grain: 32768) { lo, hi in
                for i in lo..<hi { dst[i] = max(src[i], 0) }
            }
        }
        cache = GradMode.enabled ? y : nil
        return y
    }

    public override func backward(_ gradOutput: Tensor) throws -> Tensor {
        guard let c = try gateOutput() else { throw noForward("relu") }
        let dy = try Check.grad(gradOutput, c.shape, "relu")
        let dx = try Tensor(uninitialized: c.shape)
        let out = dx.ptr
        dy.withFloats { g in c.withFloats { v in ReLUGate.applyParallel(g, gate: v, count: c.numel, into: out) } }
        return dx
    }
}

/// min(max(x, 0), 6).
public final class ReLU6: Activation {
    public override var typeName: String { "ReLU6" }
    public override init() {}
    public override var outputsZeros: Bool { true }
    override func value(_ x: Float) -> Float { min(max(x, 0), 6) }
    override func slope(_ x: Float) -> Float { x > 0 && x < 6 ? 1 : 0 }
    override func values(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { y[i] = min(max(x[i], 0), 6) }
    }
    override func gradients(_ dy: UnsafePointer<Float>, _ cached: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { dx[i] = dy[i] * (cached[i] > 0 && cached[i] < 6 ? 1 : 0) }
    }
}

/// x for x > 0, negative_slope·x otherwise.
public final class LeakyReLU: Activation {
    public override var typeName: String { "LeakyReLU" }
    public var negativeSlope: Float
    public init(negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope }
    public override var extraDescription: String { "negative_slope=\(formatNumber(Double(negativeSlope)))" }
    override func value(_ x: Float) -> Float { x > 0 ? x : x * negativeSlope }
    override func slope(_ x: Float) -> Float { x > 0 ? 1 : negativeSlope }
    override func values(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let a = negativeSlope
        for i in 0..<n { y[i] = x[i] > 0 ? x[i] : x[i] * a }
    }
    override func gradients(_ dy: UnsafePointer<Float>, _ cached: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        let a = negativeSlope
        for i in 0..<n { dx[i] = dy[i] * (cached[i] > 0 ? 1 : a) }
    }
}
