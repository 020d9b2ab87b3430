import Foundation
import Tensor

/// Knowledge distillation (Hinton, Vinyals & Dean 2015): a student trained towards a
/// fixed teacher's softened outputs as well as the labels — how a pruned network recovers
/// the accuracy of the unpruned one it was cut from.
///
/// Loss = α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·CE(s, y), with s the student's
/// logits, t the teacher's, the KL divergence averaged over the batch (PyTorch's
/// `F.kl_div(F.log_softmax(s / T), F.softmax(t / T), reduction="batchmean") * T * T`) and
/// CE the cross-entropy of `CrossEntropy.compute` (label smoothing applies to it alone).
/// The T² keeps the soft term's gradient, T·(softmax(s/T) − softmax(t/T))/N, on the scale
/// of the hard term's as T changes.
public struct Distillation {
    /// The network distilled from: run in evaluation mode without caching, never updated.
    public let teacher: any Module
    /// The weight α ∈ [0, 1] of the soft (teacher) term; 1 − α weighs the cross-entropy.
    public let alpha: Double
    /// The temperature T > 0 both distributions are softened by.
    public let temperature: Double

    public init(teacher: any Module, alpha: Double = 0.9, temperature: Double = 4) throws {
        try Distillation.check(alpha: alpha, temperature: temperature)
        self.teacher = teacher
        self.alpha = alpha
        self.temperature = temperature
    }

    static func check(alpha: Double, temperature: Double) throws {
        guard alpha >= 0 && alpha <= 1 else { throw TensorError("distill: alpha must be in [0, 1], got \(alpha)") }
        guard temperature > 0 && temperature.isFinite else {
            throw TensorError("distill: temperature must be a finite number > 0, got \(temperature)")
        }
    }

    /// The combined loss of N×C student `logits` against the teacher's N×C logits and the
    /// N `targets` (class ids or N×C probabilities, as `CrossEntropy.compute`), and its
    /// gradient with respect to the student's logits. α = 0 gives the cross-entropy's loss
    /// and gradient bit for bit (the soft term is not computed).
    public static func loss(logits: Tensor, teacherLogits: Tensor, targets: Tensor, alpha: Double, temperature: Double,
                            labelSmoothing: Double = 0) throws -> (loss: Double, grad: Tensor) {
        try check(alpha: alpha, temperature: temperature)
        let ce = try CrossEntropy.compute(logits: logits, targets: targets, labelSmoothing: labelSmoothing)
        if alpha == 0 { return ce }
        let kd = try divergence(logits: logits, teacherLogits: teacherLogits, temperature: temperature)
        let g = try Tensor(uninitialized: ce.grad.shape), n = g.numel
        kd.grad.withFloats { k in ce.grad.withFloats { c in
            for i in 0..<n { g.ptr[i] = Float(alpha * Double(k[i]) + (1 - alpha) * Double(c[i])) }
        } }
        return (alpha * kd.loss + (1 - alpha) * ce.loss, g)
    }

    /// The soft term alone: T²·(1/N)·Σᵢ KL(softmax(tᵢ/T) ‖ softmax(sᵢ/T)) (terms with a
    /// teacher probability of 0 count 0, as in `kl_div`), and its gradient with respect to
    /// the student's logits, T·(softmax(s/T) − softmax(t/T))/N.
    public static func divergence(logits: Tensor, teacherLogits: Tensor,
                                  temperature: Double) throws -> (loss: Double, grad: Tensor) {
        guard logits.dim == 2, logits.shape[0] > 0, logits.shape[1] > 0 else {
            throw TensorError("distill: logits must be N×C, got shape \(shapeString(logits.shape))")
        }
        guard teacherLogits.shape == logits.shape else {
            throw TensorError("distill: the teacher's logits have shape \(shapeString(teacherLogits.shape)), the student's \(shapeString(logits.shape)) (the teacher must classify into the same classes)")
        }
        guard temperature > 0 && temperature.isFinite else {
            throw TensorError("distill: temperature must be a finite number > 0, got \(temperature)")
        }
        let (rows, c) = (logits.shape[0], logits.shape[1]), T = temperature
        let s = try logits.toFloat().contiguous(), t = try teacherLogits.toFloat().contiguous()
        let grad = try Tensor(uninitialized: [rows, c])
        var total = 0.0
        s.withFloats { sp in t.withFloats { tp in
            var logQ = [Double](repeating: 0, count: c), logP = [Double](repeating: 0, count: c)
            for i in 0..<rows {
                logSoftmax(sp + i * c, c, T, into: &logQ)
                logSoftmax(tp + i * c, c, T, into: &logP)
                var kl = 0.0
                for k in 0..<c {
                    let p = Foundation.exp(logP[k])
                    if p > 0 { kl += p * (logP[k] - logQ[k]) }
                    grad.ptr[i * c + k] = Float(T * (Foundation.exp(logQ[k]) - p) / Double(rows))
                }
                total += kl
            }
        } }
        return (T * T * total / Double(rows), grad)
    }

    /// log softmax(z/T) of one row, in double precision (`CrossEntropy.logSumExp`).
    static func logSoftmax(_ z: UnsafePointer<Float>, _ c: Int, _ T: Double, into out: inout [Double]) {
        let lse = CrossEntropy.logSumExp(z, c, dividedBy: T)
        for k in 0..<c { out[k] = Double(z[k]) / T - lse }
    }
}
