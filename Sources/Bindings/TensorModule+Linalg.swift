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
        tensorMethod("matmul", doc: """
            x:matmul(y) -> tensor
            Matrix product with torch.matmul's rules (1-d operands, broadcast batch dims).
            Example: local logits = feats:matmul(w:t())
            """) { L, t in try t.matmul(try L.checkTensorLike(2)) },
        tensorMethod("bmm", doc: """
            x:bmm(y) -> tensor
            Batched matrix product of (B, M, K) and (B, K, N) tensors.
            Example: local c = a:bmm(b)
            """) { L, t in try t.bmm(try L.checkTensor(2)) },
    ]
}
