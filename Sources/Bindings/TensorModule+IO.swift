import LuaHost
import Tensor

extension TensorModule {
    /// Saving and loading tensors (.npy).
    static let ioMethods: [LuaFunction] = []
}
