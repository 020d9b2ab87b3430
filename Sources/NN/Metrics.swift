import Tensor

/// Classification metrics on N×C logits against N class ids (0-based).
public enum Metrics {
    /// How many rows have their target among the `k` highest logits (ties count for
    /// the lower class id, as a stable sort would).
    public static func correct(logits: Tensor, targets: Tensor, k: Int) throws -> Int {
        guard logits.dim == 2, targets.dim == 1, targets.shape[0] == logits.shape[0] else {
            throw TensorError("accuracy: expected N×C logits and N targets, got \(shapeString(logits.shape)) and \(shapeString(targets.shape))")
        }
        let t = targets.toFloats()
        let (n, c) = (logits.shape[0], logits.shape[1])
        var hits = 0
        try logits.withContiguousFloats { z in
            for i in 0..<n {
                let y = Int(t[i])
                guard y >= 0 && y < c else { throw TensorError("accuracy: target \(y) of sample \(i + 1) is not a class id in 0..\(c - 1)") }
                let row = z + i * c, v = row[y]
                // rank of the target = classes scoring higher (or equal with a lower id)
                var above = 0
                for j in 0..<c where row[j] > v || (row[j] == v && j < y) { above += 1 }
                if above < k { hits += 1 }
            }
        }
        return hits
    }
}
