import CLua
import LuaHost
import NN
import Tensor

/// The `nn` Lua module: layer and container constructors, `nn.zoo`, and the methods of
/// module userdata (type name "nn.Module"). Groups live in the NNModule+*.swift files.
///
/// ```lua
/// local net = nn.Sequential{ nn.Conv2d(1, 8, 3, {padding = 1}), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 28 * 28, 10) }
/// local y = net:forward(tensor.randn(4, 1, 28, 28))
/// print(net)                       -- PyTorch-style printout
/// print(net:summary{1, 1, 28, 28}) -- per-layer table
/// ```
public enum NNModule {
    /// The userdata type of modules.
    public static let moduleType = LuaType<any Module>("nn.Module")

    public static let library = LuaLibrary(name: "nn") { L in
        moduleType.register(L, methods: methods, metamethods: metamethods, fields: fields, items: child)
        hookType.register(L, methods: hookMethods)
        parameterType.register(L, methods: [], metamethods: parameterMetamethods, fields: parameterFields)
        L.newTable()
        for f in layerConstructors + activationConstructors + acnetFunctions + replaceFunctions + syncFunctions + containerConstructors + moduleFunctions + fileFunctions { L.push(f); L.setField(-2, f.name) }
        L.newTable()
        for f in zooFunctions { L.push(f); L.setField(-2, f.name) }
        L.setField(-2, "zoo")
    }

    /// Pushes a module as userdata.
    public static func push(_ L: Lua, _ m: any Module) { moduleType.push(L, m) }

    /// The module at stack slot `i`, or nil if the value is not one.
    public static func module(_ L: Lua, _ i: Int32) throws -> (any Module)? { try moduleType.get(L, i) }

    /// The module at stack slot `i`; anything else is an argument error.
    public static func checkModule(_ L: Lua, _ i: Int32) throws -> any Module { try moduleType.check(L, i) }

    /// `net:forward(x)` and `net(x)`: runs `m` on argument 2, remembers one image's shape
    /// for the pruning calls, pushes the output.
    static func forward(_ L: Lua, _ m: any Module) throws -> Int {
        let x = try L.checkTensor(2)
        let y = try m.forward(x)
        PruneModule.rememberForward(m, x.shape)
        L.push(y); return 1
    }

    /// A method: argument 1 must be a module.
    static func method(_ name: String, doc: String, _ body: @escaping (Lua, any Module) throws -> Int) -> LuaFunction {
        moduleType.method(name, doc: doc, body)
    }

    static let metamethods: [LuaFunction] = [
        // a module that dies takes its forward hooks (and what their functions hold) along
        LuaFunction.releasing("__gc", then: dropDeadHooks),
        LuaFunction.releasing("__close", then: dropDeadHooks),
        LuaFunction("__tostring") { L in L.push(try checkModule(L, 1).description); return 1 },
        LuaFunction("__eq", doc: """
            a == b
            Whether two values are the same module (net:get("fc") == net.fc), not two equal ones.
            Example:
              local old = net:replace("fc", nn.Linear(64, 4)); assert(old ~= net.fc)
            """) { L in
            guard let a = try module(L, 1), let b = try module(L, 2) else { L.push(false); return 1 }
            L.push(a === b); return 1
        },
        LuaFunction("__call", doc: """
            net(x) -> tensor
            Same as net:forward(x).
            Example:
              local y = nn.ReLU()(tensor.new{-1, 2})
            """) { L in
            try forward(L, try checkModule(L, 1))
        },
        LuaFunction("__newindex") { L in
            let m = try checkModule(L, 1)
            let key = try L.checkString(2)
            let t = try L.checkTensorLike(3)
            guard m.parameters.contains(where: { $0.name == key }) || m.buffers.contains(where: { $0.name == key }) else {
                throw LuaError.message("\(m.typeName): cannot set field '\(key)' (only parameters and buffers such as weight, bias, running_mean can be assigned)")
            }
            do { try m.setStateEntry(key, t) } catch let e as TensorError {
                throw LuaError.message(e.message.replacingOccurrences(of: "load_state_dict: ", with: "\(m.typeName): "))
            }
            return 0
        },
    ]

    /// net[i]: the i-th visible child (1-based), nil past the end.
    static let child: (Lua, any Module) throws -> Int = { L, m in
        guard L.isNumber(2) else { L.pushNil(); return 1 }
        let i = try L.checkInteger(2), kids = m.visibleChildren
        guard i >= 1 && i <= kids.count else { L.pushNil(); return 1 }
        push(L, kids[i - 1].module); return 1
    }

    /// Module fields: parameters and buffers as tensors, hyper-parameters as numbers,
    /// `type`, `training`, and submodules by name or dotted path (`net["layer1.0.conv1"]`).
    /// A field that may be absent (a conv's `bias`) is nil; a misspelled one is an error.
    static let fields = LuaFields<any Module>(
        names: { m in
            m.parameters.map(\.name) + m.buffers.map(\.name) + hyperParameters(m).map(\.name)
                + ["type", "training"] + m.visibleChildren.map(\.name)
        },
        title: { m in m.typeName },
        push: { L, m, key in
            if let p = m.parameters.first(where: { $0.name == key }) { L.push(p.parameter.value); return true }
            if let b = m.buffers.first(where: { $0.name == key }) { L.push(b.tensor); return true }
            switch key {
            case "type": L.push(m.typeName); return true
            case "training": L.push(m.training); return true
            default: break
            }
            if let v = hyperParameters(m).first(where: { $0.name == key })?.value {
                switch v {
                case .int(let i): L.push(i)
                case .double(let d): L.push(d)
                case .bool(let b): L.push(b)
                case .pair(let a, let b): L.push(ints: [a, b])
                case .ints(let l): L.push(ints: l)
                case .string(let w): L.push(w)
                case .none: L.pushNil()
                }
                return true
            }
            if !key.isEmpty, let sub = m.module(at: key) { push(L, sub); return true }
            return false
        })

    /// The hyper-parameters of a layer from its description (PyTorch's attribute names),
    /// and the optional parameters it was made without (`bias` of a conv with
    /// `bias = false`, `weight` and `bias` of a BatchNorm without affine: nil). The `bias`
    /// flag itself is not a field: `conv.bias` is the tensor or nil.
    static func hyperParameters(_ m: any Module) -> [(name: String, value: HyperValue)] {
        guard let d = m.layerDescription else { return [] }
        let h = d.hyperParameters
        var out = h.filter { $0.name != "bias" }
        if h.contains(where: { $0.name == "bias" && $0.value == .bool(false) }) { out.append(("bias", .none)) }
        if h.contains(where: { $0.name == "affine" && $0.value == .bool(false) }) { out += [("weight", .none), ("bias", .none)] }
        return out
    }
}
