import CLua
import CLuaShim
import Foundation

/// A Lua function that Swift keeps and calls back later (train.fit's `on_step`, a loader
/// transform, `print` for help): the one way to call into Lua from a binding.
///
/// - The function is kept in the registry (table `topiary.callbacks`, under an id unique in
///   the process), so it lives as long as the callback does.
/// - `call` runs it under `lua_pcall` (never a raising call from Swift), on the stack it is
///   given or, for Swift code that has no stack at hand (a forward hook, a loader
///   transform), on the stack of the Lua code that called the bound function now running
///   (`topiary_calling_state`: alive and running, where Lua counts the nesting of C calls).
///   A callback made `ownThread` falls back to a Lua thread of its own when no Lua code of
///   its state is running. The stack a callback was made on is never kept: a coroutine's
///   may be suspended or freed by the time it is called.
/// - Callbacks nest at most `maxDepth` deep (a transform iterating a loader whose transform
///   iterates a loader...): deeper is an error, never a C stack overflow.
/// - An error in the function throws `LuaCallbackError`, which `dispatch` raises again
///   unchanged: a string keeps its text, a table keeps its fields. With a `context`, a
///   string error gets the context in front and the traceback of where it was raised.
/// - `release()` drops the registry entry at once; otherwise `deinit` queues it and the
///   next callback made (or `collect`) in that Lua state drops it — deinit may run on
///   another thread or after the state is closed, so it never touches Lua itself.
public final class LuaCallback: @unchecked Sendable {
    /// What the callback is, for messages: "on_step", "loader transform".
    public let what: String
    let id: Int
    /// The main thread of the owning state (where the registry entry lives).
    let owner: OpaquePointer
    /// The callback's own Lua thread, if it has one.
    let thread: OpaquePointer?
    private var released = false

    private static let registryKey = "topiary.callbacks"
    nonisolated(unsafe) private static var nextID = 1
    nonisolated(unsafe) private static var dead: [(owner: OpaquePointer, id: Int)] = []
    private static let lock = NSLock()

    /// Keeps the function at stack slot `i` (the caller has checked that it is a function),
    /// or a value that goes along with one (a criterion's option table: see `pushValue`).
    public init(_ L: Lua, _ i: Int32, what: String, ownThread: Bool = false) {
        let fn = L.absIndex(i)
        LuaCallback.collect(L)
        LuaCallback.lock.lock()
        id = LuaCallback.nextID
        LuaCallback.nextID += 1
        LuaCallback.lock.unlock()
        self.what = what
        owner = L.mainThread
        // registry.callbacks[id] = {function, thread}
        if L.rawField(clua_registryindex(), LuaCallback.registryKey) != LUA_TTABLE {
            L.pop()
            L.newTable()
            L.pushValue(-1)
            L.setField(clua_registryindex(), LuaCallback.registryKey)
        }
        L.newTable(array: 2)
        L.pushValue(fn); L.setIndex(-2, 1)
        if ownThread {
            thread = lua_newthread(L.state)
            L.setIndex(-2, 2)
        } else {
            thread = nil
        }
        L.setIndex(-2, id)
        L.pop()
    }

    deinit {
        guard !released else { return }
        LuaCallback.lock.lock()
        LuaCallback.dead.append((owner, id))
        LuaCallback.lock.unlock()
    }

    /// Drops the registry entry now (call on the thread that runs Lua; `L` any running stack
    /// of the callback's state). Later calls fail.
    public func release(_ L: Lua) {
        guard !released else { return }
        released = true
        LuaCallback.drop(L, [id])
    }

    /// Drops the registry entry now when Lua code of the callback's state is running (see
    /// `calling`), else as `deinit` does. Later calls fail.
    public func release() {
        guard !released else { return }
        if let L = calling { release(L); return }
        released = true
        LuaCallback.lock.lock()
        LuaCallback.dead.append((owner, id))
        LuaCallback.lock.unlock()
    }

    /// Pushes the kept value onto `T` (a running stack of the callback's state).
    public func pushValue(_ T: Lua) throws {
        let base = T.top
        guard !released, T.rawField(clua_registryindex(), LuaCallback.registryKey) == LUA_TTABLE,
              T.rawIndex(-1, id) == LUA_TTABLE else {
            T.setTop(base)
            throw LuaCallbackError(what: what, message: "\(what): the Lua value is no longer available", object: nil)
        }
        T.rawIndex(-1, 1)
        T.insert(base + 1)
        T.setTop(base + 1)
    }

    /// The stack of the Lua code that called the bound function now running, if it is of
    /// this callback's state.
    var calling: Lua? {
        guard let s = topiary_calling_state() else { return nil }
        let L = Lua(s)
        return L.mainThread == owner ? L : nil
    }

    /// How deep callbacks may nest (Lua's own limit on nested C calls is 200).
    public static let maxDepth = 200
    nonisolated(unsafe) private static var depth = 0

    /// Calls the function with the arguments `pushArgs` pushes (it returns how many), and
    /// hands the `nresults` results (at -nresults ... -1) to `readResults`. The stack is
    /// restored afterwards. `L` is the stack to call on; nil means the stack of the Lua code
    /// running now (`calling`), else the callback's own thread. With a `context` ("criterion
    /// 'mine' on group conv1"), a string error reads "context: message" and carries the
    /// traceback of where it was raised.
    public func call<R>(on L: Lua? = nil, nresults: Int32, context: String? = nil, _ pushArgs: (Lua) throws -> Int32,
                        _ readResults: (Lua) throws -> R) throws -> R {
        guard let T = L ?? calling ?? thread.map(Lua.init) else {
            throw LuaCallbackError(what: what, message: "\(what): no Lua code of its state is running to call it from", object: nil)
        }
        guard LuaCallback.depth < LuaCallback.maxDepth else {
            throw LuaCallbackError(what: what, message: "\(what): callbacks nested too deeply (C stack overflow)", object: nil)
        }
        LuaCallback.depth += 1
        defer { LuaCallback.depth -= 1 }
        let base = T.top
        defer { T.setTop(base) }
        guard lua_checkstack(T.state, 2 * LUA_MINSTACK) != 0 else {
            throw LuaCallbackError(what: what, message: "\(what): stack overflow (no room on the Lua stack)", object: nil)
        }
        guard !released, T.rawField(clua_registryindex(), LuaCallback.registryKey) == LUA_TTABLE,
              T.rawIndex(-1, id) == LUA_TTABLE else {
            throw LuaCallbackError(what: what, message: "\(what): the Lua function is no longer available", object: nil)
        }
        T.rawIndex(-1, 1)
        try LuaCallback.invoke(T, nargs: try pushArgs(T), nresults: nresults, what: what, context: context)
        return try readResults(T)
    }

    /// Calls the global function `name` (`print`) with the arguments `pushArgs` pushes,
    /// discarding its results; its error is raised again unchanged by `dispatch`.
    public static func callGlobal(_ L: Lua, _ name: String, _ pushArgs: (Lua) throws -> Int32) throws {
        let base = L.top
        defer { L.setTop(base) }
        guard L.getGlobal(name) == LUA_TFUNCTION else {
            throw LuaCallbackError(what: name, message: "the global '\(name)' is not a function", object: nil)
        }
        try invoke(L, nargs: try pushArgs(L), nresults: 0, what: name)
    }

    /// Calls the function at stack slot `i` of `L` with the values above it as arguments;
    /// its results replace them (a binding that runs a function it was given, such as
    /// `nn.no_grad(fn, ...)`, returns them as its own). Returns how many there are.
    public static func callInPlace(_ L: Lua, _ i: Int32, what: String) throws -> Int32 {
        let fn = L.absIndex(i)
        try invoke(L, nargs: L.top - fn, nresults: LUA_MULTRET, what: what)
        return L.top - fn + 1
    }

    /// The one path from Swift into Lua code: the function and its arguments are on top of
    /// `T`. An interrupt pending (Ctrl-C, a cell timeout) stops it here before the call;
    /// an error becomes `LuaCallbackError` holding the error value.
    static func invoke(_ T: Lua, nargs: Int32, nresults: Int32, what: String, context: String? = nil) throws {
        if topiary_interrupt_pending() != 0 {
            throw LuaCallbackError(what: what, message: "interrupted!", object: nil)
        }
        let status = context.map { topiary_pcall_context(T.state, nargs, nresults, $0) }
            ?? topiary_pcall_raw(T.state, nargs, nresults)
        guard status == LUA_OK else { throw LuaCallbackError(T, what: what) }
    }

    /// Drops the registry entries of callbacks of this state that were deinitialised.
    public static func collect(_ L: Lua) {
        let owner = L.mainThread
        lock.lock()
        let ids = dead.filter { $0.owner == owner }.map(\.id)
        if !ids.isEmpty { dead.removeAll { $0.owner == owner } }
        lock.unlock()
        if !ids.isEmpty { drop(L, ids) }
    }

    /// Forgets queued releases for a state that was closed (its registry is gone).
    static func forget(owner: OpaquePointer) {
        lock.lock(); defer { lock.unlock() }
        dead.removeAll { $0.owner == owner }
    }

    private static func drop(_ L: Lua, _ ids: [Int]) {
        if L.rawField(clua_registryindex(), registryKey) == LUA_TTABLE {
            for id in ids { L.pushNil(); L.setIndex(-2, id) }
        }
        L.pop()
    }
}

/// An error raised by a Lua callback. `dispatch` raises the original error value again
/// (kept in the registry until then); `message` is its text for Swift callers.
public struct LuaCallbackError: Error, CustomStringConvertible {
    public let what: String
    public let message: String
    /// Whether the error value is a string (`message` is then its text).
    public let isString: Bool
    /// Key of the error value in the registry table `topiary.callback.errors`, if kept.
    let object: Int?

    init(what: String, message: String, object: Int?) {
        self.what = what
        self.message = message
        self.object = object
        isString = true
    }

    /// The error raised as the string `message` instead of its value (a string error that
    /// a binding completes, such as with a hint).
    public func replacingMessage(_ message: String) -> LuaCallbackError {
        LuaCallbackError(what: what, message: message, object: nil)
    }

    /// Takes the error value on top of `T`'s stack.
    init(_ T: Lua, what: String) {
        self.what = what
        isString = T.isString(-1)
        message = T.toString(-1) ?? "(error object is a \(T.typeName(-1)) value)"
        LuaCallbackError.lock.lock()
        let key = LuaCallbackError.nextKey
        LuaCallbackError.nextKey += 1
        LuaCallbackError.lock.unlock()
        if T.rawField(clua_registryindex(), LuaCallbackError.registryKey) != LUA_TTABLE {
            T.pop()
            T.newTable()
            T.pushValue(-1)
            T.setField(clua_registryindex(), LuaCallbackError.registryKey)
        }
        T.pushValue(-2)
        T.setIndex(-2, key)
        // Values never raised again (a Swift caller handled the error) are dropped later.
        T.pushNil(); T.setIndex(-2, key - 64)
        T.pop()
        object = key
    }

    public var description: String { message }

    /// Pushes the original error value (and forgets it), or the message if it is gone.
    public func push(_ L: Lua) {
        if let object, L.rawField(clua_registryindex(), LuaCallbackError.registryKey) == LUA_TTABLE {
            L.rawIndex(-1, object)
            L.pushNil(); L.setIndex(-3, object)
            L.remove(-2)
            if !L.isNoneOrNil(-1) { return }
            L.pop()
        } else if object != nil {
            L.pop()
        }
        L.push(message)
    }

    private static let registryKey = "topiary.callback.errors"
    nonisolated(unsafe) private static var nextKey = 1
    private static let lock = NSLock()
}

extension Lua {
    /// The main thread of this state (the same for all its coroutines).
    var mainThread: OpaquePointer {
        lua_rawgeti(state, clua_registryindex(), lua_Integer(LUA_RIDX_MAINTHREAD))
        defer { pop() }
        return lua_tothread(state, -1)
    }
}
