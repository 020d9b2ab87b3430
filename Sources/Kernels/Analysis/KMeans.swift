import Foundation
import Tensor

/// The outcome of `Tensor.kmeans`: 0-based labels per point, the (k, F) centroids, the
/// inertia Σ‖x − c(x)‖², and the Lloyd iterations of the best restart.
public struct KMeansResult {
    public let labels: [Int]
    public let centroids: Tensor
    public let inertia: Double
    public let iterations: Int
}

extension Tensor {
    /// k-means on the rows of a (points, features) tensor: greedy k-means++ seeding
    /// (scikit-learn's: 2 + ⌊ln k⌋ candidates per centre, the one lowering the potential
    /// most kept), then Lloyd iterations until the labels stop changing or the centres
    /// move less than `tolerance` × the mean feature variance (squared), at most
    /// `maxIterations`. `restarts` runs with generators derived from `seed`; the lowest
    /// inertia wins. An empty cluster takes the point farthest from its centre.
    public func kmeans(_ k: Int, seed: UInt64, restarts: Int = 4, maxIterations: Int = 300,
                       tolerance: Double = 1e-4) throws -> KMeansResult {
        let (x, p, f) = try pointMatrix("kmeans")
        guard k >= 1 else { throw TensorError("kmeans: k must be at least 1, got \(k)") }
        guard k <= p else { throw TensorError("kmeans: k = \(k) is larger than the number of points (\(p))") }
        guard restarts >= 1 && restarts <= 1000 else { throw TensorError("kmeans: restarts must be in 1...1000, got \(restarts)") }
        guard maxIterations >= 1 else { throw TensorError("kmeans: max_iter must be at least 1, got \(maxIterations)") }
        let data = KMeansData(x, p, f)
        let tol = tolerance * data.meanVariance()
        var best: KMeansResult?
        for r in 0..<restarts {
            try Interrupt.check("kmeans")
            var rng = Xoshiro256(seed: seed &+ UInt64(r) &* 0x9E37_79B9_7F4A_7C15)
            let run = try data.lloyd(data.seed(k, &rng), k, maxIterations: maxIterations, tol: tol)
            if best == nil || run.inertia < best!.inertia { best = run }
        }
        return best!
    }

    /// Lloyd iterations (as `kmeans`) started from the given rows as centres (0-based
    /// point indices, one per cluster) instead of k-means++: for reproducing another
    /// implementation's seeding, or a fixed start.
    public func kmeans(initial: [Int], maxIterations: Int = 300, tolerance: Double = 1e-4) throws -> KMeansResult {
        let (x, p, f) = try pointMatrix("kmeans")
        guard !initial.isEmpty && initial.count <= p else {
            throw TensorError("kmeans: the initial centres must be 1...\(p) point indices, got \(initial.count)")
        }
        if let bad = initial.first(where: { $0 < 0 || $0 >= p }) {
            throw TensorError("kmeans: initial centre \(bad + 1) is not a point index in 1...\(p)")
        }
        guard maxIterations >= 1 else { throw TensorError("kmeans: max_iter must be at least 1, got \(maxIterations)") }
        let data = KMeansData(x, p, f)
        return try data.lloyd(initial.flatMap { data.row($0) }, initial.count, maxIterations: maxIterations,
                              tol: tolerance * data.meanVariance())
    }

    /// The contiguous float32 rows of a finite (points, features) matrix.
    func pointMatrix(_ op: String) throws -> (Tensor, Int, Int) {
        guard dim == 2 else { throw TensorError("\(op): expected a (points, features) matrix, got \(shapeString(shape))") }
        guard shape[0] >= 1, shape[1] >= 1 else { throw TensorError("\(op): empty input \(shapeString(shape))") }
        let x = try toFloat().contiguous()
        try x.checkFinite(op)
        return (x, shape[0], shape[1])
    }
}

/// Points and their squared norms; squared distances to any set of centres come from
/// one SGEMM: ‖x‖² + ‖c‖² − 2·x·c.
struct KMeansData {
    let x: Tensor, p: Int, f: Int
    let norms: [Float]

    init(_ x: Tensor, _ p: Int, _ f: Int) {
        self.x = x; self.p = p; self.f = f
        norms = (0..<p).map { i in Float((0..<f).reduce(0.0) { $0 + Double(x.ptr[i * f + $1] * x.ptr[i * f + $1]) }) }
    }

    func meanVariance() -> Double {
        var total = 0.0
        for j in 0..<f {
            var s = 0.0, s2 = 0.0
            for i in 0..<p { let v = Double(x.ptr[i * f + j]); s += v; s2 += v * v }
            let m = s / Double(p)
            total += max(0, s2 / Double(p) - m * m)
        }
        return total / Double(f)
    }

    /// d[i·m + j] = squared distance of point i to centre j (m centres, row-major).
    func distances(_ centres: [Float], _ m: Int) -> [Float] {
        var d = [Float](repeating: 0, count: p * m)
        let cn = (0..<m).map { j in (0..<f).reduce(Float(0)) { $0 + centres[j * f + $1] * centres[j * f + $1] } }
        centres.withUnsafeBufferPointer { c in
            d.withUnsafeMutableBufferPointer { out in
                BLAS.sgemm(transA: false, transB: true, m: p, n: m, k: f, alpha: -2, a: x.ptr, lda: f,
                           b: c.baseAddress!, ldb: f, c: out.baseAddress!, ldc: m)
            }
        }
        for i in 0..<p { for j in 0..<m { d[i * m + j] = max(0, d[i * m + j] + norms[i] + cn[j]) } }
        return d
    }

    func row(_ i: Int) -> [Float] { Array(UnsafeBufferPointer(start: x.ptr + i * f, count: f)) }

    /// Greedy k-means++ (Arthur & Vassilvitskii; scikit-learn's variant).
    func seed(_ k: Int, _ rng: inout Xoshiro256) throws -> [Float] {
        var centres = row(rng.nextInt(p))
        var closest = distances(centres, 1)
        let trials = 2 + Int(Foundation.log(Double(k)))
        for _ in 1..<k {
            try Interrupt.check("kmeans")
            var cum = [Double](repeating: 0, count: p), acc = 0.0
            for i in 0..<p { acc += Double(closest[i]); cum[i] = acc }
            var cands: [Float] = []
            var ids: [Int] = []
            for _ in 0..<trials {
                let r = rng.nextDouble() * acc
                var lo = 0, hi = p - 1                    // first i with cum[i] >= r
                while lo < hi { let mid = (lo + hi) / 2; if cum[mid] >= r { hi = mid } else { lo = mid + 1 } }
                ids.append(lo); cands += row(lo)
            }
            let d = distances(cands, trials)
            var bestT = 0, bestPot = Double.infinity
            for t in 0..<trials {
                var pot = 0.0
                for i in 0..<p { pot += Double(min(closest[i], d[i * trials + t])) }
                if pot < bestPot { bestPot = pot; bestT = t }
            }
            for i in 0..<p { closest[i] = min(closest[i], d[i * trials + bestT]) }
            centres += row(ids[bestT])
        }
        return centres
    }

    /// Lloyd iterations from `centres`; labels and inertia are recomputed against the
    /// final centres.
    func lloyd(_ start: [Float], _ k: Int, maxIterations: Int, tol: Double) throws -> KMeansResult {
        var centres = start
        var labels = [Int](repeating: -1, count: p)
        var iterations = 0
        while iterations < maxIterations {
            try Interrupt.check("kmeans")
            iterations += 1
            let d = distances(centres, k)
            var changed = false
            for i in 0..<p {
                var b = 0
                for j in 1..<max(k, 1) where d[i * k + j] < d[i * k + b] { b = j }
                if labels[i] != b { labels[i] = b; changed = true }
            }
            if !changed { break }
            var sums = [Double](repeating: 0, count: k * f), counts = [Int](repeating: 0, count: k)
            for i in 0..<p {
                counts[labels[i]] += 1
                for j in 0..<f { sums[labels[i] * f + j] += Double(x.ptr[i * f + j]) }
            }
            var fresh = centres, used = Set<Int>()
            for c in 0..<k {
                if counts[c] > 0 {
                    for j in 0..<f { fresh[c * f + j] = Float(sums[c * f + j] / Double(counts[c])) }
                } else {
                    // relocate to the point farthest from its centre
                    var far = -1, farD: Float = -1
                    for i in 0..<p where !used.contains(i) && d[i * k + labels[i]] > farD { far = i; farD = d[i * k + labels[i]] }
                    used.insert(far)
                    for j in 0..<f { fresh[c * f + j] = x.ptr[far * f + j] }
                }
            }
            var shift = 0.0
            for i in 0..<(k * f) { let s = Double(fresh[i] - centres[i]); shift += s * s }
            centres = fresh
            if shift <= tol { break }
        }
        // final assignment against the final centres, inertia in double precision
        let d = distances(centres, k)
        var inertia = 0.0
        for i in 0..<p {
            var b = 0
            for j in 1..<max(k, 1) where d[i * k + j] < d[i * k + b] { b = j }
            labels[i] = b
            for j in 0..<f { let e = Double(x.ptr[i * f + j]) - Double(centres[b * f + j]); inertia += e * e }
        }
        return KMeansResult(labels: labels, centroids: try Tensor(shape: [k, f], values: centres),
                            inertia: inertia, iterations: iterations)
    }
}
