import Tensor

/// Classification metrics on N×C logits against N class ids (0-based) or N×C target rows
/// (soft labels, a teacher's probabilities: each row's highest entry is its class).
public enum Metrics {
    /// How many rows have their target among the `k` highest logits (ties count for
    /// the lower class id, as a stable sort would).
    public static func correct(logits: Tensor, targets: Tensor, k: Int) throws -> Int {
        let rows = logits.dim == 2 && targets.shape == logits.shape
        guard logits.dim == 2, rows || (targets.dim == 1 && targets.shape[0] == logits.shape[0]) else {
            throw TensorError("accuracy: expected N×C logits and N class ids (or N×C target rows), got \(shapeString(logits.shape)) and \(shapeString(targets.shape))")
        }
        let (n, c) = (logits.shape[0], logits.shape[1])
        let ids: [Int]
        if rows {
            let t = targets.toFloats()
            ids = (0..<n).map { i in (0..<c).reduce(0) { t[i * c + $1] > t[i * c + $0] ? $1 : $0 } }
        } else {
            ids = try CrossEntropy.classIds(targets.toArray(), classes: c, op: "accuracy")
        }
        var hits = 0
        try logits.withContiguousFloats { z in
            for i in 0..<n {
                let y = ids[i], row = z + i * c, v = row[y]
                // rank of the target = classes scoring higher (or equal with a lower id)
                var above = 0
                for j in 0..<c where row[j] > v || (row[j] == v && j < y) { above += 1 }
                if above < k { hits += 1 }
            }
        }
        return hits
    }
}
