import CLua
import CLuaShim
import Data
import LuaHost
import NN
import Pruning
import Tensor

/// Feature-map capture, persistent forward hooks and structural validation.
extension NNModule {
    static let hookType = LuaType<HookBox>("nn.Hook")

    /// A registered hook's handle: its id. The Lua function belongs to the hook in
    /// `ForwardHooks` (it lives as long as the module, whether the handle is kept or not).
    final class HookBox {
        var id: Int?
        init(id: Int) { self.id = id }
    }

    static let hookMethods: [LuaFunction] = [
        LuaFunction("remove", doc: """
            hook:remove()
            Unregisters the hook (further calls do nothing).
            Example:
              local h = net:register_forward_hook("conv1", function(m, x, y) print(y:shape()) end)
              h:remove()
            """) { L in
            let b = try hookType.check(L, 1)
            if let id = b.id { ForwardHooks.remove(id) }
            b.id = nil
            LuaCallback.collect(L)
            return 0
        },
    ]

    /// After a module userdata is released: drops the hooks of modules that died, and the
    /// registry entries of their Lua functions, so what the functions hold can be collected.
    static func dropDeadHooks(_ L: Lua) {
        guard !ForwardHooks.isEmpty else { return }
        ForwardHooks.purge()
        LuaCallback.collect(L)
    }

    /// Module paths chosen by names or whole-name Lua patterns (argument `i`: a string or a
    /// list); an entry that matches nothing is an error.
    static func selectModules(_ L: Lua, _ m: any Module, _ i: Int32, _ op: String) throws -> [String] {
        var wanted: [String] = []
        if L.isString(i) { wanted = [L.toString(i)!] } else if L.isTable(i) {
            for k in stride(from: 1, through: L.rawLength(i), by: 1) {
                L.rawIndex(i, k)
                defer { L.pop() }
                guard L.isString(-1) else { throw LuaError.argument(Int(i), "entry \(k) must be a module name or pattern") }
                wanted.append(L.toString(-1)!)
            }
        } else { throw L.typeError(i, "module name, pattern or list of them") }
        let all = m.namedModules().map(\.name).filter { !$0.isEmpty }
        var out: [String] = []
        let names = NamePatterns(L)
        defer { names.release() }
        for w in wanted {
            let hits = try all.filter { try names.matches($0, w) }
            guard !hits.isEmpty else { throw LuaError.argument(Int(i), "no module named or matching '\(w)'") }
            for h in hits where !out.contains(h) { out.append(h) }
        }
        return out
    }

    static let captureMethods: [LuaFunction] = [
        method("capture", doc: """
            net:capture(names | pattern, x | loader [, {batches = 1, reduce = fn}]) -> {[name] = tensor}
            The outputs of the named modules (names, or Lua patterns matched against whole paths)
            over the data: one forward per batch in eval mode without gradients, the batch dim
            concatenated. `reduce(output, name)` shrinks each batch's output first (e.g. to per-image
            statistics) so memory stays bounded. Without `reduce`, conv → BN → ReLU runs whose inner
            modules are not captured run fused and write their output straight into the result. The
            net is not changed.
            Example:
              local maps = net:capture({"layer1.0.relu1", "layer1%.%d+%.relu2"}, loader, {batches = 5})
            """) { L, m in
            let names = try selectModules(L, m, 2, "capture")
            let source: BatchSource
            if let x = try L.tensor(3) { source = try BatchList.unlabelled(x) } else if let l = try DataModule.loaderType.get(L, 3) {
                source = l
            } else { throw L.typeError(3, "tensor or data.loader") }
            let o = try LuaOptions(L, 4)
            try o.checkKnown(["batches", "reduce"], "capture")
            let batches = try o.integer("batches", 1)
            guard batches > 0 else { throw LuaError.argument(4, "field 'batches': must be positive") }
            var reduce: LuaCallback?
            let rt = o.push("reduce")
            if rt == LUA_TFUNCTION { reduce = LuaCallback(L, -1, what: "capture's reduce") }
            let rtName = L.typeName(-1)
            L.pop()
            if rt != LUA_TNIL && rt != LUA_TFUNCTION { throw LuaError.argument(4, "field 'reduce': function expected, got \(rtName)") }
            defer { reduce?.release(L) }
            let wanted = Set(names)
            // each name's batches stacked as they come; without `reduce`, a fused conv → BN →
            // ReLU run reported under a wanted name writes its output straight into the stack
            var stacks: [String: StackedBatches] = [:]
            let expected = min(batches, max(source.batchCount, 1))
            let restore = m.enterEvalMode()
            defer { restore() }
            let next = try source.batches(epoch: 0)
            var done = 0
            while done < batches, let (x, _) = try next() {
                done += 1
                var seen: [String: Tensor] = [:]
                try GradMode.withoutGrad {
                    try Tracer.observe({ path, _, _, y in if wanted.contains(path), seen[path] == nil { seen[path] = y } },
                                       fusingExcept: wanted, placing: { path, shape in
                        guard reduce == nil, wanted.contains(path), seen[path] == nil else { return nil }
                        return stacks[path, default: StackedBatches(expected: expected)].slot(shape, making: true)
                    }) {
                        _ = try m.forward(x)
                    }
                }
                for n in names {
                    guard var t = seen[n] else { throw LuaError.message("capture: module \(n) did not run in the forward pass") }
                    if let r = reduce {
                        t = try r.call(on: L, nresults: 1, context: "capture's reduce at \(n)", { T in T.push(t); T.push(n); return 2 }) { T in
                            guard let rt = try T.tensor(-1) else {
                                throw LuaError.message("capture: reduce must return a tensor, got \(T.typeName(-1))")
                            }
                            return rt
                        }
                    }
                    try stacks[n, default: StackedBatches(expected: expected)].append(t)
                }
            }
            L.newTable()
            for n in names {
                guard let t = try stacks[n]?.result() else { continue }
                L.push(t)
                L.setField(-2, n)
            }
            return 1
        },
        method("register_forward_hook", doc: """
            net:register_forward_hook(name, fn) -> hook
            Calls fn(module, input, output) after every forward of the module at `name` (on the stack of
            the code running the forward); a returned tensor replaces the output. A backward through a
            module whose output a hook replaced while gradients were on is an error (a hook cannot be
            differentiated): replace outputs under nn.no_grad, or make the change a layer. The hook lives
            as long as the module (nn.acnet and nn.fuse move it to the module's replacement), handle kept
            or not; hook:remove() unregisters it. A function that refers to the net keeps the net alive
            until then.
            Example:
              local h = net:register_forward_hook("layer1.0.relu1", function(m, x, y) print(y:mean()) end)
              net:forward(tensor.randn(1, 3, 32, 32)); h:remove()
            """) { L, m in
            let name = try L.checkString(2)
            try L.checkFunction(3)
            guard !name.isEmpty, let target = m.module(at: name) else {
                throw LuaError.argument(2, "no module named '\(name)' (hooks attach to modules below the net)")
            }
            let fn = LuaCallback(L, 3, what: "forward hook on \(name)")
            // called later, from whatever runs the forward: on that code's stack (never on L,
            // which may be a coroutine suspended or freed by then)
            let id = ForwardHooks.add(target, label: name) { mod, x, y in
                try fn.call(nresults: 1, context: "forward hook on \(name)", { T in push(T, mod); T.push(x); T.push(y); return 3 }) { T in
                    try T.tensor(-1)
                }
            }
            hookType.push(L, HookBox(id: id))
            return 1
        },
        method("validate", doc: """
            net:validate(input_shape) -> true
            Runs a shape-only trace and names the first layer whose channels or shapes do not fit
            (after surgery or a reshaping load), instead of a bare shape error in forward.
            Example:
              assert(net:validate{1, 3, 32, 32})
            """) { L, m in
            let shape = try L.checkShape(from: 2)
            do {
                try validate(m, shape)
            } catch let e as TensorError {
                throw LuaError.message("validate: " + e.message)
            }
            PruneModule.remember(m, shape)
            L.push(true)
            return 1
        },
    ]

    /// A shape-only trace of `m` at `shape`: throws naming the first layer that does not fit.
    static func validate(_ m: any Module, _ shape: [Int]) throws {
        try Tensor.checkShape(shape, "validate")
        _ = try Tracer.trace(m, input: try Tensor(zeros: shape), shapesOnly: true)
    }
}
