import Foundation

/// Scalar functions applied element by element. Each is a type so the loops that use it
/// are specialised and vectorised by the compiler.
public protocol BinaryFunction { static func apply(_ a: Float, _ b: Float) -> Float }
public protocol UnaryFunction {
    static func apply(_ a: Float) -> Float
    /// Eight lanes at once; functions that the compiler cannot vectorise from the scalar
    /// form (calls into libm) implement it and set `vectorized`.
    static func apply(_ a: SIMD8<Float>) -> SIMD8<Float>
    static var vectorized: Bool { get }
}

extension UnaryFunction {
    @inlinable @inline(__always) public static var vectorized: Bool { false }
    @inlinable @inline(__always) public static func apply(_ a: SIMD8<Float>) -> SIMD8<Float> {
        var r = a
        for i in 0..<8 { r[i] = apply(a[i]) }
        return r
    }
}

public enum AddF: BinaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
public enum SubF: BinaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
public enum MulF: BinaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
public enum DivF: BinaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
public enum PowF: BinaryFunction {
    @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float {
        b == 2 ? a * a : (b == 1 ? a : (b == 0.5 ? a.squareRoot() : powf(a, b)))
    }
}
public enum MaxF: BinaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : Swift.max(a, b) } }
public enum MinF: BinaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : Swift.min(a, b) } }
public enum EqF: BinaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 } }
public enum NeF: BinaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a != b ? 1 : 0 } }
public enum LtF: BinaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a < b ? 1 : 0 } }
public enum LeF: BinaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a <= b ? 1 : 0 } }
public enum GtF: BinaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a > b ? 1 : 0 } }
public enum GeF: BinaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a >= b ? 1 : 0 } }

public enum NegF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { -a } }
public enum AbsF: UnaryFunction {
    @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { Swift.abs(a) }
    @inlinable @inline(__always) public static func apply(_ a: SIMD8<Float>) -> SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(a, to: SIMD8<UInt32>.self) & 0x7fff_ffff, to: SIMD8<Float>.self)
    }
    @inlinable @inline(__always) public static var vectorized: Bool { true }
}
public enum IdentityF: UnaryFunction {
    @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a }
    @inlinable @inline(__always) public static func apply(_ a: SIMD8<Float>) -> SIMD8<Float> { a }
    @inlinable @inline(__always) public static var vectorized: Bool { true }
}
public enum ExpF: UnaryFunction {
    @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { expf(a) }
    @inlinable @inline(__always) public static func apply(_ a: SIMD8<Float>) -> SIMD8<Float> { SIMDMath.exp(a) }
    @inlinable @inline(__always) public static var vectorized: Bool { true }
}
public enum LogF: UnaryFunction {
    @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { logf(a) }
    @inlinable @inline(__always) public static func apply(_ a: SIMD8<Float>) -> SIMD8<Float> { SIMDMath.log(a) }
    @inlinable @inline(__always) public static var vectorized: Bool { true }
}
public enum SqrtF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a.squareRoot() } }
public enum ReluF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a > 0 ? a : (a.isNaN ? a : 0) } }
public enum SigmoidF: UnaryFunction {
    @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { 1 / (1 + expf(-a)) }
    @inlinable @inline(__always) public static func apply(_ a: SIMD8<Float>) -> SIMD8<Float> { SIMDMath.sigmoid(a) }
    @inlinable @inline(__always) public static var vectorized: Bool { true }
}
public enum TanhF: UnaryFunction {
    @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { tanhf(a) }
    @inlinable @inline(__always) public static func apply(_ a: SIMD8<Float>) -> SIMD8<Float> { SIMDMath.tanh(a) }
    @inlinable @inline(__always) public static var vectorized: Bool { true }
}
public enum SignF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a > 0 ? 1 : (a < 0 ? -1 : (a.isNaN ? a : 0)) } }
public enum SquareF: UnaryFunction {
    @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a * a }
    @inlinable @inline(__always) public static func apply(_ a: SIMD8<Float>) -> SIMD8<Float> { a * a }
    @inlinable @inline(__always) public static var vectorized: Bool { true }
}
public enum FloorF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a.rounded(.down) } }
public enum CeilF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a.rounded(.up) } }
public enum RoundF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a.rounded(.toNearestOrEven) } }
