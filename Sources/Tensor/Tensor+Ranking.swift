/// Ranks and rank correlation: `averageRanks` (scipy.stats.rankdata's "average") and
/// `spearman` (scipy.stats.spearmanr of two vectors), computed in double precision.
extension Tensor {
    /// The 1-based rank of every element in row-major order; tied values share the
    /// mean of the ranks they span (1, 2.5, 2.5, 4). NaN ranks last.
    public func averageRanks() -> [Double] {
        let v = toArray(), n = v.count
        var order = Array(0..<n)
        Tensor.stableSort(&order, v, descending: false) { $0.isNaN }
        var ranks = [Double](repeating: 0, count: n)
        var i = 0
        while i < n {
            var j = i + 1
            while j < n, v[order[j]] == v[order[i]] { j += 1 }
            let r = Double(i + j + 1) / 2   // mean of the 1-based ranks i+1 … j
            for k in i..<j { ranks[order[k]] = r }
            i = j
        }
        return ranks
    }

    /// Spearman's rank correlation of two 1-d tensors of equal length: the Pearson
    /// correlation of their average ranks. NaN (as scipy's default) when either holds a
    /// NaN, either is constant, or there are fewer than two values.
    public static func spearman(_ a: Tensor, _ b: Tensor) throws -> Double {
        guard a.dim == 1, b.dim == 1 else {
            throw TensorError("spearman: expected two 1-d tensors, got shapes \(shapeString(a.shape)) and \(shapeString(b.shape))")
        }
        guard a.numel == b.numel else {
            throw TensorError("spearman: the tensors have \(a.numel) and \(b.numel) elements, expected the same number")
        }
        let n = a.numel
        if n < 2 || a.toArray().contains(where: \.isNaN) || b.toArray().contains(where: \.isNaN) { return .nan }
        let ra = a.averageRanks(), rb = b.averageRanks()
        let mean = Double(n + 1) / 2   // ranks always average to (n + 1) / 2
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for k in 0..<n {
            let x = ra[k] - mean, y = rb[k] - mean
            sab += x * y; saa += x * x; sbb += y * y
        }
        guard saa > 0, sbb > 0 else { return .nan }
        return Swift.max(-1, Swift.min(1, sab / (saa * sbb).squareRoot()))
    }
}
