import Foundation
import XCTest
@testable import NN
import Tensor

/// The distillation loss against formulas written out here in double precision, known
/// values, central differences, and its limits (alpha = 0 is the cross-entropy exactly).
final class DistillationTests: XCTestCase {
    let s = try! Tensor(shape: [2, 3], values: [1, 2, 3, 0.5, -1, 2])       // student
    let t = try! Tensor(shape: [2, 3], values: [2, 1, 0.5, 0, 1, -1])       // teacher
    let y = try! Tensor.int64(shape: [2], values: [2, 0])

    /// log softmax(z / T) of one row, the textbook way.
    func logSoftmax(_ z: [Double], _ T: Double) -> [Double] {
        let u = z.map { $0 / T }, m = u.max()!
        let lse = m + Foundation.log(u.reduce(0) { $0 + Foundation.exp($1 - m) })
        return u.map { $0 - lse }
    }

    /// Loss and gradient by the formulas: α·T²/N·Σᵢ Σₖ pₖ(log pₖ − log qₖ) + (1 − α)/N·Σᵢ −Σₖ q̃ₖ log rₖ,
    /// p = softmax(t/T), q = softmax(s/T), r = softmax(s), q̃ = (1 − ε)·onehot + ε/C;
    /// ∂/∂s = α·T/N·(q − p) + (1 − α)/N·(r − q̃).
    func reference(alpha: Double, T: Double, eps: Double) -> (Double, [Double]) {
        let sv = s.toFloats().map(Double.init), tv = t.toFloats().map(Double.init), labels = [2, 0]
        let (n, c) = (2, 3)
        var kd = 0.0, ce = 0.0, g: [Double] = []
        for i in 0..<n {
            let si = Array(sv[(i * c)..<(i * c + c)]), ti = Array(tv[(i * c)..<(i * c + c)])
            let lq = logSoftmax(si, T), lp = logSoftmax(ti, T), lr = logSoftmax(si, 1)
            for k in 0..<c {
                let p = Foundation.exp(lp[k]), target = eps / Double(c) + (k == labels[i] ? 1 - eps : 0)
                kd += p * (lp[k] - lq[k])
                ce -= target * lr[k]
                g.append(alpha * T * (Foundation.exp(lq[k]) - p) / Double(n) + (1 - alpha) * (Foundation.exp(lr[k]) - target) / Double(n))
            }
        }
        return (alpha * T * T * kd / Double(n) + (1 - alpha) * ce / Double(n), g)
    }

    func testAgainstTheFormulasAndKnownValues() throws {
        for (alpha, T, eps) in [(0.7, 2.0, 0.1), (1, 1, 0), (1, 4, 0), (0.9, 4, 0), (0.3, 0.5, 0.2)] {
            let (loss, grad) = try Distillation.loss(logits: s, teacherLogits: t, targets: y, alpha: alpha,
                                                     temperature: T, labelSmoothing: eps)
            let (l, g) = reference(alpha: alpha, T: T, eps: eps)
            XCTAssertEqual(loss, l, accuracy: 1e-9, "alpha \(alpha), T \(T), eps \(eps)")
            XCTAssertEqual(grad.shape, [2, 3])
            for (a, b) in zip(grad.toFloats(), g) { XCTAssertEqual(Double(a), b, accuracy: 1e-7) }
        }
        // Known values (worked out separately in Python's math module); the CE part is
        // LossTests' PyTorch value 1.124458630550769 (smoothing 0.1).
        let (l, g) = try Distillation.loss(logits: s, teacherLogits: t, targets: y, alpha: 0.7, temperature: 2, labelSmoothing: 0.1)
        XCTAssertEqual(l, 1.3970584126387133, accuracy: 1e-9)
        XCTAssertEqual(try Distillation.divergence(logits: s, teacherLogits: t, temperature: 2).loss, 1.513886890676404, accuracy: 1e-9)
        for (a, b) in zip(g.toFloats(), [-0.1977857920437084, 0.042517216050973666, 0.15526857599273458,
                                         -0.13372307874455225, -0.2615482347455146, 0.39527131349006683]) {
            XCTAssertEqual(Double(a), b, accuracy: 1e-7)
        }
        // T = 1: the plain KL divergence, no scaling
        XCTAssertEqual(try Distillation.divergence(logits: s, teacherLogits: t, temperature: 1).loss, 1.3808326663673538, accuracy: 1e-9)
    }

    /// Central differences of the loss in double, against the analytic gradient.
    func testFiniteDifferences() throws {
        var rng = Xoshiro256(seed: 11)
        let (n, c) = (4, 5)
        let logits = try Tensor(shape: [n, c], values: (0..<(n * c)).map { _ in rng.nextNormal() * 2 })
        let teacher = try Tensor(shape: [n, c], values: (0..<(n * c)).map { _ in rng.nextNormal() * 3 })
        let targets = try Tensor.int64(shape: [n], values: [0, 4, 2, 2])
        for (alpha, T, eps) in [(0.9, 4.0, 0.0), (0.5, 1, 0.1), (1, 2, 0), (0.2, 0.7, 0.3)] {
            func loss(_ z: Tensor) throws -> Double {
                try Distillation.loss(logits: z, teacherLogits: teacher, targets: targets, alpha: alpha, temperature: T,
                                      labelSmoothing: eps).loss
            }
            let g = try Distillation.loss(logits: logits, teacherLogits: teacher, targets: targets, alpha: alpha,
                                          temperature: T, labelSmoothing: eps).grad
            for k in 0..<(n * c) {
                let h: Float = 1e-2
                let plus = try logits.clone(), minus = try logits.clone()
                plus.ptr[k] += h; minus.ptr[k] -= h
                let fd = (try loss(plus) - loss(minus)) / Double(2 * h)
                XCTAssertEqual(Double(g.ptr[k]), fd, accuracy: 3e-4, "element \(k), alpha \(alpha), T \(T), eps \(eps)")
            }
        }
    }

    func testLimits() throws {
        // alpha = 0: the cross-entropy, bit for bit (with and without smoothing)
        for eps in [0.0, 0.1] {
            let kd = try Distillation.loss(logits: s, teacherLogits: t, targets: y, alpha: 0, temperature: 3, labelSmoothing: eps)
            let ce = try CrossEntropy.compute(logits: s, targets: y, labelSmoothing: eps)
            XCTAssertEqual(kd.loss, ce.loss)
            XCTAssertEqual(kd.grad.toFloats(), ce.grad.toFloats())
        }
        // alpha = 1 and a teacher that agrees with the student: no loss, no gradient
        let same = try Distillation.loss(logits: s, teacherLogits: try s.clone(), targets: y, alpha: 1, temperature: 4)
        XCTAssertEqual(same.loss, 0)
        XCTAssertTrue(same.grad.toFloats().allSatisfy { $0 == 0 })
        // alpha = 1: the soft term alone, whatever the labels
        let other = try Tensor.int64(shape: [2], values: [1, 1])
        XCTAssertEqual(try Distillation.loss(logits: s, teacherLogits: t, targets: y, alpha: 1, temperature: 2).loss,
                       try Distillation.loss(logits: s, teacherLogits: t, targets: other, alpha: 1, temperature: 2).loss)
        // a teacher probability of 0 (a logit of -inf after softening) adds nothing, as in kl_div
        let hard = try Tensor(shape: [1, 2], values: [0, -1e30])
        let d = try Distillation.divergence(logits: try Tensor(shape: [1, 2], values: [1, 0]), teacherLogits: hard, temperature: 1)
        XCTAssertEqual(d.loss, -logSoftmax([1, 0], 1)[0], accuracy: 1e-12)
        XCTAssertTrue(d.loss.isFinite)
    }

    func testBadInput() {
        func fails(_ body: @autoclosure () throws -> Any, _ m: String) {
            XCTAssertThrowsError(try body()) { XCTAssertTrue("\($0)".contains(m), "'\($0)' lacks '\(m)'") }
        }
        fails(try Distillation.loss(logits: s, teacherLogits: try Tensor(zeros: [2, 4]), targets: y, alpha: 0.5, temperature: 2),
              "the teacher's logits have shape [2, 4], the student's [2, 3]")
        fails(try Distillation.loss(logits: s, teacherLogits: t, targets: y, alpha: 1.5, temperature: 2), "alpha must be in [0, 1]")
        fails(try Distillation.loss(logits: s, teacherLogits: t, targets: y, alpha: .nan, temperature: 2), "alpha must be in [0, 1]")
        fails(try Distillation.loss(logits: s, teacherLogits: t, targets: y, alpha: 0.5, temperature: 0), "temperature must be")
        fails(try Distillation.loss(logits: s, teacherLogits: t, targets: y, alpha: 0.5, temperature: .infinity), "temperature must be")
        fails(try Distillation.loss(logits: s, teacherLogits: t, targets: y, alpha: 0.5, temperature: 2, labelSmoothing: 2),
              "label_smoothing must be in [0, 1]")
        fails(try Distillation(teacher: Sequential([ReLU()]), alpha: -0.1), "alpha must be in [0, 1]")
    }
}
