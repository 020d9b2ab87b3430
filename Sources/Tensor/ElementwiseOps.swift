import Foundation

/// Scalar functions applied element by element. Each is a type so the loops that use it
/// are specialised and vectorised by the compiler.
public protocol BinaryFunction { static func apply(_ a: Float, _ b: Float) -> Float }
public protocol UnaryFunction { static func apply(_ a: Float) -> Float }

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
public enum AbsF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { Swift.abs(a) } }
public enum ExpF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { expf(a) } }
public enum LogF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { logf(a) } }
public enum SqrtF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a.squareRoot() } }
public enum ReluF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a > 0 ? a : (a.isNaN ? a : 0) } }
public enum SigmoidF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { 1 / (1 + expf(-a)) } }
public enum TanhF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { tanhf(a) } }
public enum SignF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a > 0 ? 1 : (a < 0 ? -1 : (a.isNaN ? a : 0)) } }
public enum SquareF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a * a } }
public enum FloorF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a.rounded(.down) } }
public enum CeilF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a.rounded(.up) } }
public enum RoundF: UnaryFunction { @inlinable @inline(__always) public static func apply(_ a: Float) -> Float { a.rounded(.toNearestOrEven) } }
