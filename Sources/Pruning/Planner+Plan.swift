import Foundation
import NN
import Tensor

extension Planner {
    /// Scores every prunable group (not frozen, not ignored) and chooses what to keep.
    /// Touches nothing: the result is a `PruningPlan` to inspect, save or apply.
    public static func plan(_ model: any Module, graph: DependencyGraph, criterion: any Criterion,
                            options: PlanOptions, calibration: BatchSource? = nil, batches: Int = 1,
                            point: HookPoint = .act) throws -> PruningPlan {
        if case .ratio(let r, let per) = options.amount {
            for v in [r] + Array(per.values) where !(v >= 0 && v < 1) {
                throw TensorError("prune.plan: a ratio must be in [0, 1), got \(v.isNaN ? "nan" : "\(v)")")
            }
        }
        guard options.maxRatio > 0 && options.maxRatio <= 1 else {
            throw TensorError("prune.plan: max_ratio must be in (0, 1], got \(options.maxRatio)")
        }
        guard options.roundTo >= 1 else { throw TensorError("prune.plan: round_to must be a positive integer") }
        let prunable = graph.groups.filter { $0.frozen == nil && !options.ignored.contains($0.index) }.map(\.index)
        var ratios: [Int: Double] = [:]
        if case .ratio(let r, let per) = options.amount {
            for g in prunable {
                // a criterion that reads the ratio (k-means redundancy's k) gets it of the present channels
                let group = graph.groups[g], r = per[g] ?? r
                ratios[g] = options.originalWidths.isEmpty ? r
                    : 1 - Double(keepCount(group, ratio: r, options)) / Double(max(group.channels, 1))
            }
        }
        let results = try score(model, graph: graph, criterion: criterion, groups: prunable,
                                calibration: calibration, batches: batches, point: point, ratios: ratios)
        let fingerprint = stateShapes(model)
        func make(_ r: Double) throws -> PruningPlan {
            try PruningPlan(graph: graph, criterion: criterion.name,
                            groups: select(graph, results: results, options: options, ratio: r), fingerprint: fingerprint)
        }
        switch options.amount {
        case .ratio(let r, _):
            return try make(r)
        case .targetMACs(let t), .targetParams(let t):
            let macs: Bool
            if case .targetMACs = options.amount { macs = true } else { macs = false }
            func value(_ p: PruningPlan) -> Int { macs ? p.macs.after : p.params.after }
            let what = macs ? "target_macs" : "target_params"
            // Keep-sets do not change with the ratio the search below varies.
            if let g = prunable.first(where: { if case .keep = results[$0] { return true }; return false }) {
                throw TensorError("prune.plan: \(what) needs per-channel scores, but criterion '\(criterion.name)' returned a keep-set (group \(graph.groups[g].name)); give a ratio, or the criterion's own options")
            }
            let full = try make(0)
            guard t > 0 else { throw TensorError("prune.plan: \(what) must be positive, got \(t)") }
            if value(full) <= t { return full }
            var lo = 0.0, hi = min(options.maxRatio, 0.999)
            let most = try make(hi)
            guard value(most) <= t else {
                throw TensorError("prune.plan: \(what) \(t) cannot be reached: pruning every prunable group by \(String(format: "%.3f", hi)) leaves \(value(most))")
            }
            var best = most
            for _ in 0..<40 {
                let mid = (lo + hi) / 2
                let p = try make(mid)
                if value(p) <= t { best = p; hi = mid } else { lo = mid }
                if hi - lo < 1e-4 { break }
            }
            return best
        }
    }
}
