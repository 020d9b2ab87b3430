import CLua
import LuaHost
import NN
import Pruning
import Tensor

extension NNModule {
    /// Methods of every module (forward/backward, parameters, modes, state dict, lookup).
    static var methods: [LuaFunction] { coreMethods + analysisMethods + specMethods + fileMethods + captureMethods + acnetMethods + onnxMethods + replaceMethods }

    static let coreMethods: [LuaFunction] = [
        method("forward", doc: """
            net:forward(x) -> tensor
            Runs the module on x, caching what backward needs (net(x) is the same). One image of x's
            shape becomes the shape pruning calls trace the net with when given no `input`.
            Example:
              local y = nn.Linear(4, 2):forward(tensor.randn(3, 4))
            """) { L, m in try NNModule.forward(L, m) },
        method("backward", doc: """
            net:backward(grad_output) -> tensor
            Given ∂L/∂output of the last forward, returns ∂L/∂input and adds the parameter gradients
            into each parameter's grad.
            Example:
              local fc = nn.Linear(4, 2)
              local y = fc:forward(tensor.randn(3, 4))
              local dx = fc:backward(tensor.ones(3, 2))
              print(fc:parameters()[1].grad)
            """) { L, m in
            let g = try L.checkTensor(2)
            L.push(try m.backward(g)); return 1
        },
        method("parameters", doc: """
            net:parameters() -> {p, ...}
            Every parameter as an nn.Parameter with fields name (its state-dict name), value (its
            tensor), grad (its gradient; nil before a backward and after zero_grad) and
            requires_grad. The fields are read live: a list taken once shows later gradients.
            Example:
              for _, p in ipairs(net:parameters()) do print(p.name, p.value:numel()) end
            """) { L, m in
            pushParameters(L, m)
            return 1
        },
        method("named_modules", doc: """
            net:named_modules() -> {{name =, module =}, ...}
            Every module depth-first with its dotted path (the root has name "").
            Example:
              for _, e in ipairs(net:named_modules()) do print(e.name, e.module.type) end
            """) { L, m in pushNamed(L, m.namedModules()); return 1 },
        method("children", doc: """
            net:children() -> {{name =, module =}, ...}
            The direct children with their names.
            Example:
              for _, c in ipairs(net:children()) do print(c.name) end
            """) { L, m in pushNamed(L, m.visibleChildren); return 1 },
        method("get", doc: """
            net:get(path) -> module
            The submodule at a dotted path (also net["layer1.0.conv1"]); an error if there is none.
            Example:
              local conv = net:get("layer1.0.conv1")
            """) { L, m in
            let path = try L.checkString(2)
            guard let sub = m.module(at: path) else {
                let names = m.namedModules().map(\.name).filter { !$0.isEmpty }
                let near = names.filter { $0.hasPrefix(path.split(separator: ".").first.map(String.init) ?? path) }.prefix(5)
                throw LuaError.message("get: no module named '\(path)'" + (near.isEmpty ? "" : " (similar: \(near.joined(separator: ", ")))"))
            }
            push(L, sub); return 1
        },
        method("add", doc: """
            seq:add(module [, name]) -> seq
            Appends a child to a Sequential (named by its position unless a name is given).
            Example:
              local net = nn.Sequential():add(nn.Linear(4, 8)):add(nn.ReLU(), "act")
            """) { L, m in
            guard let seq = m as? Sequential else { throw LuaError.message("add: only a Sequential can add children, not a \(m.typeName)") }
            let child = try checkModule(L, 2)
            let name = L.isNoneOrNil(3) ? nil : try L.checkString(3)
            try seq.append(child, name: name)
            L.pushValue(1); return 1
        },
        method("train", doc: """
            net:train([on = true]) -> net
            Sets training mode on the module and everything below it.
            Example:
              net:train()
            """) { L, m in
            m.train(L.isNoneOrNil(2) ? true : try L.checkBool(2))
            L.pushValue(1); return 1
        },
        method("eval", doc: """
            net:eval() -> net
            Evaluation mode: BatchNorm uses running statistics, Dropout passes through.
            Example:
              net:eval(); local logits = net:forward(x)
            """) { L, m in m.eval(); L.pushValue(1); return 1 },
        method("requires_grad", doc: """
            net:requires_grad(on) -> net
            Sets requires_grad on every parameter of net and the modules below it (PyTorch's
            requires_grad_): false freezes them — no gradients in backward, no optimizer steps —,
            true makes them train again.
            Example:
              net:requires_grad(false); net:get("fc"):requires_grad(true)   -- fine-tune the classifier only
            """) { L, m in
            guard L.type(2) == LUA_TBOOLEAN else { throw LuaError.argument(2, "requires_grad takes true or false, got \(L.typeName(2))") }
            let on = L.toBool(2)
            for p in m.namedParameters() { setRequiresGrad(p.parameter, on) }
            L.pushValue(1); return 1
        },
        method("zero_grad", doc: """
            net:zero_grad() -> net
            Clears every parameter's gradient.
            Example:
              net:zero_grad()
            """) { L, m in m.zeroGrad(); L.pushValue(1); return 1 },
        method("state_dict", doc: """
            net:state_dict() -> {key = tensor, ...}
            Parameters and buffers by PyTorch key (layer1.0.conv1.weight, bn1.running_mean, ...). The
            tensors are the live ones: writing into them changes the model.
            Example:
              local sd = net:state_dict(); print(sd["conv1.weight"]:shape())
            """) { L, m in
            let sd = m.stateDict()
            L.newTable(record: Int32(sd.count))
            for (k, t) in sd { L.push(t); L.setField(-2, k) }
            return 1
        },
        method("state_dict_keys", doc: """
            net:state_dict_keys() -> {key, ...}
            The state-dict keys in PyTorch's order.
            Example:
              for _, k in ipairs(net:state_dict_keys()) do print(k) end
            """) { L, m in
            let keys = m.stateDict().map(\.key)
            L.newTable(array: Int32(keys.count))
            for (i, k) in keys.enumerated() { L.push(k); L.setIndex(-2, i + 1) }
            return 1
        },
        method("load_state_dict", doc: """
            net:load_state_dict(tbl [, {strict = true, reshape = false, input = shape}]) -> missing, unexpected
            Copies tensors by key into the model, all-or-nothing: a missing or unexpected key (strict) or
            a shape mismatch (naming the key and both shapes) is an error and nothing is changed.
            reshape = true lets tensors change shape (loading a pruned checkpoint into a full model);
            the loaded net is then checked as net:validate does, at `input` or the input shape last
            used with the net (prune.groups, net:validate), and a layer that does not fit (a
            forgotten slice) is named and the load undone. A pruned option-A ResNet does not load
            this way (its shortcuts' channel maps are not in the dict): nn.load reads its net:save file.
            Example:
              local other = nn.zoo.resnet20{}
              other:load_state_dict(net:state_dict())
            """) { L, m in
            try L.checkTable(2)
            var entries: [(key: String, tensor: Tensor)] = []
            try L.forEachPair(2) {
                guard let k = L.toString(-2) else { throw LuaError.argument(2, "keys must be strings, got \(L.typeName(-2))") }
                guard let t = try L.tensor(-1) else { throw LuaError.argument(2, "entry '\(k)': tensor expected, got \(L.typeName(-1))") }
                entries.append((k, t))
            }
            let o = try LuaOptions(L, 3)
            try o.checkKnown(["strict", "reshape", "input"], "load_state_dict")
            let strict = try o.bool("strict", true), reshape = try o.bool("reshape", false)
            var shape: [Int]?
            if o.push("input") != LUA_TNIL { shape = try L.checkShape(from: L.absIndex(-1)) }
            L.pop()
            if shape == nil && reshape { shape = PruneModule.knownShape(m) }
            // What to restore when the loaded net does not fit its input.
            let before = shape == nil ? nil : try m.stateDict().map { ($0.key, try $0.tensor.clone()) }
            let (missing, unexpected) = try m.loadStateDict(entries, strict: strict, reshape: reshape)
            if let shape, let before {
                do {
                    try validate(m, shape)
                } catch {
                    try m.loadStateDict(before, strict: false, reshape: true)
                    guard let e = error as? TensorError else { throw error }
                    // option-A shortcuts pad the residual stream by a channel map no state dict holds
                    let hint = m.namedModules().contains(where: { $0.module is ShortcutA })
                        ? " (this net has option-A shortcuts, whose channel maps a state dict does not hold: read a pruned net back with nn.load from its net:save file)" : ""
                    throw LuaError.message("load_state_dict: the loaded net does not fit input \(shapeString(shape)), nothing was loaded: \(e.message)\(hint)")
                }
            }
            for list in [missing, unexpected] {
                L.newTable(array: Int32(list.count))
                for (i, k) in list.enumerated() { L.push(k); L.setIndex(-2, i + 1) }
            }
            return 2
        },
    ]

    static let specMethods: [LuaFunction] = [
        method("spec", doc: """
            net:spec() -> string
            The architecture as JSON (types, hyper-parameters, current channel counts, child names; no
            weights). nn.from_spec rebuilds it, so a pruned model can be saved and reloaded.
            Example:
              local same = nn.from_spec(net:spec()); same:load_state_dict(net:state_dict())  -- as net:clone()
            """) { L, m in L.push(try ModelSpec.encode(m)); return 1 },
        method("clone", doc: """
            net:clone() -> net
            A deep copy in memory: the same layers holding copies of the weights and buffers, each
            module in its own mode, frozen parameters still frozen, with the pruning history, the
            original widths and the input shape the net was last traced with (what net:save and
            nn.load carry). Gradients, forward hooks and optimizer state are not copied. Draws no
            random numbers. Changing or pruning either net leaves the other as it is.
            Example:
              local base = net:clone()
              prune.plan(net, {criterion = "l1", ratio = 0.5, input = {1, 3, 32, 32}}):apply()
              print(base:flops{1, 3, 32, 32}.params, net:flops{1, 3, 32, 32}.params)
            """) { L, m in
            let c = try m.deepCopy()
            let steps = PruningHistory.steps(m)
            if !steps.isEmpty || !PruningHistory.widths(m).isEmpty {
                PruningHistory.set(c, steps, widths: PruningHistory.widths(m))
            }
            if let shape = PruneModule.knownShape(m) { PruneModule.remember(c, shape) }
            push(L, c); return 1
        },
    ]

    static func pushNamed(_ L: Lua, _ list: [(name: String, module: any Module)]) {
        L.newTable(array: Int32(list.count))
        for (i, e) in list.enumerated() {
            L.newTable(record: 2)
            L.push(e.name); L.setField(-2, "name")
            push(L, e.module); L.setField(-2, "module")
            L.setIndex(-2, i + 1)
        }
    }

    /// Functions of the `nn` table that are not constructors.
    static let moduleFunctions: [LuaFunction] = [
        LuaFunction("set_grad_enabled", doc: """
            nn.set_grad_enabled(on) -> previous
            Turns activation caching for backward on or off (off saves memory for inference;
            backward then fails). Returns the previous setting.
            Example:
              local was = nn.set_grad_enabled(false); local y = net:forward(x); nn.set_grad_enabled(was)
            """) { L in
            let on = try L.checkBool(1)
            L.push(GradMode.enabled)
            GradMode.enabled = on
            return 1
        },
        LuaFunction("no_grad", doc: """
            nn.no_grad(fn, ...) -> fn(...)'s results
            Runs fn(...) with activation caching off (PyTorch's `with torch.no_grad()`): an
            eval-mode net:forward inside takes the fused inference path and keeps no activations
            for backward. The previous setting comes back afterwards, also when fn raises an
            error (which is raised again unchanged).
            Example:
              net:eval()
              local y = nn.no_grad(function() return net:forward(x) end)
            """) { L in
            guard L.type(1) == LUA_TFUNCTION else { throw L.typeError(1, "function") }
            let was = GradMode.enabled
            GradMode.enabled = false
            defer { GradMode.enabled = was }
            return Int(try LuaCallback.callInPlace(L, 1, what: "nn.no_grad"))
        },
        LuaFunction("from_spec", doc: """
            nn.from_spec(json) -> module
            Rebuilds a module tree from net:spec() (weights freshly initialised).
            Example:
              local copy = nn.from_spec(nn.zoo.resnet20{}:spec())
            """) { L in
            let json = try L.checkString(1)
            push(L, try ModelSpec.decode(json)); return 1
        },
        LuaFunction("is_module", doc: """
            nn.is_module(value) -> boolean
            Whether a value is an nn module.
            Example:
              assert(nn.is_module(nn.ReLU()))
            """) { L in L.push(try module(L, 1) != nil); return 1 },
    ]
}
