import NN
import Tensor

/// Sensitivity analysis per group: each group is pruned alone at each ratio (on a copy
/// of the net; the original is untouched) and the copy evaluated.
public enum Sensitivity {
    public struct Curve {
        public let group: String
        public let ratios: [Double]
        /// The metric at each ratio (same order).
        public let values: [Double]
    }

    /// Scores `groups` once with `criterion`, then for each group and ratio prunes a copy
    /// of `model` and calls `evaluate` on it. A criterion that returns keep-sets sized by
    /// the ratio (k-means redundancy, a Lua selection criterion reading `ctx.ratio`) is
    /// asked again at every ratio, from the same calibration data. Groups the criterion
    /// skips (bn_scale without a BatchNorm) get no curve; `skipped` says why. Refuses a
    /// criterion that chooses its own kept count (FOAD, DBSCAN, k-means with fixed
    /// clusters): every ratio would prune the same channels.
    public static func run(_ model: any Module, graph: DependencyGraph, criterion: any Criterion, groups: [Int],
                           ratios: [Double], calibration: BatchSource?, batches: Int, point: HookPoint = .act,
                           evaluate: (any Module) throws -> Double) throws -> (curves: [Curve], skipped: [(group: String, reason: String)]) {
        guard !ratios.isEmpty, ratios.allSatisfy({ $0 >= 0 && $0 < 1 }) else {
            throw TensorError("sensitivity: ratios must be a non-empty list of numbers in [0, 1)")
        }
        if criterion.choosesKeptCount {
            throw TensorError("sensitivity: criterion '\(criterion.name)' chooses how many channels each group keeps, so every ratio would prune the same channels; sweep its own options (\(criterion.keptCountOptions)) instead of ratios")
        }
        let collected = try Planner.collect(model, graph: graph, criterion: criterion, groups: groups,
                                            calibration: calibration, batches: batches, point: point)
        let results = try Planner.evaluate(model, graph: graph, criterion: criterion, groups: groups,
                                           collected: collected, point: point)
        var curves: [Curve] = [], skipped: [(group: String, reason: String)] = []
        for g in groups {
            if case .skip(let why)? = results[g] { skipped.append((graph.groups[g].name, why)); continue }
            var values: [Double] = []
            for r in ratios {
                let c = try model.deepCopy()
                let cg = try DependencyGraph(c, inputShape: graph.inputShape)
                let n = graph.groups[g].channels
                var result = results[g]!
                if case .keep = result {
                    result = try Planner.evaluate(model, graph: graph, criterion: criterion, groups: [g],
                                                  collected: collected, point: point, ratios: [g: r])[g]!
                }
                let kept: [Int]
                switch result {
                case .scores(let s): kept = Planner.top(s, Planner.keepCount(n, ratio: r, PlanOptions()))
                case .keep(let k): kept = k.sorted()
                case .skip: kept = Array(0..<n)
                }
                try cg.apply([g: kept])
                values.append(try evaluate(c))
            }
            curves.append(Curve(group: graph.groups[g].name, ratios: ratios, values: values))
        }
        return (curves, skipped)
    }
}
