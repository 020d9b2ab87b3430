import Tensor

/// ReLU's backward as a kernel: the gradient passes where the ReLU's output is positive,
/// `out = y > 0 ? dy : 0` (a NaN output gates to 0). `ReLU.backward` runs it as a pass of
/// its own; a convolution whose input gradient starts from a gated gradient
/// (`Conv2dKernel.forward(…, inputGate:)`) applies it while it copies its input rows.
public enum ReLUGate {
    /// out[i] = y[i] > 0 ? dy[i] : 0 for i < count, 16 at a time (the scalar select does not
    /// vectorise: it was a tenth of a Taylor pass).
    @inlinable
    public static func apply(_ dy: UnsafePointer<Float>, gate y: UnsafePointer<Float>, count: Int,
                             into out: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<Float>
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(y + i).loadUnaligned(as: V.self)
            let d = UnsafeRawPointer(dy + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: V(repeating: 0).replacing(with: d, where: v .> 0), as: V.self)
            i += 16
        }
        while i < count { out[i] = y[i] > 0 ? dy[i] : 0; i += 1 }
    }

    /// `body` with a gated copy of `dy` in kernel scratch (the paths that cannot gate as
    /// they copy their input).
    static func withGatedCopy<R>(_ dy: UnsafePointer<Float>, gate y: UnsafePointer<Float>, count: Int,
                                 _ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try Scratch.with(count) { gated in
            applyParallel(dy, gate: y, count: count, into: gated)
            return try body(UnsafePointer(gated))
        }
    }

    /// `apply` over all cores (32768 floats a range at least).
    public static func applyParallel(_ dy: UnsafePointer<Float>, gate y: UnsafePointer<Float>, count: Int,
                                     into out: UnsafeMutablePointer<Float>) {
        Parallel.ranges(count, grain: 32768) { lo, hi in apply(dy + lo, gate: y + lo, count: hi - lo, into: out + lo) }
    }
}
