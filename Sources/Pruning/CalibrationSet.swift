import Foundation
import Tensor

extension BatchList {
    /// The calibration set of ../shared/bench/bench_criteria.py (and of the reference
    /// fixtures made with it): `batches` batches of `size` images (size, 3, 32, 32), x =
    /// sin(0.001·i) over the linear index i of all images together, y[n] = n mod 10 with n
    /// counted over all batches.
    public static func sinusoid(batches: Int, size: Int) throws -> BatchList {
        let per = 3 * 32 * 32
        return BatchList(try (0..<batches).map { b in
            let x = try Tensor.allocate([size, 3, 32, 32], zeroed: false, "calibration")
            let base = b * size * per
            x.withFloats { p in for k in 0..<(size * per) { p[k] = Float(Foundation.sin(0.001 * Double(base + k))) } }
            let y = try Tensor.int64(shape: [size], values: (0..<size).map { Int64((b * size + $0) % 10) })
            return (x, y)
        })
    }
}
