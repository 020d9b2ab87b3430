import CLua
import CLuaShim
import Data
import LuaHost
import NN
import Pruning
import Tensor

/// Feature-map capture, persistent forward hooks and structural validation.
extension NNModule {
    static let hookType = "nn.Hook"

    /// A registered hook: its id and the registry reference of its Lua function.
    final class HookBox {
        var id: Int?
        var ref: Int32?
        init(id: Int, ref: Int32) { self.id = id; self.ref = ref }
    }

    static let hookMethods: [LuaFunction] = [
        LuaFunction("remove", doc: """
            hook:remove()
            Unregisters the hook (further calls do nothing).
            Example:
              local h = net:register_forward_hook("conv1", function(m, x, y) print(y:shape()) end)
              h:remove()
            """) { L in
            let b = try L.checkObject(1, of: hookType, as: HookBox.self)
            if let id = b.id { ForwardHooks.remove(id) }
            if let r = b.ref { luaL_unref(L.state, clua_registryindex(), r) }
            b.id = nil; b.ref = nil
            return 0
        },
    ]

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
        for w in wanted {
            let hits = try all.filter { try PruneModule.matches(L, $0, w) }
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
            statistics) so memory stays bounded. The net is not changed.
            Example:
              local maps = net:capture({"layer1.0.relu1", "layer1%.%d+%.relu2"}, loader, {batches = 5})
            """) { L, m in
            let names = try selectModules(L, m, 2, "capture")
            let source: BatchSource
            if let x = try L.tensor(3) { source = TensorBatches(x) } else if let l = try L.object(3, of: DataModule.loaderType) as? Loader {
                source = l
            } else { throw L.typeError(3, "tensor or data.loader") }
            let o = try LuaOptions(L, 4)
            try o.checkKnown(["batches", "reduce"], "capture")
            let batches = try o.integer("batches", 1)
            guard batches > 0 else { throw LuaError.argument(4, "field 'batches': must be positive") }
            var reduceRef: Int32?
            let rt = o.push("reduce")
            if rt == LUA_TFUNCTION { reduceRef = luaL_ref(L.state, clua_registryindex()) } else {
                let tn = L.typeName(-1); L.pop()
                if rt != LUA_TNIL { throw LuaError.argument(4, "field 'reduce': function expected, got \(tn)") }
            }
            defer { if let r = reduceRef { luaL_unref(L.state, clua_registryindex(), r) } }
            let wanted = Set(names)
            var parts: [String: [Tensor]] = [:]
            let modes = m.namedModules().map { ($0.module, $0.module.training) }
            m.eval()
            defer { for (mm, on) in modes { mm.training = on } }
            let next = try PruneModule.guarded { try source.batches(epoch: 0) }
            var done = 0
            while done < batches, let (x, _) = try PruneModule.guarded({ try next() }) {
                done += 1
                var seen: [String: Tensor] = [:]
                try PruneModule.guarded {
                    try GradMode.withoutGrad {
                        try Tracer.observe({ path, _, _, y in if wanted.contains(path), seen[path] == nil { seen[path] = y } }) {
                            _ = try m.forward(x)
                        }
                    }
                }
                for n in names {
                    guard var t = seen[n] else { throw LuaError.message("capture: module \(n) did not run in the forward pass") }
                    if let r = reduceRef {
                        let top = L.top
                        lua_rawgeti(L.state, clua_registryindex(), lua_Integer(r))
                        L.push(t); L.push(n)
                        if topiary_pcall(L.state, 2, 1) != LUA_OK {
                            let msg = L.toString(-1) ?? "error in capture's reduce"
                            L.setTop(top)
                            throw LuaError.message(msg)
                        }
                        guard let rt = try L.tensor(-1) else {
                            let tn = L.typeName(-1); L.setTop(top)
                            throw LuaError.message("capture: reduce must return a tensor, got \(tn)")
                        }
                        t = rt
                        L.setTop(top)
                    }
                    parts[n, default: []].append(t.contiguous())
                }
            }
            L.newTable()
            for n in names {
                let p = parts[n] ?? []
                guard !p.isEmpty else { continue }
                L.push(try PruneModule.guarded { try p.count == 1 ? p[0] : Tensor.cat(p, 0) })
                L.setField(-2, n)
            }
            return 1
        },
        method("register_forward_hook", doc: """
            net:register_forward_hook(name, fn) -> hook
            Calls fn(module, input, output) after every forward of the module at `name`; a returned
            tensor replaces the output. hook:remove() unregisters it.
            Example:
              local h = net:register_forward_hook("layer1.0.relu1", function(m, x, y) print(y:mean()) end)
              net:forward(tensor.randn(1, 3, 32, 32)); h:remove()
            """) { L, m in
            let name = try L.checkString(2)
            try L.checkFunction(3)
            guard !name.isEmpty, let target = m.module(at: name) else {
                throw LuaError.argument(2, "no module named '\(name)' (hooks attach to modules below the net)")
            }
            L.pushValue(3)
            let ref = luaL_ref(L.state, clua_registryindex())
            let id = ForwardHooks.add(target) { mod, x, y in
                let top = L.top
                defer { L.setTop(top) }
                lua_rawgeti(L.state, clua_registryindex(), lua_Integer(ref))
                push(L, mod); L.push(x); L.push(y)
                if topiary_pcall(L.state, 3, 1) != LUA_OK {
                    throw TensorError(L.toString(-1) ?? "error in a forward hook on \(name)")
                }
                return try L.tensor(-1)
            }
            L.pushObject(HookBox(id: id, ref: ref), as: hookType)
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
                _ = try Tracer.trace(m, input: Tensor(zeros: shape))
            } catch let e as TensorError {
                throw LuaError.message("validate: " + e.message)
            }
            PruneModule.remember(m, shape)
            L.push(true)
            return 1
        },
    ]
}
