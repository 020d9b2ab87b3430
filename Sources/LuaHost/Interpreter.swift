import CLua
import CLuaShim
import Foundation
import Tensor

/// A Lua module implemented in Swift: `open` pushes the module's table.
public struct LuaLibrary {
    public let name: String
    public let open: (Lua) -> Void
    public init(name: String, open: @escaping (Lua) -> Void) {
        self.name = name
        self.open = open
    }
}

/// One Lua 5.4 state with the standard libraries and Topiary's modules. All chunks run
/// under `lua_pcall` with a traceback handler; errors come back as `LuaRuntimeError`.
public final class Interpreter {
    public let lua: Lua

    public init(libraries: [LuaLibrary] = []) {
        lua = Lua(topiary_newstate()!)
        Interrupt.pending = { topiary_interrupt_pending() != 0 }
        _ = topiary_openlibs(lua.state)
        for lib in libraries { load(lib) }
    }

    deinit { lua_close(lua.state) }

    /// Opens `lib` as a global and in `package.loaded` (so `require` finds it).
    public func load(_ lib: LuaLibrary) {
        let L = lua
        lib.open(L)
        L.rawField(clua_registryindex(), "_LOADED")
        L.pushValue(-2)
        L.setField(-2, lib.name)
        L.pop()
        L.setGlobal(lib.name)
    }

    /// Compiles `code` as chunk `name` (Lua's chunkname: "@file.lua" or "=stdin").
    /// On success the function is on the stack.
    public func compile(_ code: String, name: String) throws {
        try compile(bytes: Array(code.utf8), name: name)
    }

    /// Compiles a chunk given as bytes (text or a precompiled chunk from string.dump), as
    /// they are. On success the function is on the stack.
    public func compile(bytes code: [UInt8], name: String) throws {
        let status = code.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { c in topiary_load(lua.state, c.baseAddress, c.count, name) }
        }
        if status != LUA_OK {
            let msg = lua.toString(-1) ?? "syntax error"
            lua.pop()
            throw LuaRuntimeError(msg)
        }
    }

    /// Compiles the file at `path` (its bytes: a path need not be UTF-8) as lua.c does:
    /// text or a precompiled chunk, a UTF-8 BOM and a first line starting with `#`
    /// skipped. The chunk is named "@path". On success the function is on the stack.
    public func compileFile(_ path: [UInt8]) throws {
        guard !path.contains(0) else { throw LuaRuntimeError("cannot open a path containing a NUL byte") }
        let status = (path + [0]).withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { topiary_loadfile(lua.state, $0.baseAddress) }
        }
        if status != LUA_OK {
            let msg = lua.toString(-1) ?? "cannot load the file"
            lua.pop()
            throw LuaRuntimeError(msg)
        }
    }

    /// Calls the function below `nargs` arguments; results stay on the stack. Returns
    /// how many. Errors carry a traceback.
    @discardableResult
    public func call(nargs: Int32) throws -> Int32 {
        let base = lua.top - nargs - 1
        let status = topiary_pcall(lua.state, nargs, LUA_MULTRET)
        if status != LUA_OK {
            let msg = describeError(-1)
            lua.setTop(base)
            throw LuaRuntimeError(msg)
        }
        return lua.top - base
    }

    /// Runs a chunk and discards its results.
    public func run(_ code: String, name: String = "=(string)") throws {
        let base = lua.top
        try compile(code, name: name)
        try call(nargs: 0)
        lua.setTop(base)
    }

    /// Runs a chunk and returns its results rendered with `tostring`.
    public func evaluate(_ code: String, name: String = "=(string)") throws -> [String] {
        let base = lua.top
        try compile(code, name: name)
        let n = try call(nargs: 0)
        var out: [String] = []
        for i in 0..<n { out.append(tostring(base + 1 + i)) }
        lua.setTop(base)
        return out
    }

    /// Runs a file as `lua file args…` does: the global `arg` holds the interpreter's path
    /// at -1, the script's path at 0 and the arguments from 1, and the chunk receives the
    /// arguments as `...`. Paths and arguments are bytes, passed on unchanged.
    public func runFile(_ path: [UInt8], args: [[UInt8]] = [], interpreter: [UInt8]? = nil) throws {
        setArguments(script: path, args: args, interpreter: interpreter)
        try runScript(path, args: args)
    }

    /// Sets the global `arg` as lua.c does: the interpreter at -1, the script at 0, the
    /// arguments from 1.
    public func setArguments(script path: [UInt8], args: [[UInt8]], interpreter: [UInt8]?) {
        let L = lua
        L.newTable()
        if let interpreter { L.push(bytes: interpreter); L.setIndex(-2, -1) }
        L.push(bytes: path); L.setIndex(-2, 0)
        for (i, a) in args.enumerated() { L.push(bytes: a); L.setIndex(-2, i + 1) }
        L.setGlobal("arg")
    }

    /// Compiles the file at `path` and calls it with `args` as `...` (the global `arg` is
    /// left as it is).
    public func runScript(_ path: [UInt8], args: [[UInt8]]) throws {
        let L = lua
        let base = L.top
        try compileFile(path)
        for a in args { L.push(bytes: a) }
        try call(nargs: Int32(args.count))
        L.setTop(base)
    }

    /// `runFile` for a path and arguments that are valid Unicode.
    public func runFile(_ path: String, args: [String] = []) throws {
        try runFile(Array(path.utf8), args: args.map { Array($0.utf8) })
    }

    /// Runs `LUA_INIT_5_4` or else `LUA_INIT` from the environment, as lua.c does before
    /// anything else: `@file` runs that file, any other value is run as a chunk named
    /// "=LUA_INIT". Does nothing when neither is set.
    public func runLuaInit() throws {
        var name = "=LUA_INIT_5_4"
        var value = getenv("LUA_INIT_5_4")
        if value == nil { name = "=LUA_INIT"; value = getenv("LUA_INIT") }
        guard let value else { return }
        let bytes = Array(UnsafeBufferPointer(start: value, count: strlen(value))).map { UInt8(bitPattern: $0) }
        let base = lua.top
        if bytes.first == UInt8(ascii: "@") { try compileFile(Array(bytes.dropFirst())) }
        else { try compile(bytes: bytes, name: name) }
        try call(nargs: 0)
        lua.setTop(base)
    }

    /// `tostring(v)` of the value at `i` (runs `__tostring` under pcall).
    public func tostring(_ i: Int32) -> String {
        if topiary_tolstring(lua.state, i) == LUA_OK {
            defer { lua.pop() }
            return lua.toString(-1) ?? ""
        }
        defer { lua.pop() }
        return "<tostring failed: \(lua.toString(-1) ?? "?")>"
    }

    /// The message of an error value at `i`.
    func describeError(_ i: Int32) -> String {
        if let s = lua.toString(i) { return s }
        return "(error object is a \(lua.typeName(i)) value)"
    }

    /// Forces a full garbage collection.
    public func collectGarbage() { _ = clua_gc_collect(lua.state) }
}
