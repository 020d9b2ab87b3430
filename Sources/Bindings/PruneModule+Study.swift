import CLua
import CLuaShim
import Data
import Foundation
import LuaHost
import NN
import Plot
import Pruning
import Tensor

/// Sensitivity analysis, before/after reports and pruning schedules.
extension PruneModule {
    /// `__tostring` of a `prune.report` table: its `text`.
    static let reportText = LuaFunction("__tostring") { L in
        guard L.type(1) == LUA_TTABLE, L.rawField(1, "text") == LUA_TSTRING else { L.push("prune.report"); return 1 }
        return 1
    }

    static let studyFunctions: [LuaFunction] = [
        LuaFunction("sensitivity", doc: """
            prune.sensitivity(net, {eval = loader, criterion =, ratios = {0.1, ..., 0.9}, groups = {names or patterns},
                                    calib =, batches =, input =, point =, reduction =, <the criterion's options>})
              -> {curves = {[group] = {top1, ...}}, ratios =, chart =, skipped = {[group] = reason}}
            Prunes each group alone at each ratio (on a copy; `net` is untouched), evaluates top-1 on
            `eval`, and returns the curves with a line chart (accuracy against ratio, one line per group).
            Groups the criterion does not score (bn_scale without a BatchNorm) have no curve: `skipped`
            says why. A criterion that chooses its own kept count (foad; redundancy with dbscan or
            clusters =) is refused: sweep its own options (t, s; eps; clusters) instead of ratios.
            `input` defaults to the shape the net last ran or was traced with (one image of its last
            net:forward, a pruning call given `input`, prune.groups, nn.load's file), else to one image
            of eval's first batch.
            Example:
              local ds = data.tensor_dataset(tensor.randn(8, 1, 28, 28), tensor.zeros(8))
              local s = prune.sensitivity(nn.zoo.small_cnn{}, {eval = data.loader(ds, {batch = 4}), ratios = {0.25, 0.5}})
              s.chart:save("sensitivity.svg")
            """) { L in
            let m = try NNModule.checkModule(L, 1)
            let o = try LuaOptions(L, 2)
            try CriteriaModule.checkOptions(L, o, ["eval", "criterion", "ratios", "groups", "calib", "loss", "batches", "input",
                                                   "reduction", "point"], "prune.sensitivity")
            guard o.push("eval") != LUA_TNIL, let loader = try DataModule.loaderType.get(L, -1) else {
                L.pop(); throw LuaError.argument(2, "field 'eval': a data.loader to evaluate on is required")
            }
            L.pop()
            var ratios = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
            if o.push("ratios") != LUA_TNIL { ratios = try L.checkNumbers(L.absIndex(-1), "ratios") }
            L.pop()
            let graph = try PruneModule.graph(m, try inputShape(L, m, o, "prune.sensitivity") { try firstImageShape(loader) })
            var chosen = graph.groups.filter { $0.frozen == nil }.map(\.index)
            let pats = try strings(L, o, "groups")
            if !pats.isEmpty {
                let names = NamePatterns(L)
                defer { names.release() }
                var sel: [Int] = []
                for p in pats {
                    let hits = try names.groups(graph, among: chosen, matching: p, arg: 2, field: "groups", what: "prunable group")
                    sel += hits.filter { !sel.contains($0) }
                }
                chosen = sel
            }
            let criterion = try CriteriaModule.resolve(L, o, options: 2)
            try checkLoss(L, o, criterion)
            (criterion as? LuaCriterion)?.ratioApplies = true   // a selection criterion must follow ctx.ratio
            let source = try calibration(L, o)
            let batches = try o.integer("batches", 1)
            let point = HookPoint(rawValue: try o.choice("point", HookPoint.allCases.map(\.rawValue), "act"))!
            let (curves, skipped) = try Sensitivity.run(m, graph: graph, criterion: criterion, groups: chosen, ratios: ratios,
                                             calibration: source, batches: batches, point: point) { try Trainer.evaluate($0, loader).top1 }
            L.newTable()
            L.push(array: ratios); L.setField(-2, "ratios")
            L.newTable()
            for c in curves { L.push(array: c.values); L.setField(-2, c.group) }
            L.setField(-2, "curves")
            L.newTable()
            for s in skipped { L.push(s.reason); L.setField(-2, s.group) }
            L.setField(-2, "skipped")
            if let first = curves.first {
                let chart = try Chart.line(x: ratios, y: first.values, label: first.group)
                for c in curves.dropFirst() { try chart.addXY(x: ratios, y: c.values, label: c.group) }
                chart.title = "Sensitivity (\(criterion.name))"; chart.xlabel = "pruning ratio"; chart.ylabel = "top-1"
                PlotModule.chartType.push(L, chart); L.setField(-2, "chart")
            }
            return 1
        },
        LuaFunction("report", doc: """
            prune.report(original, pruned [, {input =, latency = true, batches = {1, 128}, reps = 3}])
              -> {layers = {{name =, before =, after =, in_before =, ..., macs_before =, ...}, ...}, macs =, params =,
                  latency =, chart =, text =}
            Per layer with MACs: input and output channels, MACs and parameters before and after
            (before / after: output channels, also as a bar chart); the totals, and
            measured forward latency (ms, median of `reps`) at each batch size; the table prints as
            its `text`.
            Example:
              local original, small = nn.zoo.resnet20{}, nn.zoo.resnet20{}
              prune.plan(small, {ratio = 0.5, input = {1, 3, 32, 32}}):apply()
              print(prune.report(original, small, {input = {1, 3, 32, 32}, batches = {1}}))   -- its text
            """) { L in
            let a = try NNModule.checkModule(L, 1), b = try NNModule.checkModule(L, 2)
            let o = try LuaOptions(L, 3)
            try o.checkKnown(["input", "latency", "batches", "reps"], "prune.report")
            let shape = try inputShape(L, b, o, "prune.report")
            var sizes = [1, 128]
            if o.push("batches") != LUA_TNIL {
                let given = try L.checkNumbers(L.absIndex(-1), "batches")
                guard !given.isEmpty, given.allSatisfy({ $0 >= 1 && $0 <= 65536 && $0.rounded() == $0 }) else {
                    throw LuaError.message("prune.report: batches must be whole numbers from 1 to 65536, got \(given)")
                }
                sizes = given.map { Int($0) }
            }
            L.pop()
            let reps = try o.integer("reps", 3)
            let latency = try o.bool("latency", true)
            let ca = try a.count(inputShape: shape), cb = try b.count(inputShape: shape)
            // the same architecture, pruned: every layer with MACs has its counterpart
            let later = Dictionary(cb.layers.map { ($0.name, $0.typeName) }, uniquingKeysWith: { x, _ in x })
            if let l = ca.layers.first(where: { $0.macs > 0 && later[$0.name] != $0.typeName }) {
                throw LuaError.message("prune.report: the two nets are not one architecture before and after pruning: the original's \(l.typeName) '\(l.name)' " + (later[l.name].map { "is a \($0) in the other" } ?? "has no counterpart in the other"))
            }
            let layers = LayerChange.between(ca, cb)
            func time(_ m: any Module, _ batch: Int) throws -> Double {
                var s = shape; s[0] = batch
                let x = try Tensor(zeros: s)
                let wasTraining = m.training
                m.eval()
                defer { m.train(wasTraining) }
                _ = try GradMode.withoutGrad { try m.forward(x) }
                var t: [Double] = []
                for _ in 0..<max(reps, 1) {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    _ = try GradMode.withoutGrad { try m.forward(x) }
                    t.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                }
                return t.sorted()[t.count / 2]
            }
            var lat: [(Int, Double, Double)] = []
            if latency { for s in sizes { lat.append((s, try time(a, s), try time(b, s))) } }
            var text = [LayerChange.table(layers)]
            text.append(String(format: "MACs %.2f M → %.2f M (%.2f×), params %.3f M → %.3f M", Double(ca.macs) / 1e6, Double(cb.macs) / 1e6,
                               Double(ca.macs) / Double(max(cb.macs, 1)), Double(ca.params) / 1e6, Double(cb.params) / 1e6))
            for (s, x, y) in lat { text.append(String(format: "latency batch %d: %.2f ms → %.2f ms (%.2f×)", s, x, y, x / max(y, 1e-9))) }
            L.newTable()
            pushLayers(L, layers)
            for (i, l) in layers.enumerated() {   // before / after: output channels, as the chart
                L.rawIndex(-1, i + 1)
                L.push(l.outBefore); L.setField(-2, "before"); L.push(l.outAfter); L.setField(-2, "after")
                L.pop()
            }
            L.setField(-2, "layers")
            for (k, v) in [("macs", (ca.macs, cb.macs)), ("params", (ca.params, cb.params))] {
                L.newTable(); L.push(v.0); L.setField(-2, "before"); L.push(v.1); L.setField(-2, "after"); L.setField(-2, k)
            }
            L.newTable()
            for (i, (s, x, y)) in lat.enumerated() {
                L.newTable(); L.push(s); L.setField(-2, "batch"); L.push(x); L.setField(-2, "before_ms"); L.push(y); L.setField(-2, "after_ms")
                L.setIndex(-2, i + 1)
            }
            L.setField(-2, "latency")
            L.push(text.joined(separator: "\n")); L.setField(-2, "text")
            if !layers.isEmpty {
                let chart = try Chart.bar(layers.map { Double($0.outBefore) }, categories: layers.map(\.name), label: "before")
                try chart.addBars(layers.map { Double($0.outAfter) }, label: "after")
                chart.title = "Channels per layer"; chart.ylabel = "channels"
                PlotModule.chartType.push(L, chart); L.setField(-2, "chart")
            }
            L.newTable()   // print(report) prints its text
            L.push(reportText); L.setField(-2, "__tostring")
            lua_setmetatable(L.state, -2)
            return 1
        },
        LuaFunction("schedule", doc: """
            prune.schedule{kind = "oneshot" | "iterative" | "agp" | fn, ratio =, steps =, initial = 0}
              -> {ratios = {...}, steps = {...}}
            Cumulative ratios per step (`ratios`: the share of the original channels removed after
            step k) and the ratio of the channels left that each step removes (`steps`).
            iterative: equal steps; agp: Zhu & Gupta's cubic r_k = r + (r0 - r)(1 - k/n)^3; fn(k, n)
            returns the cumulative ratio of step k. Plan step k with ratio = ratios[k] and
            of = "original": every group then has ⌊n0·(1 − r_k)⌋ of its original n0 channels after
            step k, and the last step lands on the one-shot plan's count. Planning `steps[k]` of the
            present channels instead rounds each step's kept count down, so a group can end a
            channel or two below the target (AGP 50 % over 3 steps: 64 → 41 → 32 → 30, not 32).
            Example:
              local s = prune.schedule{kind = "agp", ratio = 0.5, steps = 4}
              local r, opt = nn.zoo.resnet20{}, train.sgd{lr = 0.1, momentum = 0.9}
              for k, ratio in ipairs(s.ratios) do
                prune.plan(r, {ratio = ratio, of = "original", input = {1, 3, 32, 32}}):apply(opt)
              end
            """) { L in
            let o = try LuaOptions(L, 1)
            try o.checkKnown(["kind", "ratio", "steps", "initial"], "prune.schedule")
            let final = try o.number("ratio", 0.5), initial = try o.number("initial", 0)
            guard final >= 0, final < 1, initial >= 0, initial <= final else {
                throw LuaError.argument(1, "ratio must be in [0, 1) and initial in [0, ratio]")
            }
            var n = try o.integer("steps", 1)
            // a schedule is pruned and fine-tuned step by step: a thousand steps is far past any in use
            guard n <= 1000 else { throw o.invalid("steps", "must be from 1 to 1000, got \(n)") }
            var cumulative: [Double] = []
            if o.push("kind") == LUA_TFUNCTION {
                guard n >= 1 else { L.pop(); throw LuaError.argument(1, "field 'steps': must be at least 1") }
                let f = LuaCallback(L, -1, what: "schedule function")
                defer { f.release(L) }
                for k in 1...n {
                    let r = try f.call(on: L, nresults: 1, { T in T.push(k); T.push(n); return 2 }) { T in T.toNumber(-1) }
                    guard let r, r >= 0, r < 1 else { L.pop(); throw LuaError.message("schedule function must return a ratio in [0, 1) for step \(k)") }
                    cumulative.append(r)
                }
                L.pop()
            } else {
                L.pop()
                let kind = try o.choice("kind", ["oneshot", "iterative", "agp"], "oneshot")
                if kind == "oneshot" { n = 1 }
                guard n >= 1 else { throw LuaError.argument(1, "field 'steps': must be at least 1") }
                for k in 1...n {
                    let t = Double(k) / Double(n)
                    cumulative.append(kind == "agp" ? final + (initial - final) * Foundation.pow(1 - t, 3) : initial + (final - initial) * t)
                }
            }
            var steps: [Double] = [], prev = 0.0
            for r in cumulative {
                guard r >= prev else { throw LuaError.message("prune.schedule: cumulative ratios must not decrease (\(prev) then \(r))") }
                steps.append(1 - (1 - r) / (1 - prev))
                prev = r
            }
            L.newTable()
            L.push(array: cumulative); L.setField(-2, "ratios")
            L.push(array: steps); L.setField(-2, "steps")
            return 1
        },
    ]
}
