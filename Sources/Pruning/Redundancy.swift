import Foundation
import Kernels
import Tensor

/// Options of feature-map clustering (PAPERS.md, "redundancy"; our reconstruction).
public struct RedundancyOptions {
    public enum Method: String, CaseIterable, Sendable {
        /// k-means++ then Lloyd, k = `clusters` or round(C·(1 − ratio)).
        case kmeans
        /// DBSCAN with the cosine metric: the number of clusters (and so the keep-set's
        /// size) emerges from `eps` and `minSamples`.
        case dbscan
    }
    public var method: Method = .kmeans
    /// k for k-means; nil: round(C·(1 − ratio)) (half to even, as Python's round).
    public var clusters: Int?
    /// PCA dimensions of the channel vectors before clustering; 0 clusters them as they are.
    public var dims = 0
    /// k-means: generator seed (the same seed gives the same clusters), restarts (lowest
    /// inertia wins), Lloyd iterations and tolerance (0: until the labels stop changing).
    public var seed: UInt64 = 0
    public var restarts = 1
    public var maxIterations = 300
    public var tolerance = 0.0
    /// k-means: start centres (0-based channels, one per cluster) instead of k-means++.
    public var initial: [Int]?
    /// DBSCAN: cosine-distance radius (0, 2] and the points a core point needs (itself included).
    public var eps = 0.05
    public var minSamples = 2

    public init() {}
}

/// The clustering of one group's channels and what it keeps.
public struct RedundancyResult {
    /// Kept channels (one medoid per cluster; DBSCAN noise channels are kept; k-means whose
    /// identical channels left clusters empty also keeps the least redundant others up to k),
    /// 0-based ascending.
    public let keep: [Int]
    /// Cluster of each channel, 0-based (DBSCAN noise channels each get a cluster of their own,
    /// numbered after DBSCAN's).
    public let labels: [Int]
    /// Redundancy index (|cluster(c)| − 1)/(C − 1) of each channel.
    public let ri: [Double]
    /// The channels not kept, by descending redundancy index, ties by ascending index.
    public let pruneOrder: [Int]
    /// The number of clusters.
    public let clusters: Int
}

public enum Redundancy {
    /// Clusters the C channel vectors `v` (C × F, row-major: each channel's map averaged
    /// over the images) and keeps each cluster's medoid — the member closest to the
    /// cluster's mean in the clustering's space (squared Euclidean for k-means, cosine
    /// distance for DBSCAN; distances equal to 10⁻¹² relative, as in every two-member
    /// cluster, go to the lower index). `ratio` sizes k-means when
    /// `options.clusters` is nil; `what` names the group in errors.
    /// `leastClusters` floors a ratio's k (a plan keeps at least one channel of every group,
    /// as every other criterion does; on plain maps k = 0 is an error).
    public static func select(_ v: [Double], channels c: Int, features f: Int, ratio: Double?,
                              options o: RedundancyOptions, what: String, leastClusters: Int = 0) throws -> RedundancyResult {
        guard c >= 1, f >= 1, v.count == c * f else { throw TensorError("redundancy: no channel vectors for \(what)") }
        if let i = v.firstIndex(where: { !$0.isFinite }) {
            throw TensorError("redundancy: channel \(i / f + 1) of \(what) has a non-finite mean map")
        }
        var z = v, width = f
        if o.dims > 0 {
            guard o.dims <= min(c, f) else {
                throw TensorError("redundancy: dims = \(o.dims) is out of range for \(what): PCA of \(c) channels × \(f) features allows 1...\(min(c, f)) (0 = no PCA)")
            }
            if c >= 2 {
                let scores = try Tensor(shape: [c, f], values: v.map(Float.init)).pca(o.dims).scores
                z = scores.toFloats().map(Double.init); width = o.dims
            }
        }
        var labels: [Int]
        var keepCount: Int?
        switch o.method {
        case .kmeans:
            let k: Int
            if let n = o.clusters {
                k = n
            } else if let r = ratio {
                k = max(leastClusters, Int((Double(c) * (1 - r)).rounded(.toNearestOrEven)))
            } else {
                throw TensorError("redundancy: k-means needs a ratio (k = round(C·(1 − ratio))) or clusters = k for \(what); a MACs or params target does not size clusters")
            }
            guard k >= 1 && k <= c else {
                throw TensorError(k > c ? "redundancy: clusters = \(k) but \(what) has only \(c) channels (fewer channels than clusters)"
                                        : o.clusters == nil
                                            ? "redundancy: k = round(C·(1 − ratio)) = round(\(c) · \(1 - ratio!)) = \(k) for \(what): k-means needs at least one cluster (a lower ratio, or clusters = k)"
                                            : "redundancy: clusters must be at least 1, got \(k) for \(what)")
            }
            if let start = o.initial, start.count != k {
                throw TensorError("redundancy: \(start.count) initial centres given for k = \(k) clusters of \(what)")
            }
            // k-means is translation invariant: centre the points so float32 distances lose little
            var mean = [Double](repeating: 0, count: width)
            for i in 0..<c { for j in 0..<width { mean[j] += z[i * width + j] } }
            for j in 0..<width { mean[j] /= Double(c) }
            for i in 0..<c { for j in 0..<width { z[i * width + j] -= mean[j] } }
            let x = try Tensor(shape: [c, width], values: z.map(Float.init))
            let r = try o.initial.map { try x.kmeans(initial: $0, maxIterations: o.maxIterations, tolerance: o.tolerance) }
                ?? x.kmeans(k, seed: o.seed, restarts: o.restarts, maxIterations: o.maxIterations, tolerance: o.tolerance)
            labels = r.labels
            keepCount = k
        case .dbscan:
            guard o.minSamples <= c else {
                throw TensorError("redundancy: min_samples = \(o.minSamples) but \(what) has only \(c) channels (every channel would be noise)")
            }
            labels = try Tensor(shape: [c, width], values: z.map(Float.init))
                .dbscan(eps: o.eps, minSamples: o.minSamples, metric: .cosine)
            var next = (labels.max() ?? -1) + 1
            for i in 0..<c where labels[i] < 0 { labels[i] = next; next += 1 }
        }
        return finish(z, width: width, labels: labels, cosine: o.method == .dbscan, keeping: keepCount)
    }

    /// Medoids, redundancy indices and the prune order of a labelling. With `keeping` k,
    /// k channels are kept even when fewer clusters have members (k-means cannot split equal
    /// points: eight dead channels are one cluster however large k is): the medoids, then
    /// the least redundant of the others (lowest index first), so a ratio removes what it says.
    static func finish(_ z: [Double], width w: Int, labels: [Int], cosine: Bool, keeping target: Int? = nil) -> RedundancyResult {
        let c = labels.count, k = (labels.max() ?? -1) + 1
        var members = [[Int]](repeating: [], count: k)
        for (i, l) in labels.enumerated() { members[l].append(i) }
        var keep: [Int] = []
        for m in members where !m.isEmpty {
            var centre = [Double](repeating: 0, count: w)
            for i in m { for j in 0..<w { centre[j] += z[i * w + j] } }
            for j in 0..<w { centre[j] /= Double(m.count) }
            let cn = centre.reduce(0) { $0 + $1 * $1 }.squareRoot()
            func distance(_ i: Int) -> Double {
                var s = 0.0, dot = 0.0, nn = 0.0
                for j in 0..<w {
                    let a = z[i * w + j]
                    if cosine { dot += a * centre[j]; nn += a * a } else { let e = a - centre[j]; s += e * e }
                }
                guard cosine else { return s }
                return nn > 0 && cn > 0 ? 1 - dot / (nn.squareRoot() * cn) : 1
            }
            // equal distances up to rounding (a two-member cluster's members are always equally
            // far from its mean) go to the lower index, not to the last bit of the arithmetic
            let d = m.map(distance), least = d.min()!
            keep.append(m[d.firstIndex { $0 <= least + 1e-12 * max(abs(least), 1e-300) }!])
        }
        let ri = labels.map { c > 1 ? Double(members[$0].count - 1) / Double(c - 1) : 0 }
        if let target, keep.count < target {
            let medoids = Set(keep)
            let rest = (0..<c).filter { !medoids.contains($0) }.sorted { ri[$0] != ri[$1] ? ri[$0] < ri[$1] : $0 < $1 }
            keep += rest.prefix(target - keep.count)
        }
        keep.sort()
        let kept = Set(keep)
        let order = (0..<c).filter { !kept.contains($0) }.sorted { ri[$0] != ri[$1] ? ri[$0] > ri[$1] : $0 < $1 }
        return RedundancyResult(keep: keep, labels: labels, ri: ri, pruneOrder: order, clusters: members.filter { !$0.isEmpty }.count)
    }
}

/// Feature-map clustering as a criterion: each batch [B, C, …] is reduced to the per-channel
/// sums of its maps (double, packed as `DoubleSums`); the channel vectors are their means.
public struct RedundancyCriterion: Criterion {
    public let name = "redundancy"
    public let options: RedundancyOptions
    public var needs: CriterionNeeds { .featureMaps }
    /// DBSCAN, or k-means with a fixed cluster count, ignore the plan's ratio.
    public var choosesKeptCount: Bool { options.method == .dbscan || options.clusters != nil }
    public var keptCountOptions: String { options.method == .dbscan ? "eps, min_samples" : "clusters" }
    /// Used when the plan gives no ratio (criteria.score).
    public let defaultRatio: Double?

    public init(_ options: RedundancyOptions, defaultRatio: Double? = nil) {
        self.options = options; self.defaultRatio = defaultRatio
    }

    public func reduceBatch(_ maps: Tensor, grads: Tensor?) throws -> Tensor? {
        guard maps.dim >= 2 else {
            throw TensorError("redundancy: feature maps must be [N, C, …], got \(shapeString(maps.shape))")
        }
        let size = maps.shape.dropFirst().reduce(1, *)
        return try DoubleSums.pack(size: size, count: maps.shape[0]) { try Self.channelSums(maps, into: $0) }
    }

    /// Features summed per visit of the images (`bench --ab sums-long`: 16384 or 512).
    nonisolated(unsafe) public static var sumBlock = 16384

    /// Σ over images of each channel's flattened map: C × F doubles, row-major.
    public static func channelSums(_ maps: Tensor) throws -> [Double] {
        var out = [Double](repeating: 0, count: maps.shape.dropFirst().reduce(1, *))
        try out.withUnsafeMutableBufferPointer { o in
            guard let o = o.baseAddress else { return }
            try channelSums(maps, into: o)
        }
        return out
    }

    /// `channelSums` added into `o` (C × F doubles, zero for the plain sums).
    public static func channelSums(_ maps: Tensor, into o: UnsafeMutablePointer<Double>) throws {
        let n = maps.shape[0], c = maps.shape[1], f = maps.shape.dropFirst(2).reduce(1, *)
        try maps.toFloat().withContiguousFloats { p in
            // one streaming pass over the maps: threads split the features; a block's
            // sums (up to 128 KB) stay in L2 while four images' long runs stream past them
            // (runs of 2 KB, as 512-sum blocks in L1 read, defeat the prefetchers: 1.1×
            // slower); the same additions in the same order as one image at a time
            let cf = c * f
            Parallel.ranges(cf, grain: 1024) { lo, hi in
                var b0 = lo
                while b0 < hi {
                    let b1 = min(hi, b0 + Self.sumBlock)
                    var i = 0
                    while i + 4 <= n {
                        let s0 = p + i * cf, s1 = s0 + cf, s2 = s1 + cf, s3 = s2 + cf
                        for k in b0..<b1 {
                            var a = o[k]
                            a += Double(s0[k]); a += Double(s1[k]); a += Double(s2[k]); a += Double(s3[k])
                            o[k] = a
                        }
                        i += 4
                    }
                    while i < n {
                        let src = p + i * cf
                        for k in b0..<b1 { o[k] += Double(src[k]) }
                        i += 1
                    }
                    b0 = b1
                }
            }
        }
    }

    public func evaluate(_ ctx: CriterionContext) throws -> CriterionResult {
        guard let r = ctx.fmaps else { throw TensorError("redundancy: no feature maps were captured for group \(ctx.group.name)") }
        let (sums, n) = try DoubleSums.unpack(r, "redundancy")
        let c = ctx.group.channels
        guard n > 0, c > 0, sums.count % c == 0 else {
            throw TensorError("redundancy: channel sums of the wrong size for group \(ctx.group.name)")
        }
        let v = sums.map { $0 / Double(n) }
        return .keep(try Redundancy.select(v, channels: c, features: sums.count / c, ratio: ctx.ratio ?? defaultRatio,
                                           options: options, what: "group \(ctx.group.name)", leastClusters: 1).keep)
    }
}
