import CLua
import CLuaShim
import Data
import LuaHost
import NN
import Pruning
import Tensor

/// The `criteria` Lua module: the built-in pruning criteria by name, criteria written in
/// Lua (`criteria.define`), and scoring without planning (`criteria.score`).
///
/// ```lua
/// criteria.define("edge_energy", function(ctx)
///   local w = ctx.fmaps:dwt2("haar")
///   return (w.lh:pow(2) + w.hl:pow(2)):sum{3, 4}:mean(1)
/// end, {needs = "fmaps"})
/// local s = criteria.score(net, "edge_energy", {calib = loader, input = {1, 3, 32, 32}})
/// ```
public enum CriteriaModule {
    /// Registry field holding the table of Lua-defined criteria.
    static let registryKey = "topiary.criteria"

    static let builtins = ["random", "l1", "l2", "fpgm", "bn_scale", "taylor", "apoz", "mean_activation", "hrank", "chip",
                           "fpwt", "entropy", "foad", "redundancy"]

    public static let library = LuaLibrary(name: "criteria") { L in
        L.newTable()
        L.setField(clua_registryindex(), registryKey)
        L.newTable()
        for f in functions + paperFunctions + foadFunctions + redundancyFunctions { L.push(f); L.setField(-2, f.name) }
    }

    /// A built-in criterion with its options (`reduction`; random's `seed`; fpwt's, entropy's,
    /// foad's and redundancy's own).
    static func builtin(_ name: String, _ o: LuaOptions) throws -> (any Criterion)? {
        let reduction = try o.choice("reduction", GroupReduction.allCases.map(\.rawValue), "first")
        let red = GroupReduction(rawValue: reduction)!
        switch name {
        case "random": return RandomCriterion(seed: UInt64(truncatingIfNeeded: try o.integer("seed", 0)))
        case "l1": return NormCriterion(p: 1, reduction: red)
        case "l2": return NormCriterion(p: 2, reduction: red)
        case "fpgm": return FPGMCriterion()
        case "bn_scale": return BNScaleCriterion()
        case "taylor": return TaylorCriterion()
        case "apoz": return MapCriterion(.apoz)
        case "mean_activation": return MapCriterion(.meanActivation)
        case "hrank": return MapCriterion(.hrank)
        case "chip": return MapCriterion(.chip)
        case "fpwt": return try fpwt(o)
        case "entropy": return try entropy(o)
        case "foad": return try foadCriterion(o)
        case "redundancy": return try redundancyCriterion(o)
        default: return nil
        }
    }

    /// The option names built-in `name` reads from the plan's option table, beyond the
    /// plan's own (so `prune.plan` accepts them for that criterion only); nil when `name` is
    /// not a built-in (the default, l1, when absent).
    static func builtinOptions(_ name: String?) -> Set<String>? {
        switch name {
        case "fpwt": return fpwtOptions
        case "entropy": return entropyOptions
        case "foad": return Set(foadOptionKeys)
        case "redundancy": return Set(redundancyOptionKeys)
        case "random": return ["seed"]
        case nil: return []
        case let n? where builtins.contains(n): return []
        default: return nil
        }
    }

    /// Checks that every key of `o` is one of the call's own (`known`, which includes
    /// `criterion`) or an option of the criterion named there: a built-in's, or the ones a
    /// Lua criterion declared with `criteria.define(name, fn, {options = {...}})`. An unknown
    /// key is an error naming both sets; with a Lua criterion the error says how to declare it.
    static func checkOptions(_ L: Lua, _ o: LuaOptions, _ known: Set<String>, _ what: String) throws {
        let t = o.push("criterion")
        let name = t == LUA_TSTRING ? L.toString(-1) : nil
        L.pop()
        let own = builtinOptions(name) ?? declaredOptions(L, name)
        do {
            try o.checkKnown(known.union(own), what)
        } catch let LuaError.argument(n, message) where t == LUA_TFUNCTION || (name != nil && !builtins.contains(name!)) {
            throw LuaError.argument(n, message + "; a Lua criterion's own options are declared with "
                                    + "criteria.define(name, fn, {options = {\"alpha\", ...}}) and reach fn as its second argument")
        }
    }

    /// `criteria.define`'s `options`: a list of names, none a key the calls read themselves
    /// (a criterion's `ratio` would never reach it: the plan reads it first).
    static func declaredOptionNames(_ L: Lua, _ o: LuaOptions) throws -> [String] {
        let t = o.push("options")
        defer { L.pop() }
        guard t != LUA_TNIL else { return [] }
        guard t == LUA_TTABLE else { throw o.invalid("options", "a list of option names expected, got \(L.typeName(-1))") }
        let reserved = PruneModule.planOptions.union(["eval", "groups"])   // prune.sensitivity's own too
        var names: [String] = []
        for k in stride(from: 1, through: L.rawLength(-1), by: 1) {
            L.rawIndex(-1, k)
            defer { L.pop() }
            guard L.type(-1) == LUA_TSTRING, let n = L.toString(-1) else {
                throw o.invalid("options", "entry \(k) must be a string (an option name), got \(L.typeName(-1))")
            }
            guard !reserved.contains(n) else {
                throw o.invalid("options", "'\(n)' is an option of prune.plan / criteria.score themselves (their own: \(reserved.sorted().joined(separator: ", ")))")
            }
            names.append(n)
        }
        return names
    }

    /// The option names Lua criterion `name` declared (`criteria.define`'s `options`).
    static func declaredOptions(_ L: Lua, _ name: String?) -> Set<String> {
        guard let name else { return [] }
        L.rawField(clua_registryindex(), registryKey)
        defer { L.pop() }
        guard L.rawField(-1, name) == LUA_TTABLE else { L.pop(); return [] }
        defer { L.pop() }
        guard L.rawField(-1, "options") == LUA_TTABLE else { L.pop(); return [] }
        defer { L.pop() }
        var names: Set<String> = []
        for k in stride(from: 1, through: L.rawLength(-1), by: 1) {
            L.rawIndex(-1, k)
            if let s = L.toString(-1) { names.insert(s) }
            L.pop()
        }
        return names
    }

    /// The criterion named by option `criterion` (a built-in's or a defined one's name, or
    /// a function), default l1. `options` is the stack slot of the option table, passed
    /// to Lua criteria as their second argument.
    static func resolve(_ L: Lua, _ o: LuaOptions, options: Int32) throws -> any Criterion {
        let t = o.push("criterion")
        defer { L.pop() }
        if t == LUA_TNIL { return try builtin("l1", o)! }
        if t == LUA_TFUNCTION {
            return try LuaCriterion(L, name: "(function)", function: -1, options: options, spec: nil,
                                    calibrated: calibrated(L, o))
        }
        guard t == LUA_TSTRING, let name = L.toString(-1) else {
            throw LuaError.argument(Int(options), "field 'criterion': a criterion name or a function expected, got \(L.typeName(-1))")
        }
        if let c = try builtin(name, o) { return c }
        L.rawField(clua_registryindex(), registryKey)
        defer { L.pop() }
        guard L.rawField(-1, name) == LUA_TTABLE else {
            L.pop()
            throw LuaError.argument(Int(options), "field 'criterion': unknown criterion '\(name)' (built in: \(builtins.joined(separator: ", ")); define one with criteria.define)")
        }
        defer { L.pop() }
        L.rawField(-1, "fn")
        defer { L.pop() }
        return try LuaCriterion(L, name: name, function: -1, options: options, spec: L.absIndex(-2),
                                calibrated: calibrated(L, o))
    }

    /// Whether the call's options give calibration data (`calib`): a criterion defined
    /// without `needs` then gets the feature maps.
    static func calibrated(_ L: Lua, _ o: LuaOptions) -> Bool {
        defer { L.pop() }
        return o.push("calib") != LUA_TNIL
    }

    static let functions: [LuaFunction] = [
        LuaFunction("define", doc: """
            criteria.define(name, fn [, {needs = "weights" | "fmaps" | "grads", selection = false, reduce = fn, per_image = false,
                                         options = {"alpha", ...}}])
            Makes `fn(ctx, options)` a criterion usable everywhere a built-in is (prune.plan,
            criteria.score). ctx has: name (the group), channels, net (the whole network: an ablation
            criterion may mask a channel and run data through it, then restore it), layer (the defining module),
            layers, members (per member: layer, module, role "out" | "in" | "channel" | ..., positions[c]
            = the member's 1-based index of channel c, factor: a ThiNet-style criterion finds the next
            layer's weights on these channels as the member with role "in"), weight (an nn.ACConv2d block's is its eval-mode equivalent kernel, what :fuse() gives,
            as l1, l2 and fpgm score it), bn, gamma, beta, and with needs = "fmaps" (or "grads") the feature maps
            at the group's point `fmaps` [N, C, H, W] (and `grads`, also as `grad`); without needs, `fmaps` comes
            whenever the call has calib (needs = "weights" never captures); in a plan with a ratio, `ratio`
            (the share the plan removes from this group). A field the call does not give is nil (bn,
            gamma, beta without a BatchNorm; fmaps, grads, ratio as above), so `if ctx.fmaps then` asks;
            an error from using an absent fmaps or grads says how to get them. It returns one score per
            channel (a tensor or list; higher = keep), or with selection = true the 1-based
            channels to keep: sized from ctx.ratio when the call gives ratios (prune.plan's ratio,
            prune.sensitivity; not reading it there is an error, as foad with a ratio; targets do not
            apply). `reduce(maps, grads)` shrinks each calibration batch as it arrives:
            ctx.fmaps then holds its results, concatenated over the batches (and ctx.grads is
            absent); per_image = true says it maps each image to rows of its own (the result is the
            same whatever the split), so a large batch may run through the model in parts, each reduced.
            `options` names the criterion's own options: prune.plan, prune.sensitivity and
            criteria.score then accept them beside their own, and fn reads them from its second
            argument (the call's option table); any other key stays an error there. An error in fn reads
            "criterion 'name' on group <group>: <the error>", with the traceback inside fn.
            Example:
              criteria.define("l1_mine", function(ctx) return ctx.weight:abs():sum{2, 3, 4} end)
              criteria.define("lp", function(ctx, o) return ctx.weight:abs():pow(o.p or 1):sum{2, 3, 4} end,
                              {options = {"p"}})
              local plan = prune.plan(net, {criterion = "lp", p = 3, ratio = 0.5, input = {1, 3, 32, 32}})
            """) { L in
            let name = try L.checkString(1)
            try L.checkFunction(2)
            let o = try LuaOptions(L, 3)
            try o.checkKnown(["needs", "selection", "reduce", "per_image", "options"], "criteria.define")
            guard !name.isEmpty else { throw LuaError.argument(1, "a criterion's name must not be empty") }
            guard !builtins.contains(name) else { throw LuaError.argument(1, "'\(name)' is a built-in criterion") }
            // absent: the feature maps when the plan or score call has calibration data
            let needsType = o.push("needs"), needsTypeName = L.typeName(-1)
            L.pop()
            guard needsType == LUA_TNIL || needsType == LUA_TSTRING else {
                throw o.invalid("needs", "one of \"weights\", \"fmaps\", \"grads\" (a string; \"grads\" gives ctx.fmaps too), got a \(needsTypeName)")
            }
            let needs: String? = needsType == LUA_TNIL ? nil : try o.choice("needs", ["weights", "fmaps", "grads"], "weights")
            let selection = try o.bool("selection", false), perImage = try o.bool("per_image", false)
            let reduceType = o.push("reduce")
            guard reduceType == LUA_TNIL || reduceType == LUA_TFUNCTION else {
                L.pop(); throw LuaError.argument(3, "field 'reduce': function expected, got \(L.typeName(-1))")
            }
            let declared = try declaredOptionNames(L, o)
            L.rawField(clua_registryindex(), registryKey)
            L.newTable()
            L.pushValue(2); L.setField(-2, "fn")
            L.newTable()
            for (i, n) in declared.enumerated() { L.push(n); L.setIndex(-2, i + 1) }
            L.setField(-2, "options")
            if let needs { L.push(needs); L.setField(-2, "needs") }
            L.push(selection); L.setField(-2, "selection")
            L.push(perImage); L.setField(-2, "per_image")
            L.pushValue(-3); L.setField(-2, "reduce")
            L.setField(-2, name)
            L.pop(2)
            return 0
        },
        LuaFunction("list", doc: """
            criteria.list() -> {name, ...}
            The built-in criteria, then the defined ones (sorted).
            Example:
              for _, n in ipairs(criteria.list()) do print(n) end
            """) { L in
            var names = builtins
            L.rawField(clua_registryindex(), registryKey)
            var defined: [String] = []
            L.forEachPair(L.absIndex(-1)) { if let k = L.toString(-2) { defined.append(k) } }
            L.pop()
            names += defined.sorted()
            L.newTable()
            for (i, n) in names.enumerated() { L.push(n); L.setIndex(-2, i + 1) }
            return 1
        },
        LuaFunction("score", doc: """
            criteria.score(net, criterion [, {calib =, batches =, input =, point =, reduction =, <the criterion's options>}])
              -> {[group] = scores | {keep = indices} | {skipped = reason}}
            Scores every prunable group without planning: a float tensor of one score per channel
            (higher = keep), or for selection-based criteria {keep = 1-based indices}; a group the
            criterion does not score (bn_scale without a BatchNorm, fpwt at a Linear) gets
            {skipped = reason}. `input` defaults to the shape the net last ran or was traced with (one image of its last
            net:forward, a pruning call given `input`, prune.groups, nn.load's file), else to one image
            of calib's first batch. The criterion's own options go in the same table (fpwt's wavelet,
            entropy's bins, foad's t and s, random's seed, redundancy's ratio for k-means' k, the
            `options` a Lua criterion declared); any other key is an error. `loss` replaces
            cross-entropy for gradient criteria, as in prune.plan.
            Example:
              local s = criteria.score(net, "l1", {input = {1, 3, 32, 32}})
              local teacher = net:clone()   -- e.g. the net before pruning
              local t = criteria.score(net, "taylor", {calib = loader, loss = function(logits, y, x)
                local target = nn.no_grad(function() return teacher:forward(x) end)
                return (logits - target) * (2 / logits:numel())   -- ∂ of the mean squared error to a teacher
              end})
              print(s["layer1.0.conv1"])
            """) { L in
            let m = try NNModule.checkModule(L, 1)
            let name = try L.checkString(2)
            let o = try LuaOptions(L, 3)
            if o.push("criterion") != LUA_TNIL { L.pop(); throw o.invalid("criterion", "the criterion is argument #2") }
            L.pop()
            // Resolve the criterion through a temporary options table holding its name.
            L.newTable()
            if L.isTable(3) { L.forEachPair(3) { L.pushValue(-2); L.pushValue(-2); lua_rawset(L.state, -5) } }
            L.push(name); L.setField(-2, "criterion")
            let slot = L.absIndex(-1)
            let opts = try LuaOptions(L, slot)
            do {
                // no plan gives k-means redundancy its ratio here: the call may
                try checkOptions(L, opts, Set(["criterion", "calib", "loss", "batches", "input", "point", "reduction"])
                                 .union(name == "redundancy" ? ["ratio"] : []), "criteria.score")
            } catch let LuaError.argument(_, message) { throw LuaError.argument(3, message) }
            let c = try resolve(L, opts, options: slot)
            try PruneModule.checkLoss(L, opts, c)
            let source = try PruneModule.calibration(L, opts)
            let shape = try PruneModule.inputShape(L, m, opts, "criteria.score") { try PruneModule.firstImageShape(source) }
            let batches = try opts.integer("batches", 1)
            let point = HookPoint(rawValue: try opts.choice("point", HookPoint.allCases.map(\.rawValue), "act"))!
            let graph = try PruneModule.graph(m, shape)
            let groups = graph.groups.filter { $0.frozen == nil }.map(\.index)
            let results = try Planner.score(m, graph: graph, criterion: c, groups: groups, calibration: source, batches: batches, point: point)
            L.newTable()
            for g in groups {
                switch results[g]! {
                case .scores(let s): L.push(try Tensor(shape: [s.count], values: s.map(Float.init)))
                case .keep(let k):
                    L.newTable(); L.push(ints: k.map { $0 + 1 }); L.setField(-2, "keep")
                case .skip(let why):
                    L.newTable(); L.push(why); L.setField(-2, "skipped")
                }
                L.setField(-2, graph.groups[g].name)
            }
            return 1
        },
    ]
}
