import Tensor

/// The distance DBSCAN uses between points.
public enum DBSCANMetric: String, CaseIterable, Sendable {
    /// ‖a − b‖₂.
    case euclidean
    /// 1 − cos(a, b); a zero vector has cosine 0 with every other point (distance 1) and
    /// distance 0 to itself, as in scikit-learn.
    case cosine
}

extension Tensor {
    /// DBSCAN (Ester et al.) on the rows of a (points, features) tensor, as
    /// scikit-learn computes it: a point is core when at least `minSamples` points
    /// (itself included) lie within distance ≤ `eps`; clusters grow from core points
    /// in index order, a border point joining the first cluster that reaches it.
    /// Returns 0-based cluster labels with −1 for noise (the Lua binding adds 1, so
    /// there clusters are 1…k and noise is 0). Distances are computed in double precision.
    public func dbscan(eps: Double, minSamples: Int = 5, metric: DBSCANMetric = .euclidean) throws -> [Int] {
        let (x, p, f) = try pointMatrix("dbscan")
        guard eps > 0, eps.isFinite else { throw TensorError("dbscan: eps must be a positive number, got \(eps)") }
        guard minSamples >= 1 else { throw TensorError("dbscan: min_samples must be at least 1, got \(minSamples)") }
        // neighbour lists, rows split over threads
        var lists = [[Int]](repeating: [], count: p)
        let eps2 = eps * eps
        try x.withFloats { px in
            var inv = [Double](repeating: 1, count: p)
            if metric == .cosine {
                for i in 0..<p {
                    var s = 0.0
                    for j in 0..<f { let v = Double(px[i * f + j]); s += v * v }
                    inv[i] = s > 0 ? 1 / s.squareRoot() : 0
                }
            }
            try lists.withUnsafeMutableBufferPointer { out in
                let o = out.baseAddress!
                try Chunked.run("dbscan", count: p, block: Chunked.blockSize(perItem: p * f), grain: 16) { lo, hi in
                    for i in lo..<hi {
                        var nb: [Int] = []
                        let a = px + i * f
                        for j in 0..<p {
                            let b = px + j * f
                            if metric == .euclidean {
                                var s = 0.0
                                for t in 0..<f { let e = Double(a[t]) - Double(b[t]); s += e * e }
                                if s <= eps2 { nb.append(j) }
                            } else {
                                var s = 0.0
                                for t in 0..<f { s += Double(a[t]) * Double(b[t]) }
                                if i == j || 1 - s * inv[i] * inv[j] <= eps { nb.append(j) }
                            }
                        }
                        o[i] = nb
                    }
                }
            }
        }
        let core = lists.map { $0.count >= minSamples }
        var labels = [Int](repeating: -1, count: p)
        var next = 0
        var stack: [Int] = []
        for start in 0..<p where labels[start] == -1 && core[start] {
            var i = start
            while true {
                if labels[i] == -1 {
                    labels[i] = next
                    if core[i] { for j in lists[i] where labels[j] == -1 { stack.append(j) } }
                }
                guard let j = stack.popLast() else { break }
                i = j
            }
            next += 1
        }
        return labels
    }
}
