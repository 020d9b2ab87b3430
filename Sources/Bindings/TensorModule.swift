import CLua
import LuaHost
import Tensor

/// The `tensor` Lua module: constructors and module functions, and every tensor method
/// (also callable as `tensor.name(x, ...)`). Method groups live in the TensorModule+*.swift
/// files; each contributes a list of functions, every one with its `doc:` text.
public enum TensorModule {
    /// All methods, from every group.
    static var methods: [LuaFunction] {
        viewMethods + mathMethods + reductionMethods + indexMethods + diagonalMethods + ioMethods + linalgMethods + leastSquaresMethods + analysisMethods
    }

    /// Functions of the module table only (their first argument is not a tensor).
    static var functions: [LuaFunction] {
        constructors + likeConstructors + joinFunctions + ioFunctions + safetensorsFunctions + analysisFunctions
    }

    public static let library = LuaLibrary(name: "tensor") { L in
        tensorType.register(L, methods: methods, metamethods: metamethods, items: item, indexDoc: indexDoc)
        // The module table: every method is also a function (tensor.sum(x)).
        L.newTable()
        for f in methods + functions { L.push(f); L.setField(-2, f.name) }
    }

    /// The userdata type of tensors (pushed by `Lua.push(_: Tensor)`).
    static let tensorType = LuaType<Tensor>(Lua.tensorType)

    /// A method: argument 1 must be a tensor.
    static func method(_ name: String, doc: String, _ body: @escaping (Lua, Tensor) throws -> Int) -> LuaFunction {
        LuaFunction(name, doc: doc) { L in try body(L, try L.checkTensor(1)) }
    }

    /// A method returning one tensor.
    static func tensorMethod(_ name: String, doc: String, _ body: @escaping (Lua, Tensor) throws -> Tensor) -> LuaFunction {
        LuaFunction(name, doc: doc) { L in L.push(try body(L, try L.checkTensor(1))); return 1 }
    }

    /// Adds 1 to a fresh int64 index tensor in place (Swift's indices are 0-based).
    static func oneBased(_ i: Tensor) -> Tensor {
        let p = i.iptr
        for k in 0..<i.numel { p[k] += 1 }
        return i
    }

    /// An optional boolean argument.
    static func optBool(_ L: Lua, _ i: Int32, _ d: Bool) throws -> Bool {
        L.isNoneOrNil(i) ? d : try L.checkBool(i)
    }
}
