import LuaHost
import Tensor

extension TensorModule {
    /// Index-based ops (topk, sort, index_select, gather, cat, stack).
    static let indexMethods: [LuaFunction] = []
}
