import Kernels
import Tensor

extension BenchSuites {
    /// bench_gemm.py's cases: square SGEMMs and the im2col shapes of ResNet-56 and
    /// VGG-16 CIFAR layers at batch 128 (forward, per-image, grad-weight, grad-input).
    /// Timed through `Tensor.matmul(_:into:)` with the output allocated once, as
    /// bench_gemm.py's `np.matmul(a, b, out=C)`; the grad cases pass a transposed view
    /// (no copy), as numpy's `A.T` does.
    static var gemmCases: [BenchCase] {
        let batch = 128
        let layers: [(String, Int, Int)] = [
            ("resnet56_s1_16c32", 16, 32), ("resnet56_s2_32c16", 32, 16), ("resnet56_s3_64c8", 64, 8),
            ("vgg16_64c32", 64, 32), ("vgg16_128c16", 128, 16), ("vgg16_256c8", 256, 8),
            ("vgg16_512c4", 512, 4), ("vgg16_512c2", 512, 2),
        ]
        var out: [(String, Int, Int, Int, Bool, Bool)] = []
        for n in [256, 512, 1024, 2048] { out.append(("gemm_sq\(n)", n, n, n, false, false)) }
        for (name, c, hw) in layers { out.append(("im2col_fwd/\(name)", c, c * 9, batch * hw * hw, false, false)) }
        for (name, c, hw) in layers { out.append(("im2col_fwd1/\(name)", c, c * 9, hw * hw, false, false)) }
        for (name, c, hw) in layers { out.append(("im2col_dw/\(name)", c, batch * hw * hw, c * 9, false, true)) }
        for (name, c, hw) in layers { out.append(("im2col_dx/\(name)", c * 9, c, batch * hw * hw, true, false)) }
        return out.map { name, m, k, n, ta, tb in
            BenchCase(name: name, shape: [m, k, n], flops: 2.0 * Double(m) * Double(n) * Double(k),
                      extra: ["trans": (ta ? "T" : "N") + (tb ? "T" : "N")]) {
                Random.manualSeed(0)
                // Operands stored so that the (possibly transposed) view is [M, K] / [K, N].
                let sa = try Tensor.randn(ta ? [k, m] : [m, k]), sb = try Tensor.randn(tb ? [n, k] : [k, n])
                let a = ta ? try sa.transpose(0, 1) : sa, b = tb ? try sb.transpose(0, 1) : sb
                let c = try Tensor(zeros: [m, n])
                return { try a.matmul(b, into: c) }
            }
        }
    }
}
