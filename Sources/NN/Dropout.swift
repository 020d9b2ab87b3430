import Tensor

/// Zeroes each element with probability p in training mode and scales the rest by
/// 1/(1−p) (PyTorch's `nn.Dropout`); the identity in evaluation mode. Masks are drawn
/// from `Random.global`, so `tensor.manual_seed` makes them reproducible.
public final class Dropout: Module {
    public let typeName = "Dropout"
    public var training = true
    public var p: Double
    private var mask: Tensor?

    public init(p: Double = 0.5) throws {
        guard p >= 0, p <= 1 else { throw TensorError("Dropout: probability must be in [0, 1], got \(p)") }
        self.p = p
    }

    public var extraDescription: String { "p=\(formatNumber(p)), inplace=False" }

    public func forward(_ input: Tensor) throws -> Tensor {
        guard training, p > 0 else { mask = nil; return input }
        let x = try input.toFloat().contiguous()
        let m = try Tensor(uninitialized: x.shape)
        let keep = Float(1 - p), scale: Float = p < 1 ? 1 / keep : 0
        let y = try Tensor(uninitialized: x.shape), q = y.ptr
        x.withFloats { xp in m.withFloats { mp in
            for i in 0..<m.numel { mp[i] = Random.global.nextFloat() < keep ? scale : 0 }
            for i in 0..<y.numel { q[i] = xp[i] * mp[i] }
        } }
        mask = GradMode.enabled ? m : nil
        return y
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        guard let m = mask else {
            if !training || p == 0 { return gradOutput }
            throw noForward("dropout")
        }
        let dy = try Check.grad(gradOutput, m.shape, "dropout")
        let dx = try Tensor(uninitialized: m.shape)
        let q = dx.ptr
        dy.withFloats { g in m.withFloats { mp in for i in 0..<dx.numel { q[i] = g[i] * mp[i] } } }
        return dx
    }
}
