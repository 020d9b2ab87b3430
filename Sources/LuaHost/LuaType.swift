import CLua
import Foundation

/// A Swift class bound to Lua as a userdata type: the one way to bind a type.
///
/// A userdata holds one retained reference (`Userdata.swift`); its metatable carries
/// `__name` (the type name in messages: `bad argument #1 to 'save' (plot expected, got nil)`),
/// `__gc`/`__close`, the metamethods, and an `__index` that finds the methods (kept in the
/// registry as `topiary.methods.<name>`, where help and completion find them), then the
/// type's named fields, then its items (`x[i]`). A key that is none of these is an error
/// naming what exists (`loader.batch_size`: "data.Loader has no field or method
/// 'batch_size'; its methods are …"; `ipairs(loader)`: "data.Loader has no items"), never a
/// silent nil.
///
/// Binding a new type in a Bindings file:
/// ```swift
/// enum CounterModule {
///     static let type = LuaType<Counter>("counter")            // Counter: a Swift class
///     static let library = LuaLibrary(name: "counter") { L in
///         type.register(L, methods: [
///             type.method("add", doc: """
///                 c:add(n) -> nothing
///                 Adds n to the count.
///                 Example: c:add(2)
///                 """) { L, c in c.count += try L.checkInteger(2); return 0 },
///         ], metamethods: [type.tostring { "counter \($0.count)" }],
///            fields: LuaFields(names: { _ in ["count"] }) { L, c, key in
///                guard key == "count" else { return false }
///                L.push(c.count); return true
///            })
///         L.newTable()                                          // the module table
///         L.push(LuaFunction("new", doc: "...") { L in type.push(L, Counter()); return 1 })
///         L.setField(-2, "new")
///     }
/// }
/// ```
/// `type.check(L, i)` reads argument `i` (an argument error otherwise), `type.get(L, i)`
/// returns nil for other values. Errors thrown by a body (`LuaError`, `TensorError`, any
/// `LuaMessageError`) become Lua errors in `dispatch`; bodies never call raising Lua API.
public struct LuaType<Object> {
    /// The type name: `__name` of the metatable, shown in messages and by `type`-like
    /// helpers (`tensor`, `nn.Module`, `data.Loader`).
    public let name: String

    public init(_ name: String) { self.name = name }

    /// Pushes `object` as a userdata of this type.
    public func push(_ L: Lua, _ object: Object) { L.pushObject(object as AnyObject, as: name) }

    /// The object at stack slot `i`, or nil if the value is not one of this type.
    public func get(_ L: Lua, _ i: Int32) throws -> Object? {
        // Unwrap before casting: a generic cast of a nil AnyObject? crashed under -Ounchecked.
        guard let o = try L.object(i, of: name) else { return nil }
        return o as? Object
    }

    /// The object at stack slot `i`; anything else is an argument error.
    public func check(_ L: Lua, _ i: Int32) throws -> Object {
        guard let o = try get(L, i) else { throw L.typeError(i, name) }
        return o
    }

    /// A method: argument 1 must be an object of this type.
    public func method(_ methodName: String, doc: String = "", _ body: @escaping (Lua, Object) throws -> Int) -> LuaFunction {
        LuaFunction(methodName, doc: doc) { L in try body(L, try check(L, 1)) }
    }

    /// A `__tostring` metamethod from a description of the object.
    public func tostring(_ describe: @escaping (Object) -> String) -> LuaFunction {
        LuaFunction("__tostring") { L in L.push(describe(try check(L, 1))); return 1 }
    }

    /// Registers the type in the state: its metatable and its methods. `items` answers
    /// non-string keys (`x[i]`: push one value and return 1); `fields` answers string keys
    /// that are not methods; any other key is an error. A metamethod named `__index` in
    /// `metamethods` replaces all that. `indexDoc` documents `__index` (what `x[i]` means).
    public func register(_ L: Lua, methods: [LuaFunction], metamethods: [LuaFunction] = [],
                         fields: LuaFields<Object>? = nil, items: ((Lua, Object) throws -> Int)? = nil,
                         indexDoc: String = "") {
        L.registerType(name, methods: methods, metamethods: metamethods,
                       index: indexFunction(methods: methods.map(\.name), fields: fields, items: items, doc: indexDoc))
        if let fields {
            LuaTypeFields.set(name, LuaTypeFields.Entry(
                names: { L, i in
                    guard let o = try? get(L, i) else { return [] }
                    return fields.names(o)
                },
                push: { L, i, key in
                    guard let o = try? get(L, i) else { return false }
                    return (try? fields.push(L, o, key)) ?? false
                }))
        }
    }

    /// `__index`: methods first, then fields, then items; any other key is an error naming
    /// the fields (or, for a type without fields, the methods) that exist.
    func indexFunction(methods: [String], fields: LuaFields<Object>?, items: ((Lua, Object) throws -> Int)?,
                       doc: String) -> LuaFunction {
        let methodsKey = Lua.methodsKey(name), typeName = name
        // a long list (a tensor's ~100 methods) is help's job
        let methodList = methods.isEmpty ? "it has no methods"
            : methods.count <= 16 ? "its methods are " + methods.joined(separator: ", ") : "help(x) lists its methods"
        return LuaFunction("__index", doc: doc) { L in
            let o = try check(L, 1)
            if L.isString(2) {
                L.rawField(clua_registryindex(), methodsKey)
                L.pushValue(2)
                if lua_rawget(L.state, -2) != LUA_TNIL { return 1 }
                L.pop(2)
                let key = L.toString(2)!
                guard let fields else {
                    throw LuaError.message("\(typeName) has no field or method '\(key)'\(NameSuggestion.hint(key, in: methods)); \(methodList)")
                }
                if try fields.push(L, o, key) { return 1 }
                let known = fields.names(o)
                let listed = known.isEmpty ? "it has no fields" : "its fields are " + known.joined(separator: ", ")
                let hint = NameSuggestion.hint(key, in: known + methods)
                throw LuaError.message("\(fields.title(o) ?? typeName) has no field '\(key)'\(hint); \(listed) (help(x) lists its methods too)")
            }
            if let items { return try items(L, o) }
            let k = L.isInteger(2) ? String(lua_tointegerx(L.state, 2, nil)) : L.toNumber(2).map { "\($0)" } ?? L.typeName(2)
            throw LuaError.message("\(typeName) has no items: x[\(k)] is not defined; \(methodList)")
        }
    }
}

/// The named fields of a bound type (`conv.weight`, `bn.running_var`, `conv.stride`):
/// `names` lists them (help and completion show them, the error for a misspelled one
/// names them), `push` pushes the value of one and returns true, or returns false for
/// a name that is not a field (a field may exist and be nil: a conv's `bias` without bias).
public struct LuaFields<Object> {
    public let names: (Object) -> [String]
    public let push: (Lua, Object, String) throws -> Bool
    /// How the object is named in the error for an unknown field ("Conv2d"); the type name if nil.
    public let title: (Object) -> String?

    public init(names: @escaping (Object) -> [String], title: @escaping (Object) -> String? = { _ in nil },
                push: @escaping (Lua, Object, String) throws -> Bool) {
        self.names = names
        self.push = push
        self.title = title
    }
}

/// Field listers of the registered types, by type name, for help and completion
/// (Swift closures: reading a field never runs Lua code).
enum LuaTypeFields {
    struct Entry {
        let names: (Lua, Int32) -> [String]
        let push: (Lua, Int32, String) -> Bool
    }

    nonisolated(unsafe) private static var entries: [String: Entry] = [:]
    private static let lock = NSLock()

    static func set(_ name: String, _ entry: Entry) {
        lock.lock(); defer { lock.unlock() }
        entries[name] = entry
    }

    /// The fields of the userdata at `i` (by its `__name`), or nil for a type without fields.
    static func entry(_ L: Lua, _ i: Int32) -> Entry? {
        guard L.type(i) == LUA_TUSERDATA, let name = L.userdataTypeName(i) else { return nil }
        lock.lock(); defer { lock.unlock() }
        return entries[name]
    }
}

extension Lua {
    /// The registry key of the methods table of type `name`.
    public static func methodsKey(_ name: String) -> String { "topiary.methods." + name }

    /// Registers a userdata type by name: the metatable (`__name`, `__gc`, `__close`, the
    /// metamethods) and the methods table in the registry. `__index` is `index` when given
    /// (or a metamethod named `__index`), else the methods table itself. Prefer
    /// `LuaType.register`, which builds `index` from fields and items.
    public func registerType(_ name: String, methods: [LuaFunction], metamethods: [LuaFunction] = [],
                             index: LuaFunction? = nil) {
        newTable(record: Int32(methods.count))
        for f in methods { push(f); setField(-2, f.name) }
        pushValue(-1)
        setField(clua_registryindex(), Lua.methodsKey(name))
        pushMetatable(name)
        for f in metamethods { push(f); setField(-2, f.name) }
        if !metamethods.contains(where: { $0.name == "__index" }) {
            if let index { push(index) } else { pushValue(-2) }
            setField(-2, "__index")
        }
        pop(2)
    }

    /// Pushes method `key` (the value at stack slot `key`) of type `name`, nil if there is none.
    public func pushMethod(of name: String, _ key: Int32) {
        let key = absIndex(key)
        rawField(clua_registryindex(), Lua.methodsKey(name))
        pushValue(key)
        lua_rawget(state, -2)
        remove(-2)
    }

    /// The `__name` of the userdata's metatable at `i`.
    func userdataTypeName(_ i: Int32) -> String? {
        guard lua_getmetatable(state, i) != 0 else { return nil }
        defer { pop(2) }
        rawField(-1, "__name")
        return toString(-1)
    }
}

extension LuaOptions {
    /// The object of field `key` if it is one of `type`'s, nil when the field is absent; any
    /// other value is an error naming the field and its argument
    /// (`bad argument #3 to 'fit' (field 'optimizer': train.Optimizer expected, got string)`).
    public func object<Object>(_ key: String, _ type: LuaType<Object>) throws -> Object? {
        guard push(key) != LUA_TNIL else { L.pop(); return nil }
        defer { L.pop() }
        guard let o = try type.get(L, -1) else { throw invalid(key, "\(type.name) expected, got \(L.typeName(-1))") }
        return o
    }
}
