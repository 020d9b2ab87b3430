import Foundation
import Tensor

// Smooth activations: Sigmoid, Tanh, SiLU, GELU, ELU. Each runs eight lanes at a time on
// SIMDMath's exp / tanh / erf (`Activation.lanes`); the forward and backward match
// PyTorch's definitions (values to float rounding, not bit for bit).

/// The logistic function 1 / (1 + e^{−x}).
public final class Sigmoid: Activation {
    public override var typeName: String { "Sigmoid" }
    public override init() {}
    override var cachesOutput: Bool { true }
    override func value(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
    override func slope(_ y: Float) -> Float { y * (1 - y) }
    override func values(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        Self.lanes(x, y, n) { SIMDMath.sigmoid($0) }
    }
    override func gradients(_ dy: UnsafePointer<Float>, _ cached: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        Self.lanes(dy, cached, dx, n) { g, y in g * y * (1 - y) }
    }
}

/// tanh x.
public final class Tanh: Activation {
    public override var typeName: String { "Tanh" }
    public override init() {}
    override var cachesOutput: Bool { true }
    override func value(_ x: Float) -> Float { tanhf(x) }
    override func slope(_ y: Float) -> Float { 1 - y * y }
    override func values(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        Self.lanes(x, y, n) { SIMDMath.tanh($0) }
    }
    override func gradients(_ dy: UnsafePointer<Float>, _ cached: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        Self.lanes(dy, cached, dx, n) { g, y in g * (1 - y * y) }
    }
}

/// x·σ(x) (SiLU, also called Swish).
public final class SiLU: Activation {
    public override var typeName: String { "SiLU" }
    public override init() {}
    override func value(_ x: Float) -> Float { x / (1 + expf(-x)) }
    override func slope(_ x: Float) -> Float { let s = 1 / (1 + expf(-x)); return s * (1 + x * (1 - s)) }
    override func values(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        Self.lanes(x, y, n) { $0 * SIMDMath.sigmoid($0) }
    }
    override func gradients(_ dy: UnsafePointer<Float>, _ cached: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        Self.lanes(dy, cached, dx, n) { g, x in
            let s = SIMDMath.sigmoid(x)
            return g * s * (1 + x * (1 - s))
        }
    }
}

/// x·Φ(x), Φ the standard normal distribution function (`approximate = "none"`, PyTorch's
/// default), or 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (`approximate = "tanh"`).
public final class GELU: Activation {
    public override var typeName: String { "GELU" }
    /// Whether the tanh approximation is used instead of erf.
    public let tanhApproximation: Bool
    public init(tanhApproximation: Bool = false) { self.tanhApproximation = tanhApproximation }
    /// PyTorch's name for the variant: "none" or "tanh".
    public var approximate: String { tanhApproximation ? "tanh" : "none" }
    public override var extraDescription: String { tanhApproximation ? "approximate='tanh'" : "" }

    /// 1/√2 and 1/√(2π) (the exact form), √(2/π) and 0.044715 (the tanh form).
    public static let invSqrt2: Float = 0.70710678118654752, invSqrt2Pi: Float = 0.39894228040143268
    public static let k: Float = 0.79788456080286536, c: Float = 0.044715

    /// The tanh form is computed as x·σ(2u) (0.5·(1 + tanh u) = σ(2u)), which keeps its
    /// small values for negative x where 1 + tanh u would cancel to 0; its slope likewise,
    /// σ + 2x·σ(1 − σ)·u′.
    override func value(_ x: Float) -> Float {
        tanhApproximation ? x / (1 + expf(-2 * Self.k * (x + Self.c * x * x * x))) : 0.5 * x * (1 + erff(x * Self.invSqrt2))
    }
    override func slope(_ x: Float) -> Float {
        if tanhApproximation {
            let s = 1 / (1 + expf(-2 * Self.k * (x + Self.c * x * x * x)))
            return s + 2 * x * s * (1 - s) * Self.k * (1 + 3 * Self.c * x * x)
        }
        return 0.5 * (1 + erff(x * Self.invSqrt2)) + x * Self.invSqrt2Pi * expf(-0.5 * x * x)
    }
    override func values(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        if tanhApproximation {
            Self.lanes(x, y, n) { v -> SIMD8<Float> in
                let u: SIMD8<Float> = Self.k * (v + Self.c * v * v * v)
                return v * SIMDMath.sigmoid(2 * u)
            }
        } else {
            Self.lanes(x, y, n) { v -> SIMD8<Float> in 0.5 * v * (1 + SIMDMath.erf(v * Self.invSqrt2)) }
        }
    }
    override func gradients(_ dy: UnsafePointer<Float>, _ cached: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        if tanhApproximation {
            Self.lanes(dy, cached, dx, n) { g, v -> SIMD8<Float> in
                let v2: SIMD8<Float> = v * v
                let s = SIMDMath.sigmoid(2 * Self.k * (v + Self.c * v2 * v))
                let du: SIMD8<Float> = Self.k * (1 + 3 * Self.c * v2)
                return g * (s + 2 * v * s * (1 - s) * du)
            }
        } else {
            Self.lanes(dy, cached, dx, n) { g, v -> SIMD8<Float> in
                let cdf: SIMD8<Float> = 0.5 * (1 + SIMDMath.erf(v * Self.invSqrt2))
                let pdf: SIMD8<Float> = Self.invSqrt2Pi * SIMDMath.exp(-0.5 * v * v)
                return g * (cdf + v * pdf)
            }
        }
    }
}

/// x for x > 0, α·(eˣ − 1) otherwise.
public final class ELU: Activation {
    public override var typeName: String { "ELU" }
    public let alpha: Float
    public init(alpha: Float = 1) { self.alpha = alpha }
    public override var extraDescription: String { "alpha=\(formatNumber(Double(alpha)))" }
    override func value(_ x: Float) -> Float { x > 0 ? x : alpha * (expf(x) - 1) }
    override func slope(_ x: Float) -> Float { x > 0 ? 1 : alpha * expf(x) }
    override func values(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let a = alpha
        Self.lanes(x, y, n) { v in v.replacing(with: a * (SIMDMath.exp(v) - 1), where: .!(v .> 0)) }
    }
    override func gradients(_ dy: UnsafePointer<Float>, _ cached: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        let a = alpha
        Self.lanes(dy, cached, dx, n) { g, v in g.replacing(with: g * a * SIMDMath.exp(v), where: .!(v .> 0)) }
    }
}

extension Activation {
    /// y[i] = f(x[i]) for i < n, eight at a time (the tail through a zero-padded vector).
    @inline(__always)
    static func lanes(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                      _ f: (SIMD8<Float>) -> SIMD8<Float>) {
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: f(v), as: SIMD8<Float>.self)
            i += 8
        }
        guard i < n else { return }
        var v = SIMD8<Float>()
        for k in 0..<(n - i) { v[k] = x[i + k] }
        let r = f(v)
        for k in 0..<(n - i) { y[i + k] = r[k] }
    }

    /// dx[i] = f(dy[i], cached[i]) for i < n, eight at a time.
    @inline(__always)
    static func lanes(_ dy: UnsafePointer<Float>, _ cached: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int,
                      _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>) {
        var i = 0
        while i + 8 <= n {
            let g = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD8<Float>.self)
            let v = UnsafeRawPointer(cached + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dx + i).storeBytes(of: f(g, v), as: SIMD8<Float>.self)
            i += 8
        }
        guard i < n else { return }
        var g = SIMD8<Float>(), v = SIMD8<Float>()
        for k in 0..<(n - i) { g[k] = dy[i + k]; v[k] = cached[i + k] }
        let r = f(g, v)
        for k in 0..<(n - i) { dx[i + k] = r[k] }
    }
}
