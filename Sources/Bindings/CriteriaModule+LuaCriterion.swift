import CLua
import CLuaShim
import LuaHost
import NN
import Pruning
import Tensor

/// A criterion written in Lua: `fn(ctx, options)` returns scores or (selection-based) the
/// channels to keep; an optional `reduce(maps, grads)` shrinks each calibration batch.
/// Holds registry references to its functions and options, released when it goes away.
/// Its functions run on the stack of the Lua code running when they are called (never on
/// the stack the criterion was made on, which may be a coroutine's that is gone by then).
final class LuaCriterion: Criterion {
    let name: String
    let needs: CriterionNeeds
    let selection: Bool
    /// `per_image = true` in the definition: `reduce` maps each image to rows of its own.
    let reducesEachImage: Bool
    private let fn: LuaCallback
    private var reduceFn: LuaCallback?
    /// The option table passed as the second argument.
    private let options: LuaCallback

    /// How the definition asked for its needs: nil when it did not (then the feature maps
    /// when the call is `calibrated`), else "weights", "fmaps" or "grads".
    let declaredNeeds: String?

    /// `function` is the stack slot of fn, `options` of the option table; `spec` that of
    /// the definition table (needs, selection, reduce, per_image), nil for a bare function.
    /// `calibrated`: the call gives calibration data, so a criterion that did not declare its
    /// needs gets the feature maps (DESIGN.md's `ctx.fmaps` example declares none).
    init(_ L: Lua, name: String, function: Int32, options: Int32, spec: Int32?, calibrated: Bool) throws {
        self.name = name
        var needs: CriterionNeeds = calibrated ? .featureMaps : [], selection = false, perImage = false
        var declared: String?
        if let spec {
            L.rawField(spec, "needs")
            declared = L.isString(-1) ? L.toString(-1) : nil
            switch declared {
            case "fmaps": needs = .featureMaps
            case "grads": needs = [.featureMaps, .gradients]
            case "weights": needs = []
            default: break
            }
            L.pop()
            L.rawField(spec, "selection"); selection = L.toBool(-1); L.pop()
            L.rawField(spec, "per_image"); perImage = L.toBool(-1); L.pop()
            if L.rawField(spec, "reduce") == LUA_TFUNCTION { reduceFn = LuaCallback(L, -1, what: "reduce of criterion '\(name)'") }
            L.pop()
        }
        self.needs = needs; self.selection = selection; reducesEachImage = perImage; declaredNeeds = declared
        fn = LuaCallback(L, function, what: "criterion '\(name)'")
        self.options = LuaCallback(L, options, what: "options of criterion '\(name)'")
    }

    deinit {
        fn.release()
        reduceFn?.release()
        options.release()
    }

    func reduceBatch(_ maps: Tensor, grads: Tensor?) throws -> Tensor? {
        guard let r = reduceFn else { return nil }
        return try r.call(nresults: 1, context: "reduce of criterion '\(name)'", { T in T.push(maps); if let grads { T.push(grads) } else { T.pushNil() }; return 2 }) { T in
            guard let t = try T.tensor(-1) else {
                throw TensorError("criterion '\(self.name)': reduce must return a tensor, got \(T.typeName(-1))")
            }
            return t
        }
    }

    func evaluate(_ ctx: CriterionContext) throws -> CriterionResult {
        let g = ctx.group
        return try fn.call(nresults: 1, context: "criterion '\(name)' on group \(g.name)", { L in
            L.newTable()
            L.push(g.name); L.setField(-2, "name")
            L.push(g.channels); L.setField(-2, "channels")
            L.newTable()
            for (i, n) in g.layers.enumerated() { L.push(n); L.setIndex(-2, i + 1) }
            L.setField(-2, "layers")
            if let m = ctx.layer { NNModule.push(L, m); L.setField(-2, "layer") }
            if let w = ctx.weight { L.push(w); L.setField(-2, "weight") }
            if let b = ctx.bn { NNModule.push(L, b); L.setField(-2, "bn") }
            if let t = try ctx.gamma { L.push(t); L.setField(-2, "gamma") }
            if let t = try ctx.beta { L.push(t); L.setField(-2, "beta") }
            if let t = ctx.fmaps { L.push(t); L.setField(-2, "fmaps") }
            if let t = ctx.grads { L.push(t); L.setField(-2, "grads"); L.push(t); L.setField(-2, "grad") }   // DESIGN.md writes ctx.grad
            if let p = ctx.point { L.push(p); L.setField(-2, "point") }
            if let r = ctx.ratio { L.push(r); L.setField(-2, "ratio") }
            self.setAbsentHints(L, fmaps: ctx.fmaps == nil, grads: ctx.grads == nil)
            try self.options.pushValue(L)
            return 2
        }) { L in try self.read(L, g) }
    }

    /// Gives the context table on top of the stack a metatable whose `__index` answers
    /// `ctx.fmaps` / `ctx.grads`, when absent, with an error saying how to get them (a nil
    /// there used to surface as "attempt to index a nil value (field 'fmaps')").
    private func setAbsentHints(_ L: Lua, fmaps: Bool, grads: Bool) {
        guard fmaps || grads else { return }
        let define = "criteria.define(\"\(name)\", fn, {needs = ...})"
        L.newTable()
        L.push(Self.contextIndex); L.setField(-2, "__index")
        if fmaps {
            let why = declaredNeeds == "weights"
                ? "it was defined with needs = \"weights\": define it with needs = \"fmaps\" (or \"grads\")"
                : "give the call calibration data (calib = a loader)" + (declaredNeeds == nil ? "" : "; \(define)")
            L.push("criterion '\(name)': ctx.fmaps is absent — \(why)"); L.setField(-2, "fmaps")
        }
        if grads {
            let why = reduceFn != nil && needs.contains(.gradients)
                ? "with reduce, ctx.fmaps holds reduce's results and the gradients go to reduce(maps, grads)"
                : "define the criterion with needs = \"grads\" (\(define); the calibration batches need labels)"
            L.push("criterion '\(name)': ctx.grads is absent — \(why)"); L.setField(-2, "grads")
        }
        lua_setmetatable(L.state, -2)
    }

    /// `__index` of a criterion context: the hint its metatable holds for fmaps / grads is
    /// raised as the error; any other absent key is nil (ctx.bn of a group without BN).
    static let contextIndex = LuaFunction("__index") { L in
        guard L.isString(2), let key = L.toString(2), ["fmaps", "grads", "grad"].contains(key) else { L.pushNil(); return 1 }
        guard lua_getmetatable(L.state, 1) != 0, L.rawField(-1, key == "grad" ? "grads" : key) == LUA_TSTRING,
              let hint = L.toString(-1) else {
            L.pushNil(); return 1
        }
        throw LuaError.message(hint)
    }

    /// The criterion's result on top of the stack, checked against the group.
    private func read(_ L: Lua, _ g: PruningGroup) throws -> CriterionResult {
        let what = "criterion '\(name)' for group \(g.name)"
        if selection {
            // {keep = {...}} as well as the bare list (or tensor) of channels to keep
            if L.isTable(-1) {
                if L.rawField(-1, "keep") != LUA_TNIL { return .keep(try PruneModule.indices(L, -1, what: what)) }
                L.pop()
            }
            return .keep(try PruneModule.indices(L, -1, what: what))
        }
        if L.isTable(-1) {
            if L.rawField(-1, "keep") != LUA_TNIL { return .keep(try PruneModule.indices(L, -1, what: what)) }
            L.pop()
        }
        if let t = try L.tensor(-1) {
            guard t.numel == g.channels, t.dim <= 1 || t.shape.filter({ $0 != 1 }).count <= 1 else {
                throw TensorError("\(what) returned a tensor of shape \(shapeString(t.shape)); expected \(g.channels) scores")
            }
            return .scores(t.toArray())
        }
        if L.isTable(-1) {
            var s: [Double] = []
            for k in stride(from: 1, through: L.rawLength(-1), by: 1) {
                L.rawIndex(-1, k)
                defer { L.pop() }
                guard let v = L.toNumber(-1) else { throw TensorError("\(what): score \(k) is a \(L.typeName(-1)), not a number") }
                s.append(v)
            }
            return .scores(s)
        }
        throw TensorError("\(what) returned a \(L.typeName(-1)); expected a tensor or list of \(g.channels) scores, or {keep = {...}}")
    }
}
