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
    var reduceFn: LuaCallback?
    /// The option table passed as the second argument.
    private let options: LuaCallback

    /// How the definition asked for its needs: nil when it did not (then the feature maps
    /// when the call is `calibrated`), else "weights", "fmaps" or "grads".
    let declaredNeeds: String?
    /// Set by prune.plan and prune.sensitivity when the call gives ratios: a selection
    /// criterion must then size its choice from ctx.ratio (one that does not read it would
    /// ignore the ratio, which is an error, as for foad).
    var ratioApplies = false

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
        let call = Self.beginCall()
        defer { Self.endCall(call) }
        do {
            let r = try fn.call(nresults: 1, context: "criterion '\(name)' on group \(g.name)", { L in
                try self.pushContext(L, ctx, call: call)
                try self.options.pushValue(L)
                return 2
            }) { L in try self.read(L, g) }
            if selection, ratioApplies, let ratio = ctx.ratio, !(Self.reads[call]?.contains("ratio") ?? false) {
                if case .keep(let k) = r { try g.checkKeep(k, "criterion '\(name)'") }   // a wrong keep-set first
                throw TensorError("criterion '\(name)' chose the channels of group \(g.name) without reading ctx.ratio, so the "
                    + "ratio \(ratio) would not apply: a criterion defined with selection = true sizes its choice from ctx.ratio "
                    + "when the call gives ratios, or is used without them (as foad, which chooses its own counts)")
            }
            return r
        } catch let e as LuaCallbackError where e.isString {
            throw e.replacingMessage(hinting(e.message, absentRead: Self.reads[call] ?? []))
        }
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
