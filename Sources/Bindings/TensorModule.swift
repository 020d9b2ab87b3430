import CLua
import LuaHost
import Tensor

/// The `tensor` Lua module: constructors, and every tensor method (also callable as
/// `tensor.name(x, ...)`). Method groups live in the TensorModule+*.swift files; each
/// contributes a list of functions.
public enum TensorModule {
    /// All methods, from every group.
    static var methods: [LuaFunction] {
        viewMethods + mathMethods + reductionMethods + indexMethods + ioMethods + linalgMethods
    }

    public static let library = LuaLibrary(name: "tensor") { L in
        // Metatable of tensor userdata.
        L.pushMetatable(Lua.tensorType)
        for f in metamethods { L.push(f); L.setField(-2, f.name) }
        L.pop()
        // Methods table (looked up by __index) and the module table.
        L.newTable()
        for f in methods { L.push(f); L.setField(-2, f.name) }
        L.pushValue(-1)
        L.setField(clua_registryindex(), methodsKey)
        L.pop()
        L.newTable()
        for f in methods + constructors + safetensorsFunctions { L.push(f); L.setField(-2, f.name) }
    }

    static let methodsKey = "topiary.methods.tensor"

    /// A method: argument 1 must be a tensor.
    static func method(_ name: String, _ body: @escaping (Lua, Tensor) throws -> Int) -> LuaFunction {
        LuaFunction(name) { L in try body(L, try L.checkTensor(1)) }
    }

    /// A method returning one tensor.
    static func tensorMethod(_ name: String, _ body: @escaping (Lua, Tensor) throws -> Tensor) -> LuaFunction {
        LuaFunction(name) { L in L.push(try body(L, try L.checkTensor(1))); return 1 }
    }
}
