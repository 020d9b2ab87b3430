import Tensor

// Piecewise-linear activations of MobileNetV3: Hardswish and Hardsigmoid, with PyTorch's
// slopes at the kinks.

/// x·min(max(x + 3, 0), 6) / 6.
public final class Hardswish: Activation {
    public override var typeName: String { "Hardswish" }
    public override init() {}
    public override var outputsZeros: Bool { true }
    override func value(_ x: Float) -> Float { x * min(max(x + 3, 0), 6) / 6 }
    /// 0 below −3, x/3 + 1/2 up to 3 (both ends included, as PyTorch), 1 above.
    override func slope(_ x: Float) -> Float { x < -3 ? 0 : (x <= 3 ? x / 3 + 0.5 : 1) }
    override func values(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { y[i] = x[i] * min(max(x[i] + 3, 0), 6) / 6 }
    }
    override func gradients(_ dy: UnsafePointer<Float>, _ cached: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n {
            let x = cached[i]
            dx[i] = dy[i] * (x < -3 ? 0 : (x <= 3 ? x / 3 + 0.5 : 1))
        }
    }
}

/// min(max(x + 3, 0), 6) / 6.
public final class Hardsigmoid: Activation {
    public override var typeName: String { "Hardsigmoid" }
    public override init() {}
    public override var outputsZeros: Bool { true }
    override func value(_ x: Float) -> Float { min(max(x + 3, 0), 6) / 6 }
    /// 1/6 strictly between −3 and 3, 0 elsewhere (as PyTorch).
    override func slope(_ x: Float) -> Float { x > -3 && x < 3 ? 1 / 6 : 0 }
    override func values(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { y[i] = min(max(x[i] + 3, 0), 6) / 6 }
    }
    override func gradients(_ dy: UnsafePointer<Float>, _ cached: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { dx[i] = dy[i] * (cached[i] > -3 && cached[i] < 3 ? 1 / 6 : 0) }
    }
}
