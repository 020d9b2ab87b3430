import CLua
import Foundation
import LuaHost
import NN
import Pruning
import Tensor

/// The `ctx` table a Lua criterion gets. A documented field the call does not give reads
/// nil (`if ctx.fmaps then` is how a criterion asks); any other key is an error naming the
/// fields (a misspelt `ctx.fmap` is never a silent nil). When the criterion fails after
/// reading an absent fmaps or grads, its error says how to get them. Reads of `ratio` are
/// noted too (`ratio` is answered by `__index`): a selection criterion must read it when
/// the call gives ratios.
extension LuaCriterion {
    /// The fields of a context table.
    static let contextFields = ["name", "channels", "net", "layer", "layers", "members", "weight", "bn", "gamma", "beta",
                                "fmaps", "grads", "grad", "point", "ratio"]

    /// What each running call read, by call id (a criterion may run another one inside
    /// it): fmaps and grads when they were absent, ratio.
    nonisolated(unsafe) static var reads: [Int: Set<String>] = [:]
    nonisolated(unsafe) private static var nextCall = 1

    /// A new call id for `evaluate` (`endCall` forgets it).
    static func beginCall() -> Int {
        let id = nextCall
        nextCall += 1
        reads[id] = []
        return id
    }

    static func endCall(_ id: Int) { reads[id] = nil }

    /// `ctx.members`: one table per member of the group, in execution order — layer (its
    /// path), module, role ("out": makes the channels, "in": reads them, "channel": passes them
    /// through, "shortcut in" / "shortcut out"), positions (positions[c] is the 1-based index
    /// along the member's channel dim of the group's channel c; nil where it does not hold it)
    /// and factor (features per channel: a Linear after a flatten reads H·W of them).
    private func pushMembers(_ L: Lua, _ ctx: CriterionContext) {
        let g = ctx.group
        let slots = g.slots
        L.newTable(array: Int32(slots.count))
        for (i, s) in slots.enumerated() {
            L.newTable(record: 5)
            L.push(s.layer); L.setField(-2, "layer")
            NNModule.push(L, s.module); L.setField(-2, "module")
            L.push(s.role.rawValue); L.setField(-2, "role")
            L.newTable(array: Int32(g.channels))
            for (p, c) in g.positions(in: s) { L.push(p + 1); L.setIndex(-2, c + 1) }
            L.setField(-2, "positions")
            L.push(s.factor); L.setField(-2, "factor")
            L.setIndex(-2, i + 1)
        }
    }

    /// Pushes the context table of `ctx` for call `call`.
    func pushContext(_ L: Lua, _ ctx: CriterionContext, call: Int) throws {
        let g = ctx.group
        L.newTable()
        L.push(g.name); L.setField(-2, "name")
        L.push(g.channels); L.setField(-2, "channels")
        L.newTable()
        for (i, n) in g.layers.enumerated() { L.push(n); L.setIndex(-2, i + 1) }
        L.setField(-2, "layers")
        pushMembers(L, ctx)
        L.setField(-2, "members")
        NNModule.push(L, ctx.model); L.setField(-2, "net")
        if let m = ctx.layer { NNModule.push(L, m); L.setField(-2, "layer") }
        if let w = ctx.weight { L.push(w); L.setField(-2, "weight") }
        if let b = ctx.bn { NNModule.push(L, b); L.setField(-2, "bn") }
        if let t = try ctx.gamma { L.push(t); L.setField(-2, "gamma") }
        if let t = try ctx.beta { L.push(t); L.setField(-2, "beta") }
        if let t = ctx.fmaps { L.push(t); L.setField(-2, "fmaps") }
        if let t = ctx.grads { L.push(t); L.setField(-2, "grads"); L.push(t); L.setField(-2, "grad") }   // DESIGN.md writes ctx.grad
        if let p = ctx.point { L.push(p); L.setField(-2, "point") }
        L.newTable()
        L.push(Self.contextIndex); L.setField(-2, "__index")
        L.push(call); L.setField(-2, "call")
        if let r = ctx.ratio { L.push(r); L.setField(-2, "ratio") }
        lua_setmetatable(L.state, -2)
    }

    /// `__index` of a context table (reached for keys it does not hold): `ratio` from the
    /// metatable, nil for another documented field, an error otherwise; reads of ratio and
    /// of an absent fmaps or grads are noted.
    static let contextIndex = LuaFunction("__index") { L in
        guard L.isString(2), let key = L.toString(2) else { L.pushNil(); return 1 }
        guard contextFields.contains(key) else {
            throw LuaError.message("ctx.\(key) is not a field of a criterion's context\(NameSuggestion.hint(key, in: contextFields)); "
                                   + "it has \(contextFields.joined(separator: ", ")) (absent ones are nil)")
        }
        guard ["fmaps", "grads", "grad", "ratio"].contains(key), lua_getmetatable(L.state, 1) != 0 else { L.pushNil(); return 1 }
        if L.rawField(-1, "call") == LUA_TNUMBER, let id = L.toNumber(-1) {
            reads[Int(id)]?.insert(key == "grad" ? "grads" : key)
        }
        L.pop()
        if key == "ratio" { L.rawField(-1, "ratio") } else { L.pushNil() }
        return 1
    }

    /// `message` (an error of fn, with its traceback) with how to get ctx.fmaps or ctx.grads,
    /// when fn read one that was absent and the error is about a nil ("attempt to index a nil
    /// value (field 'fmaps')", "got nil"): after its first line, before the traceback.
    func hinting(_ message: String, absentRead: Set<String>) -> String {
        let end = message.range(of: "\nstack traceback:")?.lowerBound ?? message.endIndex
        let first = message[..<end]
        guard first.contains("nil") else { return message }
        let named = absentRead.filter { f in
            first.contains("(field '\(f)')") || (f == "grads" && first.contains("(field 'grad')"))
        }
        let define = "criteria.define(\"\(name)\", fn, {needs = ...})"
        var hints: [String] = []
        for f in ["fmaps", "grads"] where (named.isEmpty ? absentRead : named).contains(f) {
            if f == "fmaps" {
                let why = declaredNeeds == "weights"
                    ? "it was defined with needs = \"weights\": define it with needs = \"fmaps\" (or \"grads\")"
                    : "give the call calibration data (calib = a loader)" + (declaredNeeds == nil ? "" : "; \(define)")
                hints.append("ctx.fmaps is absent — \(why)")
            } else {
                let why = reduceFn != nil && needs.contains(.gradients)
                    ? "with reduce, ctx.fmaps holds reduce's results and the gradients go to reduce(maps, grads)"
                    : "define the criterion with needs = \"grads\" (\(define); the calibration batches need labels)"
                hints.append("ctx.grads is absent — \(why)")
            }
        }
        guard !hints.isEmpty else { return message }
        return first + "; " + hints.joined(separator: "; ") + message[end...]
    }
}
