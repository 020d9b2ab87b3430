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
    /// The userdata type name of modules.
    public static let moduleType = "nn.Module"
    static let methodsKey = "topiary.methods.nn.Module"

    public static let library = LuaLibrary(name: "nn") { L in
        ObjectTypes.register(L, hookType, methods: hookMethods)
        L.pushMetatable(moduleType)
        for f in metamethods { L.push(f); L.setField(-2, f.name) }
        L.pop()
        L.newTable()
        for f in methods { L.push(f); L.setField(-2, f.name) }
        L.setField(clua_registryindex(), methodsKey)
        L.newTable()
        for f in layerConstructors + containerConstructors + moduleFunctions + fileFunctions { L.push(f); L.setField(-2, f.name) }
        L.newTable()
        for f in zooFunctions { L.push(f); L.setField(-2, f.name) }
        L.setField(-2, "zoo")
    }

    /// Pushes a module as userdata.
    public static func push(_ L: Lua, _ m: any Module) { L.pushObject(m, as: moduleType) }

    /// The module at stack slot `i`, or nil if the value is not one.
    public static func module(_ L: Lua, _ i: Int32) throws -> (any Module)? {
        try L.object(i, of: moduleType) as? any Module
    }

    /// The module at stack slot `i`; anything else is an argument error.
    public static func checkModule(_ L: Lua, _ i: Int32) throws -> any Module {
        guard let m = try module(L, i) else { throw L.typeError(i, moduleType) }
        return m
    }

    /// A method: argument 1 must be a module.
    static func method(_ name: String, doc: String, _ body: @escaping (Lua, any Module) throws -> Int) -> LuaFunction {
        LuaFunction(name, doc: doc) { L in try body(L, try checkModule(L, 1)) }
    }

    /// Wraps a Swift error from a layer so it reads as the Lua function's own.
    @discardableResult
    static func run<R>(_ body: () throws -> R) throws -> R {
        do { return try body() } catch let e as TensorError { throw LuaError.message(e.message) }
    }

    static let metamethods: [LuaFunction] = [
        LuaFunction("__tostring") { L in L.push(try checkModule(L, 1).description); return 1 },
        LuaFunction("__call", doc: """
            net(x) -> tensor
            Same as net:forward(x).
            Example:
              local y = nn.ReLU()(tensor.new{-1, 2})
            """) { L in
            let m = try checkModule(L, 1)
            L.push(try run { try m.forward(try L.checkTensor(2)) }); return 1
        },
        LuaFunction("__index") { L in
            let m = try checkModule(L, 1)
            if L.isString(2) {
                L.rawField(clua_registryindex(), methodsKey)
                L.pushValue(2)
                if lua_rawget(L.state, -2) != LUA_TNIL { return 1 }
                L.pop(2)
                return pushField(L, m, L.toString(2)!) ? 1 : 0
            }
            if L.isNumber(2) {
                // net[i]: the i-th visible child (1-based).
                let i = try L.checkInteger(2), kids = m.visibleChildren
                guard i >= 1 && i <= kids.count else { L.pushNil(); return 1 }
                push(L, kids[i - 1].module); return 1
            }
            L.pushNil(); return 1
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

    /// Module fields: parameters and buffers as tensors, hyper-parameters as numbers,
    /// `type`, `training`, and submodules by dotted path. Returns false if unknown.
    static func pushField(_ L: Lua, _ m: any Module, _ key: String) -> Bool {
        if let p = m.parameters.first(where: { $0.name == key }) { L.push(p.parameter.value); return true }
        if let b = m.buffers.first(where: { $0.name == key }) { L.push(b.tensor); return true }
        switch key {
        case "type": L.push(m.typeName); return true
        case "training": L.push(m.training); return true
        default: break
        }
        // The `bias` hyper-parameter (a flag) is the field `bias` itself: the tensor, or nil.
        if key != "bias", let v = m.hyperParameter(key) {
            switch v {
            case .int(let i): L.push(i)
            case .double(let d): L.push(d)
            case .bool(let b): L.push(b)
            case .pair(let a, let b): L.push(ints: [a, b])
            case .ints(let l): L.push(ints: l)
            case .none: L.pushNil()
            }
            return true
        }
        if let sub = m.module(at: key), !key.isEmpty { push(L, sub); return true }
        return false
    }
}
