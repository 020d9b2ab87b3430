import LuaHost
import Tensor

extension TensorModule {
    /// Diagonals, with torch's offsets (k > 0 above the main diagonal, k < 0 below):
    /// ```lua
    /// tensor.new{1, 2, 3}:diag()          -- 3x3 with 1, 2, 3 on the diagonal
    /// m:diag()  m:diag(1)                 -- a matrix's diagonal (or the one above) as a vector
    /// sim:fill_diagonal(0)                -- in place: ignore self-similarity
    /// ```
    static let diagonalMethods: [LuaFunction] = [
        tensorMethod("diag", doc: """
            x:diag(k?) -> tensor
            For a 1-d x of n entries: the (n + |k|) square matrix with x on diagonal k (default 0; > 0 above, < 0 below) and zeros elsewhere. For a 2-d x: a copy of its diagonal k as a 1-d tensor.
            Example: local d = tensor.eye(3):diag()   -- {1, 1, 1}
            """) { L, t in
            try t.diag(L.isNoneOrNil(2) ? 0 : try L.checkInteger(2))
        },
        method("fill_diagonal", doc: """
            x:fill_diagonal(v) -> x
            Sets the main diagonal of x (2-d of any shape, or all dims equal) to the number v, in place, and returns x.
            Example: local sim = tensor.ones(4, 4):fill_diagonal(0)
            """) { L, t in
            try t.fillDiagonal(try valueArgument(L, 2, tensors: false))
            L.pushValue(1); return 1   // x itself, the same Lua value
        },
    ]
}
