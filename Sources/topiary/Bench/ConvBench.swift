import Kernels
import Tensor

extension BenchSuites {
    /// bench_conv_fwd.py and bench_conv_bwd.py's cases: 3×3, stride 1, pad 1, no bias,
    /// batch 128, NCHW, on the ResNet-56 and VGG-16 CIFAR layer shapes and the pruned
    /// (halved, odd channel counts) ones (models.CONV_LAYERS).
    /// conv_bwd computes dx and dw, conv_bwd_dx only dx, conv_bwd_dw only dw; gflops counts
    /// 2·N·Cout·Cin·9·H·W per gradient. conv_fwd keeps Winograd's weight transform between
    /// calls, as inference with fixed weights does; the backward cases transform every call,
    /// as a training step must.
    static var convCases: [BenchCase] {
        let batch = 128
        let layers: [(String, Int, Int, Int)] = [
            ("resnet56_first_3to16c32", 3, 16, 32), ("resnet56_s1_16c32", 16, 16, 32),
            ("resnet56_s2_32c16", 32, 32, 16), ("resnet56_s3_64c8", 64, 64, 8),
            ("vgg16_first_3to64c32", 3, 64, 32), ("vgg16_64c32", 64, 64, 32),
            ("vgg16_128c16", 128, 128, 16), ("vgg16_256c8", 256, 256, 8),
            ("vgg16_512c4", 512, 512, 4), ("vgg16_512c2", 512, 512, 2),
            // shapes that pruning leaves behind: halved and odd channel counts
            ("pruned_s1_16to8c32", 16, 8, 32), ("pruned_s1_8to16c32", 8, 16, 32),
            ("pruned_s1_16to11c32", 16, 11, 32), ("pruned_s2_32to23c16", 32, 23, 16),
            ("pruned_s3_64to45c8", 64, 45, 8),
        ]
        var cases: [BenchCase] = []
        for (name, cin, cout, hw) in layers {
            let shape = [batch, cin, hw, hw, cout]
            let flops = 2.0 * Double(batch * cout * cin * 9 * hw * hw)
            func setup() throws -> (ConvGeometry, Tensor, Tensor, Tensor) {
                Random.manualSeed(0)
                let g = try ConvGeometry(batch: batch, inChannels: cin, height: hw, width: hw, outChannels: cout,
                                         kernel: (3, 3), padding: (1, 1))
                let x = try Tensor.randn([batch, cin, hw, hw])
                let w = try Tensor.randn([cout, cin, 3, 3])
                let dy = try Tensor.randn([batch, cout, hw, hw])
                return (g, x, w, dy)
            }
            cases.append(BenchCase(name: "conv_fwd/\(name)", shape: shape, flops: flops, extra: ["layout": "NCHW"]) {
                let (g, x, w, _) = try setup()
                let y = try Tensor(zeros: [batch, cout, hw, hw])
                return { try Conv2dKernel.forward(g, x: x.ptr, weight: w.ptr, bias: nil, y: y.ptr) }
            })
            for (prefix, wantDx, wantDw) in [("conv_bwd", true, true), ("conv_bwd_dx", true, false), ("conv_bwd_dw", false, true)] {
                let n = (wantDx ? 1.0 : 0) + (wantDw ? 1.0 : 0)
                cases.append(BenchCase(name: "\(prefix)/\(name)", shape: shape, flops: n * flops,
                                       extra: ["outputs": [wantDx ? "dx" : nil, wantDw ? "dw" : nil].compactMap { $0 }.joined(separator: "+")]) {
                    let (g, x, w, dy) = try setup()
                    let dx = try Tensor(zeros: x.shape), dw = try Tensor(zeros: w.shape)
                    // a training step changes the weights: its ∂L/∂x transforms them every call
                    return {
                        try WinogradWeightCache.bypassed {
                            try Conv2dKernel.backward(g, x: x.ptr, weight: w.ptr, dy: dy.ptr, dx: wantDx ? dx.ptr : nil,
                                                      dw: wantDw ? dw.ptr : nil, db: nil)
                        }
                    }
                })
            }
        }
        return cases
    }
}
