import Foundation
import XCTest
@testable import Tensor

/// The vectorised exp/log/tanh/sigmoid against the C library, in ulps, plus the IEEE
/// special values, and the element-wise loops' SIMD/scalar tails.
final class SIMDMathTests: XCTestCase {
    func ulps(_ a: Float, _ b: Float) -> Float {
        if a == b || (a.isNaN && b.isNaN) { return 0 }
        return Swift.abs(a - b) / Swift.max(b.ulp, Float.leastNonzeroMagnitude)
    }

    func check(_ name: String, _ f: (SIMD8<Float>) -> SIMD8<Float>, _ ref: (Float) -> Float,
               from lo: Float, to hi: Float, maxUlps: Float, absTol: Float = 0) {
        var worst: Float = 0, at: Float = 0
        let n = 200_000
        for k in stride(from: 0, to: n, by: 8) {
            var v = SIMD8<Float>()
            for l in 0..<8 { v[l] = lo + (hi - lo) * Float(k + l) / Float(n) }
            let r = f(v)
            for l in 0..<8 {
                let e = ref(v[l])
                let u = Swift.abs(r[l] - e) <= absTol ? 0 : ulps(r[l], e)
                if u > worst { worst = u; at = v[l] }
            }
        }
        XCTAssertLessThanOrEqual(worst, maxUlps, "\(name): \(worst) ulps at \(at)")
    }

    func testAgainstLibm() {
        check("exp", SIMDMath.exp, expf, from: -103, to: 88.7, maxUlps: 2)
        check("log", SIMDMath.log, logf, from: 1e-30, to: 1e6, maxUlps: 2)
        check("log near 1", SIMDMath.log, logf, from: 0.5, to: 2, maxUlps: 2)
        check("tanh", SIMDMath.tanh, tanhf, from: -12, to: 12, maxUlps: 4)
        check("sigmoid", SIMDMath.sigmoid, { Float(1 / (1 + Foundation.exp(-Double($0)))) }, from: -80, to: 80, maxUlps: 4)
    }

    func testSpecialValues() {
        let v = SIMD8<Float>(.nan, .infinity, -.infinity, 0, -0.0, 89, -200, Float.leastNonzeroMagnitude)
        let e = SIMDMath.exp(v)
        XCTAssertTrue(e[0].isNaN)
        XCTAssertEqual([e[1], e[2], e[3], e[4], e[5], e[6]], [.infinity, 0, 1, 1, .infinity, 0])
        let l = SIMDMath.log(v)
        XCTAssertTrue(l[0].isNaN)
        XCTAssertEqual([l[1], l[3], l[4]], [.infinity, -.infinity, -.infinity])
        XCTAssertTrue(l[2].isNaN && SIMDMath.log(SIMD8(repeating: -1))[0].isNaN)
        XCTAssertEqual(l[7], logf(Float.leastNonzeroMagnitude), accuracy: 1e-4)   // denormal input
        let t = SIMDMath.tanh(v)
        XCTAssertTrue(t[0].isNaN)
        XCTAssertEqual([t[1], t[2], t[3], t[5], t[6]], [1, -1, 0, 1, -1])
        XCTAssertEqual(SIMDMath.sigmoid(v)[2], 0)
        XCTAssertEqual(SIMDMath.sigmoid(v)[1], 1)
    }

    func testUnaryLoopsMatchScalarOnTailsAndStrides() throws {
        // 21 elements: two SIMD blocks and a 5-element tail; and a strided view.
        let x = try Tensor(shape: [3, 7], values: (0..<21).map { Float($0) * 0.37 - 3.1 })
        for (name, y, f) in [("exp", try x.unary(ExpF.self), expf), ("log", try x.unary(LogF.self), logf),
                             ("tanh", try x.unary(TanhF.self), tanhf)] as [(String, Tensor, (Float) -> Float)] {
            for (a, b) in zip(y.toFloats(), x.toFloats().map(f)) {
                XCTAssertTrue(a == b || (a.isNaN && b.isNaN) || ulps(a, b) <= 4, "\(name): \(a) vs \(b)")
            }
        }
        let t = try x.transpose(0, 1)
        XCTAssertEqual(try t.unary(ExpF.self).toFloats().count, 21)
        XCTAssertEqual(try t.unary(AbsF.self).toFloats(), try x.unary(AbsF.self).transpose(0, 1).contiguous().toFloats())
    }
}
