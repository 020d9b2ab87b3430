import CLua
import LuaHost
import Pruning
import Tensor

/// Feature-map clustering ("redundancy", PAPERS.md): the built-in criterion's options and
/// `criteria.redundancy` on plain feature maps.
extension CriteriaModule {
    /// Options the `redundancy` criterion reads from a plan's or score's option table.
    static let redundancyOptionKeys = ["method", "clusters", "dims", "seed", "restarts", "max_iter", "tol", "eps", "min_samples"]

    static func redundancyOptions(_ o: LuaOptions) throws -> RedundancyOptions {
        var r = RedundancyOptions()
        r.method = RedundancyOptions.Method(rawValue: try o.choice("method", RedundancyOptions.Method.allCases.map(\.rawValue), "kmeans"))!
        let kmeansOnly = ["clusters", "restarts", "max_iter", "tol", "init"], dbscanOnly = ["eps", "min_samples"]
        for key in r.method == .kmeans ? dbscanOnly : kmeansOnly where o.has(key) {
            throw o.fieldError(key, "applies to method = '\(r.method == .kmeans ? "dbscan" : "kmeans")' only (method is '\(r.method.rawValue)')")
        }
        if let k = try o.integer("clusters") {
            guard k >= 1 else { throw o.fieldError("clusters", "must be an integer ≥ 1 (k-means' k; omit it for k = round(C·(1 − ratio))), got \(k)") }
            r.clusters = k
        }
        r.dims = try o.integer("dims", 0)
        guard r.dims >= 0 else { throw o.fieldError("dims", "must be 0 (no PCA) or the number of PCA dimensions ≥ 1, got \(r.dims)") }
        r.seed = UInt64(bitPattern: Int64(try o.integer("seed", 0)))
        r.restarts = try o.integer("restarts", 1)
        guard (1...1000).contains(r.restarts) else { throw o.fieldError("restarts", "must be in 1...1000, got \(r.restarts)") }
        r.maxIterations = try o.integer("max_iter", 300)
        guard r.maxIterations >= 1 else { throw o.fieldError("max_iter", "must be an integer ≥ 1, got \(r.maxIterations)") }
        r.tolerance = try o.number("tol", 0)
        guard r.tolerance >= 0 && r.tolerance.isFinite else { throw o.fieldError("tol", "must be a number ≥ 0, got \(r.tolerance)") }
        r.eps = try o.number("eps", r.eps)
        guard r.eps > 0 && r.eps <= 2 else { throw o.fieldError("eps", "must be in (0, 2] (a cosine distance), got \(r.eps)") }
        r.minSamples = try o.integer("min_samples", r.minSamples)
        guard r.minSamples >= 1 else { throw o.fieldError("min_samples", "must be an integer ≥ 1, got \(r.minSamples)") }
        return r
    }

    /// The `ratio` option as k-means' default sizing (0.5 when absent), checked.
    static func redundancyRatio(_ o: LuaOptions) throws -> Double {
        let r = try o.number("ratio", 0.5)
        guard r >= 0 && r < 1 else { throw o.fieldError("ratio", "must be in [0, 1), got \(r)") }
        return r
    }

    static func redundancyCriterion(_ o: LuaOptions) throws -> any Criterion {
        RedundancyCriterion(try redundancyOptions(o), defaultRatio: o.has("ratio") ? try redundancyRatio(o) : 0.5)
    }

    static let redundancyFunctions: [LuaFunction] = [
        LuaFunction("redundancy", doc: """
            criteria.redundancy(maps [, {method = "kmeans", ratio = 0.5, clusters =, dims = 0, seed = 0,
                                         restarts = 1, max_iter = 300, tol = 0, init =, eps = 0.05, min_samples = 2}])
              -> {keep =, ri =, labels =, prune_order =, clusters =}
            The `redundancy` criterion (feature-map clustering) on plain feature maps (N, C, …):
            each channel's map averaged over the images, optionally PCA-reduced to `dims`, then
            clustered — k-means (k = clusters, or round(C·(1 − ratio)); k-means++ seeded by
            `seed`, or `init` = 1-based channels as start centres) or DBSCAN with the cosine
            metric (eps, min_samples; noise channels are singletons). keep: one medoid per
            cluster (the member nearest the cluster mean), int64 1-based ascending; ri: the
            redundancy index (|cluster| − 1)/(C − 1) per channel; labels: cluster per channel
            (1-based); prune_order: the other channels by descending ri. In prune.plan the
            plan's ratio (or ratios entry) sizes k-means; DBSCAN and `clusters` choose the kept
            count themselves.
            Example:
              local r = criteria.redundancy(tensor.randn(32, 16, 8, 8):relu(), {ratio = 0.5, seed = 1})
              print(r.keep, r.ri)
            """) { L in
            let maps = try L.checkTensor(1), o = try LuaOptions(L, 2)
            try o.checkKnown(Set(redundancyOptionKeys + ["ratio", "init"]), "criteria.redundancy")
            var opts = try redundancyOptions(o)
            let ratio = try redundancyRatio(o)
            if o.push("init") != LUA_TNIL {
                defer { L.pop() }
                let t = try L.checkTensorLike(-1)
                let v = try t.toFloat().toFloats()
                guard t.dim == 1, !v.isEmpty, v.allSatisfy({ $0 == $0.rounded() && $0 >= 1 && $0 < 1e9 }) else {
                    throw o.fieldError("init", "a list of 1-based channel indices (one start centre per cluster) expected")
                }
                opts.initial = v.map { Int($0) - 1 }
            } else { L.pop() }
            guard maps.dim >= 2 else { throw LuaError.argument(1, "feature maps (N, C, …) expected, got shape \(shapeString(maps.shape))") }
            guard maps.shape[0] >= 1 else { throw LuaError.argument(1, "no images: channel vectors are means over at least one image") }
            let n = maps.shape[0], c = maps.shape[1]
            let v = try RedundancyCriterion.channelSums(maps).map { $0 / Double(n) }
            if let start = opts.initial, let bad = start.first(where: { $0 >= c }) {
                throw o.fieldError("init", "channel \(bad + 1) is out of range 1...\(c)")
            }
            let r = try Redundancy.select(v, channels: c, features: v.count / max(c, 1), ratio: ratio, options: opts, what: "the maps")
            L.newTable()
            L.push(try Tensor.int64(shape: [r.keep.count], values: r.keep.map { Int64($0 + 1) })); L.setField(-2, "keep")
            L.push(try Tensor(shape: [c], values: r.ri.map(Float.init))); L.setField(-2, "ri")
            L.push(try Tensor.int64(shape: [c], values: r.labels.map { Int64($0 + 1) })); L.setField(-2, "labels")
            L.push(try Tensor.int64(shape: [r.pruneOrder.count], values: r.pruneOrder.map { Int64($0 + 1) })); L.setField(-2, "prune_order")
            L.push(r.clusters); L.setField(-2, "clusters")
            return 1
        },
    ]
}
