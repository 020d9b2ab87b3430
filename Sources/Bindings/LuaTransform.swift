import CLua
import CLuaShim
import Data
import LuaHost
import Tensor

/// A Lua function used as a loader transform: called as `f(x, y)` with the batch and
/// returning the new `x` (and optionally a new `y`). It runs on the thread that runs Lua,
/// after the native transforms before it, on the stack of the Lua code iterating the
/// loader (`Transform.apply` has no stack at hand: see `LuaCallback.call`), else on a Lua
/// thread of its own. Transforms that iterate loaders nest as deep as Lua's C calls do (an
/// error past that, never a C stack overflow). Its random draws come from the global
/// generator (tensor.manual_seed), in batch order. An error in the function is raised unchanged.
final class LuaTransform: Transform, @unchecked Sendable {
    let function: LuaCallback

    /// Takes the function at stack slot `i`.
    init(_ L: Lua, _ i: Int32) {
        function = LuaCallback(L, i, what: "loader transform", ownThread: true)
    }

    var runsInBackground: Bool { false }
    var description: String { "function" }

    func apply(_ batch: Batch, rng: inout Xoshiro256) throws -> Batch {
        try function.call(nresults: 2, context: "loader transform", { T in
            T.push(batch.input)
            T.push(batch.target)
            return 2
        }) { T in
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
}
