import CLua
import Data
import Foundation
import LuaHost
import NN
import Pruning
import Tensor
import Text

/// A plan as Lua sees it: the plan and the net it was made for.
final class PlanBox {
    let plan: PruningPlan
    weak var model: (any Module)?
    init(_ p: PruningPlan, _ m: any Module) { plan = p; model = m }
}

extension PruneModule {
    static func checkPlan(_ L: Lua, _ i: Int32) throws -> PlanBox { try planType.check(L, i) }

    /// The plan as JSON: criterion, MACs and params, per group the channels and the kept
    /// indices (1-based, as Lua shows them); one line a group, written by the Text module.
    static func json(_ p: PruningPlan) -> String {
        func counts(_ before: Int, _ after: Int) -> String {
            JSON.object([("before", .int(before)), ("after", .int(after))]).line
        }
        let groups = p.groups.map { g -> String in
            var fields: [(String, JSON)] = [("name", .string(g.name)), ("before", .int(g.before)), ("after", .int(g.after)),
                                            ("kept", .array(g.kept.map { .int($0 + 1) }))]
            if let why = g.skipped { fields.append(("skipped", .string(why))) }
            return "    " + JSON.object(fields).line
        }
        let layers = p.layers.map { l in
            "    " + JSON.object([("name", .string(l.name)), ("in", .array([.int(l.inBefore), .int(l.inAfter)])),
                                  ("out", .array([.int(l.outBefore), .int(l.outAfter)])),
                                  ("macs", .array([.int(l.macsBefore), .int(l.macsAfter)])),
                                  ("params", .array([.int(l.paramsBefore), .int(l.paramsAfter)]))]).line
        }
        return "{\n  \"criterion\": \(JSON.quote(p.criterion)),\n"
            + "  \"macs\": \(counts(p.macs.before, p.macs.after)),\n"
            + "  \"params\": \(counts(p.params.before, p.params.after)),\n"
            + "  \"groups\": [\n" + groups.joined(separator: ",\n") + "\n  ],\n"
            + "  \"layers\": [\n" + layers.joined(separator: ",\n") + "\n  ]\n}\n"
    }

    /// {{name =, in_before =, in_after =, out_before =, out_after =, macs_before =, macs_after =,
    /// params_before =, params_after =}, ...}: `plan.layers` and `prune.report(...).layers`.
    static func pushLayers(_ L: Lua, _ layers: [LayerChange]) {
        L.newTable()
        for (i, l) in layers.enumerated() {
            L.newTable()
            L.push(l.name); L.setField(-2, "name")
            for (k, v) in [("in_before", l.inBefore), ("in_after", l.inAfter), ("out_before", l.outBefore),
                           ("out_after", l.outAfter), ("macs_before", l.macsBefore), ("macs_after", l.macsAfter),
                           ("params_before", l.paramsBefore), ("params_after", l.paramsAfter)] {
                L.push(v); L.setField(-2, k)
            }
            L.setIndex(-2, i + 1)
        }
    }

    static func pushGroups(_ L: Lua, _ p: PruningPlan) throws {
        L.newTable()
        for (i, g) in p.groups.enumerated() {
            L.newTable()
            L.push(g.name); L.setField(-2, "name")
            L.push(g.before); L.setField(-2, "before")
            L.push(g.after); L.setField(-2, "after")
            L.push(ints: g.kept.map { $0 + 1 }); L.setField(-2, "kept")
            if let s = g.scores { L.push(try Tensor(shape: [s.count], values: s.map(Float.init))); L.setField(-2, "scores") }
            if let why = g.skipped { L.push(why); L.setField(-2, "skipped") }
            L.setIndex(-2, i + 1)
        }
    }

    static let planFields = LuaFields<PlanBox>(
        names: { _ in ["kept", "groups", "layers", "criterion", "applied", "macs", "params"] },
        title: { _ in "prune.Plan" },
        push: { L, b, key in
            let p = b.plan
            switch key {
            case "kept":
                L.newTable()
                for g in p.groups { L.push(ints: g.kept.map { $0 + 1 }); L.setField(-2, g.name) }
            case "groups": try pushGroups(L, p)
            case "layers": pushLayers(L, p.layers)
            case "criterion": L.push(p.criterion)
            case "applied": L.push(p.applied)
            case "macs", "params":
                let v = key == "macs" ? p.macs : p.params
                L.newTable(); L.push(v.before); L.setField(-2, "before"); L.push(v.after); L.setField(-2, "after")
            default: return false
            }
            return true
        })

    static let planMethods: [LuaFunction] = [
        LuaFunction("apply", doc: """
            plan:apply([optimizer]) -> net
            Performs the plan on its net (checked: the net must not have changed since planning).
            With an optimizer, its momentum / moments are sliced with the weights, whether train.fit or
            opt:step(params, grads) from Lua stepped them (the new tensors then carry the state on).
            Example:
              local r = nn.zoo.resnet20{}
              prune.plan(r, {ratio = 0.25, input = {1, 3, 32, 32}}):apply(train.sgd{lr = 0.1, momentum = 0.9})
            """) { L in
            let b = try checkPlan(L, 1)
            guard let m = b.model else { throw LuaError.message("plan:apply: the net of this plan is gone") }
            if L.isNoneOrNil(2) {
                try b.plan.apply(to: m)
            } else {
                try TrainModule.optimizerType.check(L, 2).surgery(on: m) { try b.plan.apply(to: m, optimizer: $0) }
            }
            NNModule.push(L, m)
            return 1
        },
        LuaFunction("mask", doc: """
            plan:mask([{filters_only = false, optimizer = opt}]) -> net
            Soft pruning: sets to zero, in place, the parameters that make and read the channels the
            plan removes (their filters and biases, their BatchNorms' γ and β, the next layers' weights
            on them) and cuts option-A shortcuts' paths into them, changing no shape. The net then
            computes what plan:apply() would give, whatever its activations, and training leaves those
            channels silent. optimizer = opt (one that goes on training the net) zeroes the same
            entries of its momentum and moments, which would otherwise move them off zero at its next
            step. filters_only = true
            zeroes only their filters, as soft filter pruning (He et al. 2018) does: each channel then
            still carries its BN's β, and training can grow it back, so mask again each epoch with a
            new plan. The plan can still be applied afterwards.
            Example:
              local plan = prune.plan(net, {criterion = "l1", ratio = 0.3, input = {1, 3, 32, 32}})
              plan:mask()
              print(train.evaluate(net, test_loader).top1)   -- the pruned net's accuracy, before surgery
              plan:apply()
            """) { L in
            let b = try checkPlan(L, 1)
            let o = try LuaOptions(L, 2)
            try o.checkKnown(["filters_only", "optimizer"], "plan:mask")
            let filtersOnly = try o.bool("filters_only", false)
            let box = try optimizer(L, o)
            guard let m = b.model else { throw LuaError.message("plan:mask: the net of this plan is gone") }
            if let box {
                try box.surgery(on: m) { try b.plan.mask(m, filtersOnly: filtersOnly, optimizer: $0) }
            } else {
                try b.plan.mask(m, filtersOnly: filtersOnly)
            }
            NNModule.push(L, m)
            return 1
        },
        LuaFunction("save", doc: """
            plan:save(path)
            Writes the plan as JSON (criterion, MACs, params, per group before / after / kept).
            Example:
              prune.plan(nn.zoo.resnet20{}, {ratio = 0.25, input = {1, 3, 32, 32}}):save("plan.json")
            """) { L in
            let b = try checkPlan(L, 1)
            let path = try L.checkPath(2)
            try AtomicFile.write(path, bytes: Array(json(b.plan).utf8), op: "plan:save")
            return 0
        },
    ]
}
