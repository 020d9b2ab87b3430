import Foundation
import NN
import Tensor

/// Makes plans: scores every prunable group with a criterion (one calibration pass for
/// all groups when feature maps are needed), then chooses what to keep.
public enum Planner {
    /// The scores or keep-sets of every prunable group that is not ignored.
    public static func score(_ model: any Module, graph: DependencyGraph, criterion: any Criterion,
                             groups: [Int], calibration: BatchSource?, batches: Int,
                             point: HookPoint = .act, ratios: [Int: Double] = [:]) throws -> [Int: CriterionResult] {
        let collected = try collect(model, graph: graph, criterion: criterion, groups: groups, calibration: calibration,
                                    batches: batches, point: point)
        return try evaluate(model, graph: graph, criterion: criterion, groups: groups, collected: collected,
                            point: point, ratios: ratios)
    }

    /// What a calibration pass gathered for a criterion, by group index: the feature maps or
    /// their reductions, and the gradients at the same points where the maps are kept whole.
    public struct Collected {
        public var maps: [Int: Tensor] = [:]
        public var grads: [Int: Tensor] = [:]
    }

    /// What `criterion` needs of the calibration batches for `groups`; empty when it needs none.
    public static func collect(_ model: any Module, graph: DependencyGraph, criterion: any Criterion,
                               groups: [Int], calibration: BatchSource?, batches: Int,
                               point: HookPoint = .act) throws -> Collected {
        var collected = Collected()
        if !criterion.needs.isEmpty {
            guard let source = calibration else {
                throw TensorError("\(criterion.name): this criterion needs calibration data (calib = a loader)")
            }
            if criterion.needs.contains(.gradients), let list = source as? BatchList, !list.labelled {
                throw TensorError("\(criterion.name): this criterion takes gradients of the loss, which needs labels; calib is a tensor "
                                  + "(no labels): give a data.loader over labelled data (data.tensor_dataset(x, y))")
            }
            var points: [GroupPoint] = []
            for g in groups {
                guard let p = graph.point(of: g, point) else {
                    throw TensorError("\(criterion.name): group \(graph.groups[g].name) has no \(point.rawValue) point to capture feature maps at")
                }
                points.append(p)
            }
            (collected.maps, collected.grads) = try Calibration.collectWithGradients(
                model, points: points, source: source, batches: batches, gradients: criterion.needs.contains(.gradients),
                eachImage: criterion.reducesEachImage) { _, maps, grads in
                try criterion.reduceBatch(maps, grads: grads)
            }
        }
        return collected
    }

    /// Runs `criterion` on every group of `groups` with what `collect` gathered; a plan's
    /// ratio per group in `ratios`. Throws when every group was skipped.
    public static func evaluate(_ model: any Module, graph: DependencyGraph, criterion: any Criterion,
                                groups: [Int], collected: Collected, point: HookPoint = .act,
                                ratios: [Int: Double] = [:]) throws -> [Int: CriterionResult] {
        var out: [Int: CriterionResult] = [:]
        for g in groups {
            let ctx = try CriterionContext(graph: graph, group: graph.groups[g], model: model)
            ctx.fmaps = collected.maps[g]
            ctx.grads = collected.grads[g]
            let at = criterion.needs.isEmpty ? nil : graph.point(of: g, point)
            ctx.point = at?.path
            ctx.pointIsActivation = at?.afterActivation
            ctx.pointActivation = at?.activation
            ctx.ratio = ratios[g]
            let r = try criterion.evaluate(ctx)
            try check(r, graph.groups[g], criterion.name)
            out[g] = r
        }
        if let first = groups.first, groups.allSatisfy({ if case .skip = out[$0] { return true }; return false }),
           case .skip(let why)? = out[first] {
            throw TensorError("criterion '\(criterion.name)' skipped every group it was given, so nothing can be pruned (group \(graph.groups[first].name): \(why))")
        }
        return out
    }

    /// A criterion's answer must fit its group: one finite score per channel, or a
    /// non-empty keep-set of distinct channels in range.
    static func check(_ r: CriterionResult, _ group: PruningGroup, _ name: String) throws {
        switch r {
        case .scores(let s):
            guard s.count == group.channels else {
                throw TensorError("criterion '\(name)' returned \(s.count) scores for group \(group.name), which has \(group.channels) channels")
            }
            if let i = s.firstIndex(where: { !$0.isFinite }) {
                throw TensorError("criterion '\(name)' returned a score of \(s[i].isNaN ? "nan" : String(s[i])) for channel \(i + 1) of group \(group.name)")
            }
        case .keep(let k):
            try group.checkKeep(k, "criterion '\(name)'")
        case .skip:
            break
        }
    }

    /// Chooses the kept channels of every group from its scores. A group whose channels come
    /// from several layers (Concat branches that a squeeze-and-excitation or an add ties
    /// together later) keeps at least one channel of each, its best scored: surgery cannot
    /// leave a layer without outputs.
    public static func select(_ graph: DependencyGraph, results: [Int: CriterionResult], options: PlanOptions,
                              ratio: Double) -> [GroupPlan] {
        let plans = selectByScores(graph, results: results, options: options, ratio: ratio)
        return plans.map { plan in
            var plan = plan
            let g = graph.groups[plan.group], producers = g.slots.filter { $0.role == .output }
            guard producers.count > 1 else { return plan }
            var kept = Set(plan.kept)
            for s in producers {
                let own = g.positions(in: s).map(\.channel)
                guard !own.isEmpty, !own.contains(where: kept.contains) else { continue }
                let scores = plan.scores
                guard let best = own.max(by: { a, b in (scores?[a] ?? 0, -a) < (scores?[b] ?? 0, -b) }) else { continue }
                kept.insert(best)
            }
            plan.kept = kept.sorted()
            return plan
        }
    }

    static func selectByScores(_ graph: DependencyGraph, results: [Int: CriterionResult], options: PlanOptions,
                               ratio: Double) -> [GroupPlan] {
        var plans: [GroupPlan] = []
        var perGroup: [Int: Double] = [:]
        if case .ratio(_, let pg) = options.amount { perGroup = pg }
        var global: [(score: Double, group: Int, channel: Int)] = []
        var scoresOf: [Int: [Double]] = [:]
        for g in graph.groups {
            let n = g.channels
            guard let r = results[g.index] else {
                plans.append(GroupPlan(group: g.index, name: g.name, before: n, kept: Array(0..<n), scores: nil))
                continue
            }
            switch r {
            case .keep(let k):
                plans.append(GroupPlan(group: g.index, name: g.name, before: n, kept: k.sorted(), scores: nil))
            case .skip(let why):
                plans.append(GroupPlan(group: g.index, name: g.name, before: n, kept: Array(0..<n), scores: nil,
                                       skipped: why))
            case .scores(let s):
                let norm = options.normalizer.apply(s)
                scoresOf[g.index] = norm
                let keep = keepCount(g, ratio: perGroup[g.index] ?? ratio, options)
                plans.append(GroupPlan(group: g.index, name: g.name, before: n, kept: top(norm, keep), scores: s))
                if options.global && perGroup[g.index] == nil {
                    for (c, v) in norm.enumerated() { global.append((v, g.index, c)) }
                }
            }
        }
        guard options.global, !global.isEmpty else { return plans }
        // Global: remove the lowest normalised scores across groups, within each group's limits.
        // of the original channels: the budget counts the original total, less what earlier
        // steps removed; a group's limit counts its original width the same way
        func original(_ g: Int) -> Int { max(options.originalWidths[g] ?? 0, graph.groups[g].channels) }
        let inGlobal = Set(global.map(\.group))
        let total = inGlobal.reduce(0) { $0 + original($1) }, gone = inGlobal.reduce(0) { $0 + original($1) - graph.groups[$1].channels }
        var budget = Int((Double(total) * ratio).rounded(.down)) - gone
        var removed: [Int: Int] = [:]
        global.sort { ($0.score, $0.group, -$0.channel) < ($1.score, $1.group, -$1.channel) }
        var dropped: [Int: Set<Int>] = [:]
        for e in global where budget > 0 {
            let n = graph.groups[e.group].channels, n0 = original(e.group)
            let limit = min(n - 1, Int((Double(n0) * options.maxRatio).rounded(.down)) - (n0 - n))
            guard removed[e.group, default: 0] < limit else { continue }
            removed[e.group, default: 0] += 1
            dropped[e.group, default: []].insert(e.channel)
            budget -= 1
        }
        for i in plans.indices {
            guard let s = scoresOf[plans[i].group], perGroup[plans[i].group] == nil else { continue }
            let n = plans[i].before
            let keep = roundUp(n - (dropped[plans[i].group]?.count ?? 0), n, options.roundTo)
            plans[i].kept = top(s, keep)
        }
        return plans
    }

    /// Channels group `g` keeps at `ratio`: of its present channels, or with
    /// `originalWidths` ⌊n0·(1 − ratio)⌋ of its original n0 (never more than it has now).
    static func keepCount(_ g: PruningGroup, ratio: Double, _ o: PlanOptions) -> Int {
        guard let n0 = o.originalWidths[g.index], n0 > g.channels else { return keepCount(g.channels, ratio: ratio, o) }
        return min(g.channels, keepCount(n0, ratio: ratio, o))
    }

    /// Channels kept at a ratio: ⌊n·(1 − ratio)⌋ as Torch-Pruning counts them — of the
    /// exact value: 20·(1 − 0.8) is 3.9999999999999991 in doubles, and keeps 4 — removing
    /// at most ⌊n·max_ratio⌋, at least one, rounded up to a multiple of round_to.
    static func keepCount(_ n: Int, ratio: Double, _ o: PlanOptions) -> Int {
        let r = min(ratio, o.maxRatio)
        let exact = Double(n) * (1 - r)
        let keep = max(1, Int((exact + 1e-9 * max(1, exact)).rounded(.down)),
                       n - Int((Double(n) * o.maxRatio + 1e-9).rounded(.down)))
        return roundUp(keep, n, o.roundTo)
    }

    static func roundUp(_ keep: Int, _ n: Int, _ to: Int) -> Int {
        guard to > 1 else { return max(1, keep) }
        return min(n, max(to, (keep + to - 1) / to * to))
    }

    /// Indices of the `k` highest scores, ascending (ties keep the lower index).
    static func top(_ s: [Double], _ k: Int) -> [Int] {
        let order = s.indices.sorted { s[$0] != s[$1] ? s[$0] > s[$1] : $0 < $1 }
        return order.prefix(k).sorted()
    }
}
