import Foundation
import XCTest
@testable import NN
@testable import Tensor

/// Sigmoid, Tanh, SiLU, GELU (both forms), ELU, Hardswish, Hardsigmoid: finite-difference
/// gradients, values from their definitions (evaluated in double here), PyTorch's slopes at
/// the kinks, the vector erf they run on, and their descriptions.
final class ActivationFamilyTests: XCTestCase {
    /// Each activation with its definition and derivative in double precision.
    static let family: [(name: String, make: () -> Activation, f: (Double) -> Double, df: (Double) -> Double)] = {
        func sig(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
        let k = (2 / Double.pi).squareRoot(), c = 0.044715
        func phi(_ x: Double) -> Double { Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
        func cdf(_ x: Double) -> Double { 0.5 * (1 + Foundation.erf(x / 2.0.squareRoot())) }
        return [
            ("Sigmoid", { Sigmoid() }, sig, { sig($0) * (1 - sig($0)) }),
            ("Tanh", { Tanh() }, { Foundation.tanh($0) }, { 1 - Foundation.tanh($0) * Foundation.tanh($0) }),
            ("SiLU", { SiLU() }, { $0 * sig($0) }, { sig($0) * (1 + $0 * (1 - sig($0))) }),
            ("GELU", { GELU() }, { $0 * cdf($0) }, { cdf($0) + $0 * phi($0) }),
            ("GELU tanh", { GELU(tanhApproximation: true) },
             { 0.5 * $0 * (1 + Foundation.tanh(k * ($0 + c * $0 * $0 * $0))) },
             { x in
                 let t = Foundation.tanh(k * (x + c * x * x * x))
                 return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * c * x * x)
             }),
            ("ELU 0.7", { ELU(alpha: 0.7) }, { $0 > 0 ? $0 : 0.7 * (Foundation.exp($0) - 1) }, { $0 > 0 ? 1 : 0.7 * Foundation.exp($0) }),
            ("Hardswish", { Hardswish() }, { $0 * min(max($0 + 3, 0), 6) / 6 }, { $0 < -3 ? 0 : ($0 <= 3 ? $0 / 3 + 0.5 : 1) }),
            ("Hardsigmoid", { Hardsigmoid() }, { min(max($0 + 3, 0), 6) / 6 }, { $0 > -3 && $0 < 3 ? 1.0 / 6 : 0 }),
        ]
    }()

    func testGradientsByFiniteDifferences() throws {
        // a ramp from −6.3 to 6.3 spaced 0.55: no point within 0.1 of a kink (0, ±3)
        let x = distinct([2, 3, 4], seed: 7, step: 0.55)
        for a in Self.family { try GradCheck().check(a.make(), x) }
    }

    /// 1001 points on [−9, 9] (the vector loop and a tail of 1 — 1001 = 125·8 + 1) against
    /// the definitions in double; the backward against the derivative times a random dy.
    func testValuesAndSlopesAgainstDefinitions() throws {
        let n = 1001
        let xs = (0..<n).map { Float(-9 + 18 * Double($0) / Double(n - 1)) }
        let x = try Tensor(shape: [n], values: xs)
        let dy = randn([n], seed: 3)
        for a in Self.family {
            let m = a.make()
            let y = try m.forward(x).toFloats(), dx = try m.backward(dy).toFloats()
            for i in 0..<n {
                let xi = Double(xs[i]), want = a.f(xi), slope = a.df(xi) * Double(dy.toFloats()[i])
                XCTAssertEqual(Double(y[i]), want, accuracy: 2e-6 * max(1, abs(want)), "\(a.name)(\(xi))")
                XCTAssertEqual(Double(dx[i]), slope, accuracy: 4e-6 * max(1, abs(slope)), "\(a.name)'(\(xi))")
                XCTAssertEqual(Double(m.value(xs[i])), want, accuracy: 2e-6 * max(1, abs(want)), "\(a.name) scalar (\(xi))")
            }
        }
    }

    func testKnownValues() throws {
        let v = try Tensor(shape: [4], values: [-1, 0, 1, 2])
        func near(_ m: Activation, _ want: [Float], _ what: String) throws {
            let y = try m.forward(v).toFloats()
            for (a, b) in zip(y, want) { XCTAssertEqual(a, b, accuracy: 1e-6, what) }
        }
        // sigmoid(2) = 1/(1 + e⁻²); GELU(1) = Φ(1) = 0.841344746…; ELU(−1) = e⁻¹ − 1
        try near(Sigmoid(), [0.268941421, 0.5, 0.731058579, 0.880797078], "sigmoid")
        try near(Tanh(), [-0.761594156, 0, 0.761594156, 0.964027580], "tanh")
        try near(SiLU(), [-0.268941421, 0, 0.731058579, 1.761594156], "silu")
        try near(GELU(), [-0.158655254, 0, 0.841344746, 1.954499736], "gelu")
        try near(GELU(tanhApproximation: true), [-0.158808009, 0, 0.841191991, 1.954597694], "gelu tanh")
        try near(ELU(), [-0.632120559, 0, 1, 2], "elu")
        try near(Hardswish(), [-1.0 / 3, 0, 2.0 / 3, 5.0 / 3], "hardswish")
        try near(Hardsigmoid(), [1.0 / 3, 0.5, 2.0 / 3, 5.0 / 6], "hardsigmoid")
    }

    /// At the kinks the slopes are PyTorch's: hardswish′(−3) = −0.5 and ′(3) = 1.5 (both ends
    /// take the middle piece), hardsigmoid′(±3) = 0.
    func testSlopesAtKinks() throws {
        let x = try Tensor(shape: [4], values: [-3, 3, -3.5, 3.5])
        let ones = try Tensor(shape: [4], values: [1, 1, 1, 1])
        let hs = Hardswish(); _ = try hs.forward(x)
        XCTAssertEqual(try hs.backward(ones).toFloats(), [-0.5, 1.5, 0, 1])
        let hg = Hardsigmoid(); _ = try hg.forward(x)
        XCTAssertEqual(try hg.backward(ones).toFloats(), [0, 0, 0, 0])
    }

    /// The vector erf against the C library's erf (double): absolute error within 3·10⁻⁷ on
    /// [−6, 6], relative within 10⁻⁶ near 0 (the series), and the special values.
    func testVectorErf() {
        var worst = 0.0, worstRelative = 0.0
        for i in 0..<12000 {
            let x = Float(-6 + Double(i) * 0.001)
            let e = SIMDMath.erf(SIMD8<Float>(repeating: x))[0]
            let want = Foundation.erf(Double(x))
            worst = max(worst, abs(Double(e) - want))
            if abs(x) < 0.5 && x != 0 { worstRelative = max(worstRelative, abs(Double(e) - want) / abs(want)) }
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertLessThan(worstRelative, 1e-6)
        let special = SIMDMath.erf(SIMD8<Float>(.nan, .infinity, -.infinity, 0, -0.0, 1e-30, 10, -10))
        XCTAssertTrue(special[0].isNaN)
        XCTAssertEqual([special[1], special[2], special[3], special[6], special[7]], [1, -1, 0, 1, -1])
        XCTAssertEqual(special[5], Float(1e-30) * 1.1283791, accuracy: 1e-36)
    }

    /// Descriptions: a net of every activation rebuilds from its spec with the same outputs,
    /// GELU's form and ELU's alpha included; a bad `approximate` is an error naming it.
    func testDescriptionsRoundTrip() throws {
        let net = try Sequential(named: [
            ("sigmoid", Sigmoid()), ("tanh", Tanh()), ("silu", SiLU()), ("gelu", GELU()),
            ("gelu_tanh", GELU(tanhApproximation: true)), ("elu", ELU(alpha: 0.5)), ("hardswish", Hardswish()),
            ("hardsigmoid", Hardsigmoid()),
        ])
        let json = try ModelSpec.encode(net)
        XCTAssertTrue(json.contains("\"approximate\":\"tanh\""), json)
        let copy = try ModelSpec.decode(json)
        XCTAssertEqual(try ModelSpec.encode(copy), json)
        XCTAssertEqual(copy.description, net.description)
        let x = randn([2, 5], seed: 1)
        XCTAssertEqual(try copy.forward(x).toFloats(), try net.forward(x).toFloats())
        let bad = json.replacingOccurrences(of: "\"approximate\":\"tanh\"", with: "\"approximate\":\"fast\"")
        XCTAssertThrowsError(try ModelSpec.decode(bad)) { XCTAssertTrue("\($0)".contains("'approximate'"), "\($0)") }
        XCTAssertEqual(try net.count(inputShape: [1, 5]).flops, 8 * 5)
    }
}
