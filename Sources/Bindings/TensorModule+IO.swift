import LuaHost
import Tensor

extension TensorModule {
    /// Saving and loading tensors as NumPy .npy files:
    /// ```lua
    /// x:save("x.npy")                -- float32 or int64
    /// local y = tensor.load("x.npy") -- also float64, int32, bool, uint8 ... from numpy
    /// ```
    static let ioMethods: [LuaFunction] = [
        method("save", doc: """
            x:save(path)
            Writes x to a NumPy .npy file (float32 as <f4, int64 as <i8).
            Example: scores:save("scores.npy")  -- np.load("scores.npy") in Python
            """) { L, t in
            let path = try L.checkPath(2)
            guard !path.isEmpty else { throw LuaError.argument(2, "empty file name") }
            try t.save(path)
            return 0
        },
    ]

    static let ioFunctions: [LuaFunction] = [
        LuaFunction("load", doc: """
            tensor.load(path) -> tensor
            Reads a NumPy .npy file: float32/64/16, bool and small ints as float32; int32/int64 as int64.
            Example: local w = tensor.load("weights.npy")
            """) { L in
            let path = try L.checkPath(1)
            guard !path.isEmpty else { throw LuaError.argument(1, "empty file name") }
            L.push(try Tensor.load(path)); return 1
        },
    ]
}
