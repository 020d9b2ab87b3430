import Kernels
import LuaHost
import Tensor

extension TensorModule {
    /// Clustering and reduction on (points, features) tensors. Labels are 1-based
    /// int64 tensors; DBSCAN's noise label is 0.
    static let clusteringMethods: [LuaFunction] = [
        LuaFunction("kmeans", doc: """
            tensor.kmeans(x, k [, {seed =, restarts = 4, max_iter = 300, tol = 1e-4}]) -> labels, centroids, inertia
            k-means on the rows of a (points, features) tensor with k-means++ seeding
            (scikit-learn's greedy variant). labels: int64 (points) in 1..k; centroids (k, F);
            inertia = sum of squared distances to the assigned centroid. Each restart is
            seeded from `seed` (default: drawn from tensor.manual_seed's generator); the
            lowest inertia wins. Deterministic for a given seed.
            Example:
              local labels, centroids, inertia = tensor.kmeans(tensor.randn(100, 2), 3, {seed = 1})
            """) { L in
            let x = try L.checkTensor(1), k = try L.checkInteger(2), o = try LuaOptions(L, 3)
            try o.checkKnown(["seed", "restarts", "max_iter", "tol"], "kmeans")
            let seed = try o.integer("seed").map { UInt64(bitPattern: Int64($0)) } ?? Random.global.next()
            let r = try x.kmeans(k, seed: seed, restarts: try o.integer("restarts", 4),
                                 maxIterations: try o.integer("max_iter", 300), tolerance: try o.number("tol", 1e-4))
            L.push(try labelTensor(r.labels)); L.push(r.centroids); L.push(r.inertia)
            return 3
        },
        LuaFunction("dbscan", doc: """
            tensor.dbscan(x, {eps =, min_samples = 5, metric = "euclidean"}) -> labels, clusters
            DBSCAN on the rows of a (points, features) tensor, as scikit-learn: a point is a
            core point when at least min_samples points (itself included) lie within eps.
            labels: int64 (points) with clusters numbered 1..clusters in order of discovery
            and NOISE LABELLED 0. metric "cosine" uses 1 - cos(a, b).
            Example:
              local labels, n = tensor.dbscan(tensor.randn(50, 4), {eps = 1.5, min_samples = 3})
            """) { L in
            let x = try L.checkTensor(1), o = try LuaOptions(L, 2)
            try o.checkKnown(["eps", "min_samples", "metric"], "dbscan")
            guard let eps = try o.number("eps") else { throw LuaError.argument(2, "field 'eps': number expected, got nil") }
            let metric = try o.choice("metric", DBSCANMetric.allCases.map(\.rawValue), "euclidean")
            let labels = try x.dbscan(eps: eps, minSamples: try o.integer("min_samples", 5),
                                      metric: DBSCANMetric(rawValue: metric)!)
            L.push(try labelTensor(labels)); L.push((labels.max() ?? -1) + 1)
            return 2
        },
        LuaFunction("pca", doc: """
            tensor.pca(x, k) -> components, explained_variance, scores, ratio, mean
            Principal components of a (points, features) tensor, as scikit-learn's PCA:
            components (k, F) unit axes (largest entry of each positive), explained_variance
            (k) = σ²/(points - 1), scores (points, k) the centred points in those axes, ratio
            (k) the share of total variance, mean (F).
            Example:
              local comps, var, z = tensor.pca(tensor.randn(200, 10), 2)
            """) { L in
            let x = try L.checkTensor(1), k = try L.checkInteger(2)
            let r = try x.pca(k)
            L.push(r.components); L.push(r.explainedVariance); L.push(r.scores)
            L.push(r.explainedVarianceRatio); L.push(r.mean)
            return 5
        },
    ]

    /// 0-based labels (−1 = noise) as a 1-based int64 tensor (0 = noise).
    static func labelTensor(_ labels: [Int]) throws -> Tensor {
        try Tensor.int64(shape: [labels.count], values: labels.map { Int64($0 + 1) })
    }
}
