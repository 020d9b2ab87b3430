import LuaHost
import Tensor
import Kernels

extension TensorModule {
    /// Matrix products through OpenBLAS:
    /// ```lua
    /// local y = x:matmul(w)          -- torch.matmul rules (batch dims broadcast)
    /// local z = a:bmm(b)             -- (B, M, K) x (B, K, N)
    /// ```
    static let linalgMethods: [LuaFunction] = [
        tensorMethod("matmul") { L, t in try t.matmul(try L.checkTensorLike(2)) },
        tensorMethod("bmm") { L, t in try t.bmm(try L.checkTensor(2)) },
    ]
}
