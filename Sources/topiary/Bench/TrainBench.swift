import Foundation
import NN
import Tensor

extension BenchSuites {
    /// bench_train.py's cases for ResNet-56 (option A) and VGG-16-BN (models.py layout:
    /// conv bias, Linear(512, 10)) on a random batch of 128 3×32×32 images: infer/… (eval
    /// mode, activations not cached; gflops = 2·MACs·128 / time) and train_step/….
    static var trainCases: [BenchCase] {
        let batch = Int(ProcessInfo.processInfo.environment["ANCHOR_BATCH"] ?? "") ?? 128
        let models: [(String, () throws -> Sequential)] = [
            ("resnet56", { try Zoo.resnetCifar(depth: 56) }),
            ("vgg16_bn", { try Zoo.vgg(depth: 16, classifier: .linear, convBias: true) }),
            ("resnet56_pruned50", { try resnet56(innerKeep: 0.5) }),
        ]
        return models.map { name, make in infer(name, make, batch) } + models.map { name, make in trainStep(name, make, batch) }
    }

    /// ResNet-56 with every block's inner width (conv1's outputs, bn1, conv2's inputs)
    /// max(1, round(planes·innerKeep)), as models.resnet56(inner_keep=): 0.5 is the shape
    /// of Torch-Pruning's local 50 % result (8/16/32 inner channels, 63.0 M MACs).
    static func resnet56(innerKeep: Double) throws -> Sequential {
        let net = try Zoo.resnetCifar(depth: 56)
        for m in net.namedModules() {
            guard let block = m.module as? Residual, let body = block.body as? Sequential,
                  let c1 = body.module(at: "conv1") as? Conv2d, let c2 = body.module(at: "conv2") as? Conv2d else { continue }
            let planes = c2.outChannels, mid = max(1, Int((Double(planes) * innerKeep).rounded(.toNearestOrEven)))
            let conv1 = try Conv2d(c1.inChannels, mid, kernelSize: (3, 3), stride: c1.stride, padding: (1, 1), bias: false)
            let conv2 = try Conv2d(mid, planes, kernelSize: (3, 3), padding: (1, 1), bias: false)
            conv1.weight.value = try Init.kaimingNormal(conv1.weight.value.shape)
            conv2.weight.value = try Init.kaimingNormal(conv2.weight.value.shape)
            try body.replace("conv1", with: conv1)
            try body.replace("bn1", with: try BatchNorm2d(mid))
            try body.replace("conv2", with: conv2)
        }
        return net
    }

    /// Inference: eval mode, no caching; `size`×`size` RGB images.
    static func infer(_ name: String, _ make: () throws -> Sequential, _ batch: Int, size: Int = 32) -> BenchCase {
        let net = try? make()
        let macs = (try? net?.count(inputShape: [1, 3, size, size]).macs) ?? 0
        return BenchCase(name: "infer/\(name)", shape: [batch, 3, size, size], flops: 2.0 * Double(macs) * Double(batch),
                         extra: ["fwd_macs_per_image": macs, "params": net?.parameterCount ?? 0]) {
            Random.manualSeed(1)
            guard let net else { throw TensorError("could not build \(name)") }
            net.eval()
            let x = try Tensor.randn([batch, 3, size, size])
            return { _ = try GradMode.withoutGrad { try net.forward(x) } }
        }
    }

    /// train_step/{model}, as bench_train.py: train mode, gradients cleared, cross-entropy
    /// of the forward pass against random labels, backward, SGD(lr 0.1, momentum 0.9,
    /// weight decay 5e-4) step. The first convolution skips its input gradient, as
    /// autograd does for an input that needs none. gflops = 6·MACs·batch / time.
    static func trainStep(_ name: String, _ make: () throws -> Sequential, _ batch: Int, size: Int = 32) -> BenchCase {
        let net = try? make()
        let macs = (try? net?.count(inputShape: [1, 3, size, size]).macs) ?? 0
        return BenchCase(name: "train_step/\(name)", shape: [batch, 3, size, size], flops: 6.0 * Double(macs) * Double(batch),
                         extra: ["fwd_macs_per_image": macs, "params": net?.parameterCount ?? 0,
                                 "optimizer": "SGD(0.1, m=0.9, wd=5e-4)"]) {
            Random.manualSeed(1)
            guard let net else { throw TensorError("could not build \(name)") }
            net.train()
            (net.namedModules().lazy.compactMap { $0.module as? Conv2d }.first)?.computeInputGradient = false
            let x = try Tensor.randn([batch, 3, size, size])
            let y = try Tensor(uninitialized: [batch], dtype: .int64)
            for i in 0..<batch { y.iptr[i] = Int64(Random.global.nextInt(10)) }
            let params = net.namedParameters().map(\.parameter)
            let sgd = try SGD(lr: 0.1, momentum: 0.9, weightDecay: 5e-4)
            return {
                net.zeroGrad()
                let (_, grad) = try CrossEntropy.compute(logits: try net.forward(x), targets: y)
                _ = try net.backward(grad)
                try sgd.step(params)
            }
        }
    }
}
