import XCTest
@testable import NN
import Tensor

/// Reference values: torch 2.13 `F.cross_entropy` in float64 with autograd (anchors venv).
final class LossTests: XCTestCase {
    let z = try! Tensor(shape: [2, 3], values: [1, 2, 3, 0.5, -1, 2])
    let y = try! Tensor.int64(shape: [2], values: [2, 0])

    func assertClose(_ a: [Float], _ b: [Double], _ tol: Double = 1e-6, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, r) in zip(a, b) { XCTAssertEqual(Double(x), r, accuracy: tol, file: file, line: line) }
    }

    func testValueAndGradientAgainstPyTorch() throws {
        let (l0, g0) = try CrossEntropy.compute(logits: z, targets: y)
        XCTAssertEqual(l0, 1.0744586305507688, accuracy: 1e-6)
        assertClose(g0.toFloats(), [0.04501528658519022, 0.12236423552739882, -0.1673795221125891,
                                    -0.41235480392998164, 0.019556286635343725, 0.39279851729463794])
        let (l1, g1) = try CrossEntropy.compute(logits: z, targets: y, labelSmoothing: 0.1)
        XCTAssertEqual(l1, 1.124458630550769, accuracy: 1e-6)
        assertClose(g1.toFloats(), [0.02834861991852355, 0.10569756886073216, -0.13404618877925578,
                                    -0.3790214705966483, 0.0028896199686770582, 0.3761318506279713])
        // Probabilities as targets, with smoothing.
        let probs = try Tensor(shape: [2, 3], values: [0.2, 0.3, 0.5, 1, 0, 0])
        let (l2, g2) = try CrossEntropy.compute(logits: z, targets: probs, labelSmoothing: 0.1)
        XCTAssertEqual(l2, 1.4394586305507688, accuracy: 1e-6)
        assertClose(g2.toFloats(), [-0.061651380081476456, -0.02930243113926785, 0.09095381122074422,
                                    -0.3790214705966483, 0.0028896199686770582, 0.3761318506279713])
        XCTAssertEqual(try CrossEntropy.compute(logits: z, targets: y, reduction: .sum).loss, 2.1489172611015377, accuracy: 1e-6)
        // Float class ids work like int64 ones.
        XCTAssertEqual(try CrossEntropy.compute(logits: z, targets: try Tensor(shape: [2], values: [2, 0])).loss, l0)
    }

    func testHandComputedAndStable() throws {
        // One row [1, 2, 3], class 2: log(1 + e^-1 + e^-2).
        let (l, _) = try CrossEntropy.compute(logits: try Tensor(shape: [1, 3], values: [1, 2, 3]), targets: try Tensor.int64(shape: [1], values: [2]))
        XCTAssertEqual(l, Foundation.log(1 + Foundation.exp(-1.0) + Foundation.exp(-2.0)), accuracy: 1e-12)
        // Huge logits: log-softmax must not overflow.
        let big = try Tensor(shape: [1, 2], values: [1000, 0])
        let (lb, gb) = try CrossEntropy.compute(logits: big, targets: try Tensor.int64(shape: [1], values: [1]))
        XCTAssertEqual(lb, 1000, accuracy: 1e-9)
        XCTAssertEqual(gb.toFloats(), [1, -1])
    }

    /// Central differences in float64 of the loss against the analytic gradient.
    func testFiniteDifferences() throws {
        var rng = Xoshiro256(seed: 3)
        let (n, c) = (4, 5)
        let logits = try Tensor(shape: [n, c], values: (0..<(n * c)).map { _ in rng.nextNormal() * 2 })
        let targets = try Tensor.int64(shape: [n], values: [0, 4, 2, 2])
        for eps in [0.0, 0.2] {
            let (_, g) = try CrossEntropy.compute(logits: logits, targets: targets, labelSmoothing: eps)
            for k in 0..<(n * c) {
                let h: Float = 1e-2
                let plus = try logits.clone(), minus = try logits.clone()
                plus.ptr[k] += h; minus.ptr[k] -= h
                let fd = (try CrossEntropy.compute(logits: plus, targets: targets, labelSmoothing: eps).loss
                          - CrossEntropy.compute(logits: minus, targets: targets, labelSmoothing: eps).loss) / Double(2 * h)
                XCTAssertEqual(Double(g.ptr[k]), fd, accuracy: 2e-4, "element \(k), smoothing \(eps)")
            }
        }
    }

    func testBadInput() {
        func fails(_ body: @autoclosure () throws -> Any, _ m: String) {
            XCTAssertThrowsError(try body()) { XCTAssertTrue("\($0)".contains(m), "'\($0)' lacks '\(m)'") }
        }
        fails(try CrossEntropy.compute(logits: z, targets: try Tensor.int64(shape: [2], values: [3, 0])),
              "cross_entropy: target 3 of sample 1 is not a class id in 0..2")
        fails(try CrossEntropy.compute(logits: z, targets: try Tensor(shape: [2], values: [0.5, 1])), "target 0.5 of sample 1")
        fails(try CrossEntropy.compute(logits: z, targets: try Tensor.int64(shape: [3], values: [0, 0, 0])), "2 rows of logits but 3 targets")
        fails(try CrossEntropy.compute(logits: try Tensor(zeros: [6]), targets: y), "logits must be N×C")
        fails(try CrossEntropy.compute(logits: z, targets: try Tensor(zeros: [2, 4])), "targets must be 2 class ids or 2×3 probabilities")
        fails(try CrossEntropy.compute(logits: z, targets: y, labelSmoothing: 1.5), "label_smoothing must be in [0, 1]")
        // checked before conversion: NaN, infinities and huge values name the sample
        for v: Float in [.nan, .infinity, 1e30, -1] {
            fails(try CrossEntropy.compute(logits: z, targets: try Tensor(shape: [2], values: [0, v])), "of sample 2 is not a class id in 0..2")
            fails(try Metrics.correct(logits: z, targets: try Tensor(shape: [2], values: [0, v]), k: 1), "accuracy: target")
        }
        fails(try Metrics.correct(logits: z, targets: try Tensor(zeros: [2, 4]), k: 1),
              "accuracy: expected N×C logits and N class ids (or N×C target rows), got [2, 3] and [2, 4]")
    }

    /// Accuracy against target rows (soft labels, a teacher's probabilities): each row's
    /// highest entry is its class, the first of equal ones.
    func testAccuracyWithTargetRows() throws {
        let logits = try Tensor(shape: [3, 3], values: [3, 1, 0, 0, 2, 1, 1, 0, 5])
        let rows = try Tensor(shape: [3, 3], values: [0.7, 0.2, 0.1, 0.5, 0.1, 0.4, 0.3, 0.3, 0.3])
        XCTAssertEqual(try Metrics.correct(logits: logits, targets: rows, k: 1), 1, "classes 0, 0, 0: only row 1 is right")
        XCTAssertEqual(try Metrics.correct(logits: logits, targets: rows, k: 2), 2)
        XCTAssertEqual(try Metrics.correct(logits: logits, targets: try Tensor(shape: [3], values: [0, 0, 0]), k: 2), 2,
                       "the same as their class ids")
    }
}
