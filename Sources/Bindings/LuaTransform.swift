import CLua
import CLuaShim
import Data
import Foundation
import LuaHost
import Tensor

/// A Lua function used as a loader transform: called as `f(x, y)` with the batch and
/// returning the new `x` (and optionally a new `y`). It runs on the thread that runs Lua,
/// after the native transforms before it, through a Lua thread of its own. Its random
/// draws come from the global generator (tensor.manual_seed), in batch order.
final class LuaTransform: Transform, @unchecked Sendable {
    let id: Int
    let thread: OpaquePointer

    nonisolated(unsafe) static var nextID = 1
    nonisolated(unsafe) static var dead: [Int] = []
    static let lock = NSLock()
    static let registryKey = "topiary.data.luatransforms"

    /// Takes the function at stack slot `i`.
    init(_ L: Lua, _ i: Int32) {
        LuaTransform.collect(L)
        LuaTransform.lock.lock()
        id = LuaTransform.nextID
        LuaTransform.nextID += 1
        LuaTransform.lock.unlock()
        let fn = L.absIndex(i)
        // registry[key][id] = {function, thread}
        if L.rawField(clua_registryindex(), LuaTransform.registryKey) != LUA_TTABLE {
            L.pop()
            L.newTable()
            L.pushValue(-1)
            L.setField(clua_registryindex(), LuaTransform.registryKey)
        }
        L.newTable(array: 2)
        L.pushValue(fn); L.setIndex(-2, 1)
        thread = lua_newthread(L.state)!
        L.setIndex(-2, 2)
        L.setIndex(-2, id)
        L.pop()
    }

    deinit {
        LuaTransform.lock.lock()
        LuaTransform.dead.append(id)
        LuaTransform.lock.unlock()
    }

    /// Drops the registry entries of transforms that no longer exist.
    static func collect(_ L: Lua) {
        lock.lock()
        let ids = dead
        dead.removeAll()
        lock.unlock()
        guard !ids.isEmpty else { return }
        if L.rawField(clua_registryindex(), registryKey) == LUA_TTABLE {
            for id in ids { L.pushNil(); L.setIndex(-2, id) }
        }
        L.pop()
    }

    var runsInBackground: Bool { false }
    var description: String { "function" }

    func apply(_ batch: Batch, rng: inout Xoshiro256) throws -> Batch {
        let T = Lua(thread)
        T.setTop(0)
        defer { T.setTop(0) }
        guard T.rawField(clua_registryindex(), LuaTransform.registryKey) == LUA_TTABLE,
              T.rawIndex(-1, id) == LUA_TTABLE else {
            throw TensorError("loader transform: the Lua function is no longer available")
        }
        T.rawIndex(-1, 1)
        T.push(batch.input)
        T.push(batch.target)
        guard topiary_pcall_raw(thread, 2, 2) == LUA_OK else {
            throw TensorError("loader transform: \(T.toString(-1) ?? "error object is a \(T.typeName(-1)) value")")
        }
        guard let x = try T.tensor(-2) else {
            throw TensorError("loader transform: the function must return the batch tensor (and optionally the targets), got \(T.typeName(-2))")
        }
        if T.isNoneOrNil(-1) { return Batch(input: x, target: batch.target) }
        guard let y = try T.tensor(-1) else {
            throw TensorError("loader transform: the second result must be the targets tensor or nil, got \(T.typeName(-1))")
        }
        return Batch(input: x, target: y)
    }
}
