import Foundation
import Tensor

/// Cross-entropy from logits, as `torch.nn.functional.cross_entropy`: a numerically
/// stable log-softmax over classes, optional label smoothing, mean (or sum) over the
/// batch. Returns the loss and its gradient with respect to the logits.
public enum CrossEntropy {
    public enum Reduction: String, Sendable { case mean, sum }

    /// Targets as class ids: each a whole number in 0 ..< `c` (checked before any
    /// conversion: NaN, ±inf and 1e30 are errors naming the sample).
    static func classIds(_ t: [Double], classes c: Int, op: String) throws -> [Int] {
        try t.indices.map { i in
            let v = t[i]
            guard v == v.rounded(), v >= 0, v < Double(c) else {
                throw TensorError("\(op): target \(v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)) of sample \(i + 1) is not a class id in 0..\(c - 1)")
            }
            return Int(v)
        }
    }

    /// - Parameters:
    ///   - logits: N×C scores (float32; int64 is converted).
    ///   - targets: N class ids, 0-based (int64, or float32 holding integers), or N×C
    ///     class probabilities (float32).
    ///   - labelSmoothing: ε in [0, 1]: the target becomes (1 − ε)·target + ε/C.
    ///   - meanOver: with `.mean`, the count to divide by instead of N: the rows are part of
    ///     a batch of that many run in parts (`Calibration`), and get the whole batch's
    ///     loss gradient, the same bits.
    /// - Returns: the loss and dL/dlogits (N×C).
    public static func compute(logits: Tensor, targets: Tensor, labelSmoothing: Double = 0,
                               reduction: Reduction = .mean, meanOver: Int? = nil) throws -> (loss: Double, grad: Tensor) {
        let op = "cross_entropy"
        guard logits.dim == 2 else {
            throw TensorError("\(op): logits must be N×C, got shape \(shapeString(logits.shape))")
        }
        let (n, c) = (logits.shape[0], logits.shape[1])
        guard n > 0, c > 0 else { throw TensorError("\(op): empty batch (logits shape \(shapeString(logits.shape)))") }
        guard labelSmoothing >= 0 && labelSmoothing <= 1 else {
            throw TensorError("\(op): label_smoothing must be in [0, 1], got \(labelSmoothing)")
        }
        let z = try logits.toFloat().contiguous()
        // q[i][k]: the smoothed target distribution, given either by class ids or by rows.
        var classes: [Int]? = nil
        var probs: Tensor? = nil
        if targets.dim == 1 {
            guard targets.shape[0] == n else {
                throw TensorError("\(op): \(n) rows of logits but \(targets.shape[0]) targets")
            }
            classes = try classIds(targets.toArray(), classes: c, op: op)
        } else if targets.shape == [n, c] {
            probs = try targets.toFloat().contiguous()
        } else {
            throw TensorError("\(op): targets must be \(n) class ids or \(n)×\(c) probabilities, got shape \(shapeString(targets.shape))")
        }
        let eps = labelSmoothing, uniform = eps / Double(c)
        if let m = meanOver, m < n { throw TensorError("\(op): meanOver (\(m)) must be at least the \(n) rows") }
        let scale = reduction == .mean ? 1 / Double(meanOver ?? n) : 1
        let grad = try Tensor(uninitialized: [n, c])
        var losses = [Double](repeating: 0, count: n)
        z.withFloats { zp in (probs ?? z).withFloats { pp in
            losses.withUnsafeMutableBufferPointer { lossBuf in
                let lp = lossBuf.baseAddress!
                Parallel.ranges(n, grain: max(1, 4096 / c)) { lo, hi in
                    var q = [Double](repeating: 0, count: c)
                    for i in lo..<hi {
                        let row = zp + i * c, g = grad.ptr + i * c
                        let lse = logSumExp(row, c)
                        if let classes {
                            for k in 0..<c { q[k] = uniform }
                            q[classes[i]] += 1 - eps
                        } else if probs != nil {
                            for k in 0..<c { q[k] = (1 - eps) * Double(pp[i * c + k]) + uniform }
                        }
                        var loss = 0.0, qsum = 0.0
                        for k in 0..<c {
                            loss -= q[k] * (Double(row[k]) - lse)
                            qsum += q[k]
                        }
                        for k in 0..<c {
                            g[k] = Float((Foundation.exp(Double(row[k]) - lse) * qsum - q[k]) * scale)
                        }
                        lp[i] = loss
                    }
                }
            }
        } }
        return (losses.reduce(0, +) * scale, grad)
    }

    /// log Σₖ exp(z[k]/T) of one row of `c` logits, in double precision, the maximum
    /// subtracted first (the stable log-softmax's normaliser; T = 1 for plain logits).
    static func logSumExp(_ z: UnsafePointer<Float>, _ c: Int, dividedBy T: Double = 1) -> Double {
        var m = -Double.infinity
        for k in 0..<c { m = max(m, Double(z[k]) / T) }
        var sum = 0.0
        for k in 0..<c { sum += Foundation.exp(Double(z[k]) / T - m) }
        return m + Foundation.log(sum)
    }
}
