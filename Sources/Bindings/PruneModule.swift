import CLua
import CLuaShim
import LuaHost
import NN
import Pruning
import Tensor

/// The `prune` Lua module: dependency groups, surgery by hand, plans, replay.
///
/// ```lua
/// local net = nn.zoo.resnet20{}
/// for _, g in ipairs(prune.groups(net, {1, 3, 32, 32})) do print(g) end
/// local plan = prune.plan(net, {criterion = "l1", ratio = 0.5, ignore = {"conv1", "linear"}})
/// print(plan); plan:apply()
/// ```
public enum PruneModule {
    static let groupType = LuaType<GroupBox>("prune.Group")
    static let planType = LuaType<PlanBox>("prune.Plan")

    public static let library = LuaLibrary(name: "prune") { L in
        groupType.register(L, methods: [], metamethods: [groupType.tostring { $0.group.description }], fields: groupFields)
        planType.register(L, methods: planMethods, metamethods: [planType.tostring { $0.plan.description }], fields: planFields)
        L.newTable()
        for f in functions + planFunctions + studyFunctions + foadFunctions { L.push(f); L.setField(-2, f.name) }
    }

    /// One group as seen from Lua (the graph it belongs to stays alive with it).
    final class GroupBox {
        let graph: DependencyGraph
        let index: Int
        init(_ g: DependencyGraph, _ i: Int) { graph = g; index = i }
        var group: PruningGroup { graph.groups[index] }
    }

    /// The input shape last used for each net (so `prune.apply` can trace it again).
    nonisolated(unsafe) static var shapes: [ObjectIdentifier: (model: WeakModule, shape: [Int])] = [:]
    final class WeakModule { weak var m: (any Module)?; init(_ m: any Module) { self.m = m } }

    static func remember(_ m: any Module, _ shape: [Int]) {
        shapes = shapes.filter { $0.value.model.m != nil }
        shapes[ObjectIdentifier(m)] = (WeakModule(m), shape)
    }

    /// A forward run from Lua: one image of its input's shape is what a pruning call given no
    /// `input` traces (`net:forward(x)` then `prune.plan(net, {ratio = 0.3})`).
    static func rememberForward(_ m: any Module, _ shape: [Int]) {
        guard shape.count >= 2 else { return }
        let one = [1] + shape.dropFirst()
        if knownShape(m) != one { remember(m, one) }
    }

    /// The input shape last used with `m`, if any.
    static func knownShape(_ m: any Module) -> [Int]? {
        shapes[ObjectIdentifier(m)].flatMap { $0.model.m === m ? $0.shape : nil }
    }

    /// The input shape for tracing `m`: an explicit one (`input`), the one used last, or
    /// what `fallback` finds (one image of the calibration data, a history's recorded shape),
    /// remembered for the net like an explicit one.
    static func inputShape(_ L: Lua, _ m: any Module, _ o: LuaOptions, _ op: String,
                           fallback: (() throws -> [Int]?)? = nil) throws -> [Int] {
        if o.push("input") != LUA_TNIL {
            let s: [Int]
            do { s = try L.checkShape(from: L.absIndex(-1)) } catch let LuaError.argument(_, message) {
                L.pop(); throw o.invalid("input", message)
            }
            L.pop()
            remember(m, s)
            return s
        }
        L.pop()
        if let s = knownShape(m) { return s }
        if let s = try fallback?() {
            remember(m, s)
            return s
        }
        let calib = fallback == nil ? "" : ", calibration data (calib = a loader)"
        throw LuaError.message("\(op): give the input shape in the options table, argument #\(o.index) (\(op)(…, {input = {1, 3, 32, 32}}))\(calib), run the net once (net:forward(x)) or call prune.groups(net, shape) first")
    }

    /// One image of `data`'s first batch as an input shape ([1, …]), nil without data
    /// (`prune.plan(net, {calib = loader})` needs no `input`).
    static func firstImageShape(_ data: BatchSource?) throws -> [Int]? {
        guard let data, let first = try data.batches(epoch: 0)(), first.input.dim >= 1, first.input.shape[0] > 0 else { return nil }
        return [1] + first.input.shape.dropFirst()
    }

    static func graph(_ m: any Module, _ shape: [Int]) throws -> DependencyGraph {
        let g = try DependencyGraph(m, inputShape: shape)
        remember(m, shape)
        return g
    }

    static let functions: [LuaFunction] = [
        LuaFunction("groups", doc: """
            prune.groups(net, input_shape) -> {group, ...}
            The dependency groups of `net`: every slice that must shrink together (a conv's
            filters, its BN, the input channels of every consumer, residual adds, concatenation
            offsets, option-A shortcuts). Printing a group lists its members and dims. Fields:
            name (the defining layer), channels, layers, prunable, reason (why not prunable).
            Example:
              local gs = prune.groups(nn.zoo.resnet20{}, {1, 3, 32, 32})
              print(#gs, gs[2])
            """) { L in
            let m = try NNModule.checkModule(L, 1)
            let g = try graph(m, try L.checkShape(from: 2))
            L.newTable(array: Int32(g.groups.count))
            for (i, _) in g.groups.enumerated() {
                groupType.push(L, GroupBox(g, i))
                L.setIndex(-2, i + 1)
            }
            return 1
        },
        LuaFunction("check", doc: """
            prune.check(net, input_shape) -> problems
            The pre-flight check: a list of {layer =, reason =} for every layer the engine cannot
            follow (its channels stay frozen). Empty when the whole net is understood.
            Example:
              assert(#prune.check(nn.zoo.vgg16{}, {1, 3, 32, 32}) == 0)
            """) { L in
            let m = try NNModule.checkModule(L, 1)
            let g = try graph(m, try L.checkShape(from: 2))
            L.newTable()
            for (i, p) in g.problems.enumerated() {
                L.newTable()
                L.push(p.layer); L.setField(-2, "layer")
                L.push(p.reason); L.setField(-2, "reason")
                L.setIndex(-2, i + 1)
            }
            return 1
        },
        LuaFunction("apply", doc: """
            prune.apply(net, {[group] = kept, ...} [, {input =, optimizer =}]) -> net
            Surgery by hand: keeps the listed channels (1-based) of each named group and slices
            every member (weights, BN statistics, consumers, shortcut maps, and the optimizer's
            momentum / moments when given). Everything is checked before anything changes.
            Example:
              local net = nn.zoo.resnet20{}
              prune.apply(net, {["layer1.0.conv1"] = {1, 3, 4}}, {input = {1, 3, 32, 32}})
              print(net.layer1[1].conv1.out_channels)   --> 3
            """) { L in
            let m = try NNModule.checkModule(L, 1)
            try L.checkTable(2)
            let o = try LuaOptions(L, 3)
            try o.checkKnown(["input", "optimizer"], "prune.apply")
            for key in ["input", "optimizer"] {
                let misplaced = L.rawField(2, key) != LUA_TNIL
                L.pop()
                if misplaced {
                    throw LuaError.argument(2, "'\(key)' goes in the options table, argument #3: prune.apply(net, {[group] = kept}, {\(key) = …})")
                }
            }
            let g = try graph(m, try inputShape(L, m, o, "prune.apply"))
            var kept: [Int: [Int]] = [:], byName: [String: [Int]] = [:], before: [String: Int] = [:]
            var failure: LuaError?
            L.forEachPair(2) {
                guard failure == nil else { return }
                guard let name = L.toString(-2), L.type(-2) == LUA_TSTRING else { failure = .argument(2, "keys must be group names"); return }
                guard let group = g.group(named: name) else {
                    let holding = g.groups.filter { $0.layers.contains(name) }.map { "'\($0.name)'" }
                    failure = .argument(2, holding.isEmpty
                        ? "no group named '\(name)' (groups are named by their first conv: \(g.groups.prefix(4).map(\.name).joined(separator: ", ")), …)"
                        : "no group named '\(name)': that layer is a member of group \(holding.joined(separator: " and ")) (a group is named by the conv that defines its channels)")
                    return
                }
                do {
                    let idx = try indices(L, -1, what: "group \(name)")
                    kept[group.index] = idx
                    byName[name] = idx
                    before[name] = group.channels
                } catch let e as LuaError { failure = e } catch { failure = .message("\(error)") }
            }
            if let failure { throw failure }
            if let box = try optimizer(L, o) {
                try box.surgery(on: m) { try g.apply(kept, optimizer: $0) }
            } else {
                try g.apply(kept)
            }
            PruningHistory.record(m, step: byName, before: before)
            L.pushValue(1)
            return 1
        },
        LuaFunction("history", doc: """
            prune.history(net) -> {{[group] = kept, ...}, ..., input = shape}
            The pruning steps applied to `net` (1-based kept channels per group, oldest first);
            saved with net:save and restored by nn.load. `input` is the shape the net was last
            traced with, when known (net:save keeps it too): prune.replay uses it when given no
            input of its own.
            Example:
              local r = nn.zoo.resnet20{}
              prune.apply(r, {["layer1.0.conv1"] = {1, 2, 3}}, {input = {1, 3, 32, 32}})
              print(prune.history(r)[1]["layer1.0.conv1"][3])   --> 3
            """) { L in
            let m = try NNModule.checkModule(L, 1)
            pushHistory(L, PruningHistory.steps(m))
            if let s = knownShape(m) { L.push(ints: s); L.setField(-2, "input") }
            return 1
        },
        LuaFunction("replay", doc: """
            prune.replay(net, history [, {input =}]) -> net
            Repeats recorded pruning steps (from prune.history or another net) on `net`, e.g. the
            same architecture with fresh weights. The shape traced: `input`, else the net's last
            one, else the history's `input` (prune.history records it).
            Example:
              local pruned = nn.zoo.resnet20{}
              prune.apply(pruned, {["layer1.0.conv1"] = {1, 2, 3}}, {input = {1, 3, 32, 32}})
              prune.replay(nn.zoo.resnet20{}, prune.history(pruned))
            """) { L in
            let m = try NNModule.checkModule(L, 1)
            try L.checkTable(2)
            let o = try LuaOptions(L, 3)
            try o.checkKnown(["input"], "prune.replay")
            let shape = try inputShape(L, m, o, "prune.replay") {   // the shape prune.history recorded, if any
                let t = L.rawField(2, "input")
                defer { L.pop() }
                return t == LUA_TNIL ? nil : try L.checkShape(from: L.absIndex(-1))
            }
            var steps: [[String: [Int]]] = []
            for k in stride(from: 1, through: L.rawLength(2), by: 1) {
                L.rawIndex(2, k)
                defer { L.pop() }
                guard L.isTable(-1) else { throw LuaError.argument(2, "step \(k) must be a table {[group] = kept}") }
                var step: [String: [Int]] = [:]
                var failure: Error?
                L.forEachPair(L.absIndex(-1)) {
                    guard failure == nil, let name = L.toString(-2) else { return }
                    do { step[name] = try indices(L, -1, what: "step \(k), group \(name)") } catch { failure = error }
                }
                if let failure { throw failure }
                steps.append(step)
            }
            try PruningHistory.replay(m, steps, inputShape: shape)
            L.pushValue(1)
            return 1
        },
    ]

    /// A list of 1-based channel indices (table or int64 tensor) as 0-based Ints.
    static func indices(_ L: Lua, _ i: Int32, what: String) throws -> [Int] {
        let i = L.absIndex(i)
        var out: [Int] = []
        if let t = try L.tensor(i) {
            guard t.dim == 1 else { throw LuaError.message("\(what): kept indices must be a 1-d tensor or a list, got shape \(shapeString(t.shape))") }
            let v = t.toArray()
            if let bad = v.first(where: { $0 != $0.rounded() || Swift.abs($0) >= 1e15 }) {
                throw LuaError.message("\(what): index \(bad) is not an integer channel index")
            }
            out = v.map { Int($0) }
        } else if L.isTable(i) {
            for k in stride(from: 1, through: L.rawLength(i), by: 1) {
                L.rawIndex(i, k)
                defer { L.pop() }
                guard let v = L.toNumber(-1), v == v.rounded(), abs(v) < 1e15 else {
                    let got = L.toNumber(-1).map { $0.isNaN ? "nan" : "\($0)" } ?? L.typeName(-1)
                    throw LuaError.message("\(what): entry \(k) must be an integer channel index, got \(got)")
                }
                out.append(Int(v))
            }
        } else {
            throw LuaError.message("\(what): kept channels must be a list of 1-based indices, got \(L.typeName(i))")
        }
        if let z = out.first(where: { $0 < 1 }) { throw LuaError.message("\(what): channel index \(z) is out of range (indices are 1-based)") }
        return out.map { $0 - 1 }
    }

    static func pushHistory(_ L: Lua, _ steps: [[String: [Int]]]) {
        L.newTable()
        for (i, step) in steps.enumerated() {
            L.newTable()
            for (k, v) in step { L.push(ints: v.map { $0 + 1 }); L.setField(-2, k) }
            L.setIndex(-2, i + 1)
        }
    }

    static let groupFields = LuaFields<GroupBox>(
        names: { _ in ["name", "index", "channels", "prunable", "reason", "layers", "members"] },
        title: { _ in "prune.Group" },
        push: { L, b, key in
            let g = b.group
            switch key {
            case "name": L.push(g.name)
            case "index": L.push(g.index + 1)
            case "channels": L.push(g.channels)
            case "prunable": L.push(g.frozen == nil)
            case "reason": if let r = g.frozen { L.push(r) } else { L.pushNil() }
            case "layers":
                L.newTable()
                for (i, n) in g.layers.enumerated() { L.push(n); L.setIndex(-2, i + 1) }
            case "members":
                L.newTable()
                for (i, s) in g.slots.enumerated() {
                    L.newTable()
                    L.push(s.layer); L.setField(-2, "layer")
                    L.push(s.module.typeName); L.setField(-2, "type")
                    L.push(s.role.rawValue); L.setField(-2, "role")
                    L.push(s.entryList); L.setField(-2, "entries")
                    L.push(ints: g.positions(in: s).map { $0.position + 1 }); L.setField(-2, "positions")
                    L.setIndex(-2, i + 1)
                }
            default: return false
            }
            return true
        })
}
