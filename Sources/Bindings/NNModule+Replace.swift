import CLua
import LuaHost
import NN
import Tensor

/// Changing a network's modules in place: one by path (`net:replace`) or every layer a
/// Lua function chooses (`nn.swap`), for experiments that put a gate after a conv, a
/// different activation in every block, or a layer of their own making in a zoo net.
extension NNModule {
    static let replaceMethods: [LuaFunction] = [
        method("replace", doc: """
            net:replace(path, module) -> old
            Puts `module` at the dotted path (a layer or a container below net, as net:get finds it)
            and returns the module that was there. The parent must be a Sequential, a residual block
            (its body, shortcut or post) or a Concat. The new module keeps its own weights and mode;
            forward hooks stay with the old one. Pruning, capture and saving see the new tree.
            Example:
              local net = nn.zoo.resnet20{}
              local old = net:replace("layer1.0.relu1", nn.Sequential{nn.ReLU(), nn.Dropout(0.1)})
            """) { L, m in
            let path = try L.checkString(2)
            let new = try checkModule(L, 3)
            do {
                push(L, try m.replaceModule(at: path, with: new))
            } catch let e as TensorError {
                let names = m.namedModules().map(\.name).filter { !$0.isEmpty }
                let hint = e.message.hasPrefix("replace: no module") ? NameSuggestion.hint(path, in: names) : ""
                throw LuaError.message(e.message + hint)
            }
            return 1
        },
    ]

    static let replaceFunctions: [LuaFunction] = [
        LuaFunction("swap", doc: """
            nn.swap(net, fn) -> net, swapped
            Calls fn(path, layer) once for every layer (a module without children; a layer used at two
            places is asked once) and puts the module it returns in the layer's place; nil keeps the
            layer. Every answer is taken before anything changes, so an error in fn leaves net as it
            was. Containers walked: Sequential, residual blocks and Concat. Returns the net (a bare
            layer comes back swapped) and the swapped paths. nn.acnet is nn.swap with a fixed fn.
            Example:
              local net, paths = nn.swap(nn.zoo.vgg11{}, function(path, layer)
                if layer.type == "ReLU" then return nn.LeakyReLU(0.1) end
              end)
            """) { L in
            let net = try checkModule(L, 1)
            guard L.type(2) == LUA_TFUNCTION else {
                throw LuaError.argument(2, "a function(path, layer) returning a module or nil expected, got \(L.typeName(2))")
            }
            let fn = LuaCallback(L, 2, what: "nn.swap's function")
            defer { fn.release() }
            let r = try net.replacingLayers { path, layer in
                try fn.call(on: L, nresults: 1, context: "nn.swap at '\(path)'", { T in
                    T.push(path); push(T, layer); return 2
                }) { T in
                    if T.isNoneOrNil(-1) { return nil }
                    guard let new = try module(T, -1) else {
                        throw LuaError.message("nn.swap: the function returned a \(T.typeName(-1)) for '\(path)' (a module or nil expected)")
                    }
                    return new
                }
            }
            push(L, r.root)
            pushPaths(L, r.paths)
            return 2
        },
    ]
}
