import CLua
import CLuaShim
import Data
import Foundation
import LuaHost
import NN
import Pruning
import Tensor

extension PruneModule {
    /// The calibration data of option `calib`: a loader, a tensor, or nil.
    static func calibration(_ L: Lua, _ o: LuaOptions) throws -> BatchSource? {
        let t = o.push("calib")
        defer { L.pop() }
        let source: BatchSource?
        if t == LUA_TNIL { source = nil }
        else if let x = try L.tensor(-1) { source = try BatchList.unlabelled(x) }
        else if let l = try DataModule.loaderType.get(L, -1) { source = l }
        else { throw LuaError.message("field 'calib': a data.loader or a tensor expected, got \(L.typeName(-1))") }
        return try withLoss(L, o, source)
    }

    /// `source` with the loss of option `loss` (a function(logits, targets, inputs) -> ∂loss/∂logits)
    /// for gradient criteria, or as it is without one.
    private static func withLoss(_ L: Lua, _ o: LuaOptions, _ source: BatchSource?) throws -> BatchSource? {
        let t = o.push("loss")
        defer { L.pop() }
        guard t != LUA_TNIL else { return source }
        guard t == LUA_TFUNCTION else {
            throw o.invalid("loss", "a function(logits, targets, inputs) returning the gradient of the loss with respect to the logits expected, got \(L.typeName(-1))")
        }
        guard let source else { throw o.invalid("loss", "the loss of gradient criteria is taken on calibration data: give calib too") }
        let fn = LuaCallback(L, -1, what: "loss")
        return LossSource(source) { logits, targets, inputs in
            try fn.call(nresults: 1, context: "loss", { T in T.push(logits); T.push(targets); T.push(inputs); return 3 }) { T in
                guard let g = try T.tensor(-1) else {
                    throw LuaError.message("loss: the function must return the gradient of the loss with respect to the logits (a tensor), got \(T.typeName(-1))")
                }
                return g
            }
        }
    }

    /// Refuses option `loss` for a criterion that takes no gradients.
    static func checkLoss(_ L: Lua, _ o: LuaOptions, _ criterion: any Criterion) throws {
        defer { L.pop() }
        if o.push("loss") != LUA_TNIL, !criterion.needs.contains(.gradients) {
            throw o.invalid("loss", "criterion '\(criterion.name)' takes no gradients, so no loss (gradient criteria: taylor, a Lua criterion with needs = \"grads\")")
        }
    }

    /// Each group's ratio from `ratios` entries (sorted by pattern, so the table's order
    /// does not matter): a group's exact name wins over patterns; two patterns giving one
    /// group different ratios are an error (which one wins would depend on Lua's hash order).
    static func ratiosByGroup(_ entries: [(pattern: String, ratio: Double)], _ graph: DependencyGraph,
                              _ names: NamePatterns) throws -> [Int: Double] {
        var exact: [Int: Double] = [:], byPattern: [Int: (pattern: String, ratio: Double)] = [:]
        for (pat, r) in entries {
            for g in try names.groups(graph, among: Array(graph.groups.indices), matching: pat, arg: 2, field: "ratios",
                                      what: "group (groups are named by their first conv)") {
                if graph.groups[g].name == pat { exact[g] = r; continue }
                if let other = byPattern[g], other.ratio != r {
                    throw LuaError.argument(2, "field 'ratios': group '\(graph.groups[g].name)' matches '\(other.pattern)' (\(other.ratio)) "
                                            + "and '\(pat)' (\(r)); make the patterns disjoint or give the group by its exact name, which wins")
                }
                byPattern[g] = (pat, r)
            }
        }
        return byPattern.mapValues(\.ratio).merging(exact) { _, e in e }
    }

    /// The optimizer of option `optimizer`, if any.
    static func optimizer(_ L: Lua, _ o: LuaOptions) throws -> OptimizerBox? {
        try o.object("optimizer", TrainModule.optimizerType)
    }

    /// Strings of option `key` (a string or a list of strings).
    static func strings(_ L: Lua, _ o: LuaOptions, _ key: String) throws -> [String] {
        let t = o.push(key)
        defer { L.pop() }
        if t == LUA_TNIL { return [] }
        if t == LUA_TSTRING { return [L.toString(-1)!] }
        guard t == LUA_TTABLE else { throw LuaError.message("field '\(key)': a list of names or patterns expected, got \(L.typeName(-1))") }
        var out: [String] = []
        for k in stride(from: 1, through: L.rawLength(-1), by: 1) {
            L.rawIndex(-1, k)
            defer { L.pop() }
            guard L.isString(-1), let s = L.toString(-1) else { throw LuaError.message("field '\(key)': entry \(k) must be a string") }
            out.append(s)
        }
        return out
    }

    /// prune.plan's own options (a criterion's come beside them).
    static let planOptions: Set<String> = ["criterion", "ratio", "ratios", "target_macs", "target_params", "scope", "ignore",
                                           "max_ratio", "round_to", "of", "normalizer", "reduction", "calib", "loss", "batches", "point", "input"]

    static let planFunctions: [LuaFunction] = [
        LuaFunction("plan", doc: """
            prune.plan(net, {criterion =, ratio = | ratios = {[pattern] = r} | target_macs = | target_params =,
                             scope = "local" | "global", ignore = {names or patterns}, max_ratio =, round_to =,
                             of = "current" | "original", normalizer =, reduction =, calib = loader | tensor,
                             batches =, point =, input =})
              -> plan
            Scores every prunable group and chooses what to keep, touching nothing. A group whose
            channels an ignored layer makes (or normalises) stays whole (a container's name, such as
            "layer1", ignores every layer in it); layers that only read them
            may still lose input channels. `ratios` patterns match group names (the defining layer);
            names match exactly, otherwise as whole-name Lua patterns; a group's exact name wins over
            patterns, and two patterns giving one group different ratios are an error. `print(plan)` shows channels
            per group and MACs / params before and after; plan.kept[name] lists kept channels
            (1-based, ascending); plan:apply([optimizer]) performs it; plan:save(path) writes JSON.
            Selection-based criteria return keep-sets, which pass through as they are (max_ratio,
            round_to and the global scope apply to scores only): `foad` (options t, s) and
            `redundancy` with method = "dbscan" or clusters = k choose each group's kept count
            themselves (giving ratio, ratios or a target is an error); k-means `redundancy` takes
            k = round(C·(1 − ratio)) from the plan's ratio or ratios entry. A MACs or params
            target needs per-channel scores; it is met from below: with scope = "local" every group
            takes one ratio, so the count falls in steps (all 16-channel groups lose a channel at
            once: ResNet-56 at target_macs = 100e6 lands on 97.2 M), scope = "global" within a few
            channels of it. A group the criterion does not score (bn_scale without
            a BatchNorm, as Torch-Pruning; fpwt at a Linear, whose maps have no height and width)
            stays whole: `print(plan)` and plan.groups[i].skipped say why; a criterion that scores
            no group at all is an error. `input` (the shape traced) defaults to the one the net last ran or was traced with (one image
            of its last net:forward, a pruning call given `input`, prune.groups, nn.load's file),
            else to one image of calib's first batch. A ratio counts a group's present channels;
            with of = "original" it counts the channels the group had before it was first pruned
            (prune.history's steps; nn.load keeps them), so a group keeps ⌊n0·(1 − ratio)⌋ of its
            original n0 and the steps of an iterative schedule (prune.schedule's `ratios`) end
            exactly where a one-shot plan at the final ratio does. A global plan's budget counts
            the original total the same way.
            `point` is where feature maps are read: "act" (after the activation that follows the
            group's conv, the default), "bn", "conv", or "pool" (after a max- or average-pooling that
            directly follows that activation, else after the activation: FOAD's VGG protocol).
            `normalizer` ("none", "mean", "max", "sum", "l2", "standardize"; default "mean" with
            scope = "global", else "none") rescales each group's scores before they are ranked across
            groups, dividing by a magnitude (|mean|, max |s|, |sum|, ‖s‖₂), so a group's order never
            changes, negative scores included. `calib` as a tensor is one batch without labels: a
            criterion that takes gradients of the loss (taylor, a Lua criterion with needs = "grads")
            needs a loader over labelled data instead, or a `loss` of its own that needs no labels.
            `loss = function(logits, targets, inputs) return dlogits end` replaces cross-entropy for
            those criteria: it returns the gradient of the batch's loss with respect to the logits
            (their shape; divide by the batch size for a mean) and always sees whole batches. It may
            run another network on the inputs (a teacher, inside nn.no_grad), not the one scored.
            The criterion's own options go in the same table (fpwt's wavelet, entropy's bins, foad's t and s,
            random's seed, the `options` a Lua criterion declared with criteria.define); any other key is an error.
            Example:
              local plan = prune.plan(nn.zoo.resnet20{}, {criterion = "l1", ratio = 0.3, input = {1, 3, 32, 32}})
              print(plan)
            """) { L in
            let m = try NNModule.checkModule(L, 1)
            let o = try LuaOptions(L, 2)
            try CriteriaModule.checkOptions(L, o, planOptions, "prune.plan")
            let source = try calibration(L, o)
            let shape = try inputShape(L, m, o, "prune.plan") { try firstImageShape(source) }
            let graph = try PruneModule.graph(m, shape)
            var options = PlanOptions()
            options.global = try o.choice("scope", ["local", "global"], "local") == "global"
            options.maxRatio = try o.number("max_ratio", 1)
            options.roundTo = try o.integer("round_to", 1)
            options.normalizer = ScoreNormalizer(rawValue: try o.choice("normalizer", ScoreNormalizer.allCases.map(\.rawValue),
                                                                         options.global ? "mean" : "none"))!
            // ignore: a group whose channels an ignored layer makes or carries (its output,
            // its BN) stays whole; a layer that only reads the group's channels (a consumer's
            // input) does not protect it — Torch-Pruning's ignored_layers. A container's name
            // ("layer1") stands for every layer inside it.
            let names = NamePatterns(L)
            defer { names.release() }
            for pat in try strings(L, o, "ignore") {
                var hit = false
                func ignores(_ layer: String) throws -> Bool { try layer.hasPrefix(pat + ".") || names.matches(layer, pat) }
                for g in graph.groups where try g.slots.contains(where: { s in
                    s.role != .input && s.role != .shortcutIn ? try ignores(s.layer) : false
                }) {
                    options.ignored.insert(g.index); hit = true
                }
                if !hit, try !graph.trace.nodes.contains(where: { try $0.kind == .layer && ignores($0.name) }) {
                    throw LuaError.argument(2, "field 'ignore': '\(pat)' matches no layer of the net")
                }
            }
            let amounts = ["ratio", "ratios", "target_macs", "target_params"].filter { o.push($0) != LUA_TNIL }
            L.pop(4)
            var perGroup: [Int: Double] = [:]
            if o.push("ratios") == LUA_TTABLE {
                var entries: [(pattern: String, ratio: Double)] = [], failure: Error?
                L.forEachPair(L.absIndex(-1)) {
                    guard failure == nil else { return }
                    guard let pat = L.toString(-2), L.type(-2) == LUA_TSTRING, let r = L.toNumber(-1) else {
                        failure = LuaError.argument(2, "field 'ratios': entries must be [pattern] = ratio"); return
                    }
                    entries.append((pat, r))
                }
                if let failure { L.pop(); throw failure }
                do { perGroup = try ratiosByGroup(entries.sorted { $0.pattern < $1.pattern }, graph, names) } catch { L.pop(); throw error }
            }
            L.pop()
            if let t = try o.integer("target_macs") {
                options.amount = .targetMACs(t)
            } else if let t = try o.integer("target_params") {
                options.amount = .targetParams(t)
            } else {
                let r = try o.number("ratio") ?? (perGroup.isEmpty ? 0.5 : 0)
                options.amount = .ratio(r, perGroup: perGroup)
            }
            if amounts.count > 1 && !(amounts.count == 2 && amounts.contains("ratio") && amounts.contains("ratios")) {
                throw LuaError.argument(2, "give one of ratio (with ratios), target_macs, target_params (got \(amounts.joined(separator: ", ")))")
            }
            if try o.choice("of", ["current", "original"], "current") == "original" {
                if let a = amounts.first(where: { $0.hasPrefix("target_") }) {
                    throw LuaError.argument(2, "field 'of': \(a) is a count of the whole net, not a ratio; of = \"original\" applies to ratio and ratios")
                }
                options.originalWidths = try PruningHistory.originalWidths(m, graph)
            }
            let criterion = try CriteriaModule.resolve(L, o, options: 2)
            try checkLoss(L, o, criterion)
            if criterion.choosesKeptCount, let a = amounts.first {
                throw LuaError.argument(2, "field '\(a)': criterion '\(criterion.name)' chooses how many channels each group keeps (from its own options), so \(a) does not apply")
            }
            if let lua = criterion as? LuaCriterion, lua.selection {
                // it sizes its keep-sets from ctx.ratio, or the ratio would not apply
                if let a = amounts.first(where: { $0.hasPrefix("target_") }) {
                    throw LuaError.argument(2, "field '\(a)': criterion '\(criterion.name)' chooses the channels each group keeps (selection = true), so \(a) does not apply (its choice may follow ctx.ratio: give ratio)")
                }
                lua.ratioApplies = !amounts.isEmpty
            }
            let batches = try o.integer("batches", 1)
            let point = HookPoint(rawValue: try o.choice("point", HookPoint.allCases.map(\.rawValue), "act"))!
            let plan = try Planner.plan(m, graph: graph, criterion: criterion, options: options, calibration: source,
                                        batches: batches, point: point)
            planType.push(L, PlanBox(plan, m))
            return 1
        },
    ]
}
