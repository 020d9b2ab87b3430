import Kernels
import LuaHost
import Pruning
import Tensor

/// FOAD (PAPERS.md): the built-in criterion's options, `criteria.foad` on plain feature
/// maps and `prune.foad_greedy` on a similarity matrix.
extension CriteriaModule {
    /// Options the `foad` criterion reads from a plan's or score's option table.
    static let foadOptionKeys = ["t", "s"]

    /// `t` (integer ≥ 1, default 1) and `s` (in [0, 1], default 0) of option table `o`.
    static func foadOptions(_ o: LuaOptions, sRange: ClosedRange<Double>? = 0...1) throws -> (t: Int, s: Double) {
        let t = try o.integer("t", 1)
        guard t >= 1 else {
            throw o.fieldError("t", "must be an integer ≥ 1 (the most similar channels examined per kept channel), got \(t)")
        }
        let s = try o.number("s", 0)
        if let range = sRange, !range.contains(s) {
            throw o.fieldError("s", "must be in [0, 1] (FOAD's similarity 1/(1 + distance) lies in (0, 1]), got \(s)")
        }
        guard s.isFinite else { throw o.fieldError("s", "must be a finite number, got \(s)") }
        return (t, s)
    }

    static func foadCriterion(_ o: LuaOptions) throws -> any Criterion {
        let (t, s) = try foadOptions(o)
        return FOADCriterion(t: t, s: s)
    }

    static let foadFunctions: [LuaFunction] = [
        LuaFunction("foad", doc: """
            criteria.foad(maps [, {t = 1, s = 0}]) -> keep, S
            The `foad` criterion on plain feature maps (N, C, …): S[i][j] = mean over images of
            1/(1 + ‖maps[n][i] − maps[n][j]‖) in double precision (returned as a (C, C) tensor),
            and FOAD's greedy keep-set (prune.foad_greedy) as int64 1-based channels, ascending.
            In prune.plan / criteria.score the same options go in the option table, and the
            kept count emerges from t and s (no ratio).
            Example:
              local maps = tensor.randn(16, 8, 6, 6):relu()
              local keep, S = criteria.foad(maps, {t = 2, s = 0.1})
            """) { L in
            let maps = try L.checkTensor(1), o = try LuaOptions(L, 2)
            try o.checkKnown(Set(foadOptionKeys), "criteria.foad")
            let (t, s) = try foadOptions(o)
            guard maps.dim >= 2 else { throw LuaError.argument(1, "feature maps (N, C, …) expected, got shape \(shapeString(maps.shape))") }
            let c = maps.shape[1], n = maps.shape[0]
            guard n >= 1 else { throw LuaError.argument(1, "no images: the similarity is a mean over at least one image") }
            let sums = try maps.foadSimilaritySums("criteria.foad")
            let sim = sums.map { $0 / Double(n) }
            let kept = try FOAD.greedy(sim, channels: c, t: t, threshold: s).kept
            L.push(try Tensor.int64(shape: [kept.count], values: kept.map { Int64($0 + 1) }))
            L.push(try Tensor(shape: [c, c], values: sim.map(Float.init)))
            return 2
        },
    ]
}

extension PruneModule {
    static let foadFunctions: [LuaFunction] = [
        LuaFunction("foad_greedy", doc: """
            prune.foad_greedy(S [, {t = 1, s = 0}]) -> kept, removed
            FOAD's greedy keep-set on a (C, C) similarity matrix (higher = more alike), as the
            authors' code: for i = 1, 2, … in index order, skip i if removed, else keep i and,
            among the t alive channels j ≠ i with the highest S[i][j] (exact ties: lower index
            first; kept channels take these slots too), remove each j not kept with
            S[i][j] ≥ s (compared in float32, S's precision). t ≥ C − 1 examines every alive
            channel. Returns int64 1-based
            indices, ascending: the kept channels and the removed ones.
            Example:
              local S = tensor.new{{1, 0.9, 0.2}, {0.9, 1, 0.3}, {0.2, 0.3, 1}}
              local kept = prune.foad_greedy(S, {t = 1, s = 0.5})   -- {1, 3}
            """) { L in
            let sm = try L.checkTensorLike(1), o = try LuaOptions(L, 2)
            try o.checkKnown(Set(CriteriaModule.foadOptionKeys), "prune.foad_greedy")
            let (t, s) = try CriteriaModule.foadOptions(o, sRange: nil)
            guard sm.dim == 2, sm.shape[0] == sm.shape[1], sm.shape[0] >= 1 else {
                throw LuaError.argument(1, "a square (C, C) similarity matrix expected, got shape \(shapeString(sm.shape))")
            }
            let c = sm.shape[0]
            // S holds float32 values: compare with s rounded the same way (s = 0.9 matches an entry 0.9)
            let (kept, removed) = try FOAD.greedy(try sm.toFloat().toFloats().map(Double.init), channels: c, t: t,
                                                  threshold: Double(Float(s)))
            L.push(try Tensor.int64(shape: [kept.count], values: kept.map { Int64($0 + 1) }))
            L.push(try Tensor.int64(shape: [removed.count], values: removed.map { Int64($0 + 1) }))
            return 2
        },
    ]
}
