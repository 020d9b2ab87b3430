import Tensor

/// Principal components of a (points, features) matrix, as scikit-learn's PCA reports
/// them: `components` (k, F) are unit principal axes, each signed so that its largest
/// absolute entry is positive (sklearn's svd_flip); `explainedVariance` (k) = σ²/(P − 1);
/// `explainedVarianceRatio` (k) their share of the total variance; `mean` (F) the
/// centre; `scores` (P, k) the centred points projected on the axes.
public struct PCAResult {
    public let components: Tensor
    public let explainedVariance: Tensor
    public let explainedVarianceRatio: Tensor
    public let mean: Tensor
    public let scores: Tensor
}

extension Tensor {
    /// PCA through one SVD (LAPACK sgesdd) of the centred data.
    public func pca(_ k: Int) throws -> PCAResult {
        let (x, p, f) = try pointMatrix("pca")
        let r = min(p, f)
        guard k >= 1 && k <= r else {
            throw TensorError("pca: k must be in 1...\(r) (min of points and features) for \(shapeString(shape)), got \(k)")
        }
        var mean = [Double](repeating: 0, count: f)
        let centred = try Tensor(uninitialized: [p, f])
        x.withFloats { px in
            for i in 0..<p { for j in 0..<f { mean[j] += Double(px[i * f + j]) } }
            for j in 0..<f { mean[j] /= Double(p) }
            for i in 0..<p { for j in 0..<f { centred.ptr[i * f + j] = Float(Double(px[i * f + j]) - mean[j]) } }
        }
        let svd = try centred.svd(vectors: true, "pca")
        let comps = try Tensor(uninitialized: [k, f]), scores = try Tensor(uninitialized: [p, k])
        let variance = try Tensor(uninitialized: [k]), ratio = try Tensor(uninitialized: [k])
        svd.s.withFloats { s in svd.u!.withFloats { u in svd.v!.withFloats { v in   // U (p, r), V (f, r)
            var total = 0.0
            for j in 0..<r { total += Double(s[j]) * Double(s[j]) }
            let dof = Double(max(p - 1, 1))
            for c in 0..<k {
                var big = 0
                for j in 0..<f where abs(v[j * r + c]) > abs(v[big * r + c]) { big = j }
                let sign: Float = v[big * r + c] < 0 ? -1 : 1
                for j in 0..<f { comps.ptr[c * f + j] = sign * v[j * r + c] }
                for i in 0..<p { scores.ptr[i * k + c] = sign * u[i * r + c] * s[c] }
                let s2 = Double(s[c]) * Double(s[c])
                variance.ptr[c] = Float(s2 / dof)
                ratio.ptr[c] = Float(total > 0 ? s2 / total : 0)
            }
        } } }
        return PCAResult(components: comps, explainedVariance: variance, explainedVarianceRatio: ratio,
                         mean: try Tensor(shape: [f], values: mean.map { Float($0) }), scores: scores)
    }
}
