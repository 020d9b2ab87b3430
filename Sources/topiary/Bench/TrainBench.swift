import Foundation
import NN
import Tensor

extension BenchSuites {
    /// bench_train.py's inference cases (infer/…): ResNet-56 (option A) and VGG-16-BN
    /// (models.py layout: conv bias, Linear(512, 10)) on a random batch of 128 3×32×32
    /// images, eval mode, activations not cached; gflops = 2·MACs·128 / time. The
    /// train_step cases need the loss and optimizer; fwd_bwd/… stands in for them.
    static var trainCases: [BenchCase] {
        let batch = Int(ProcessInfo.processInfo.environment["ANCHOR_BATCH"] ?? "") ?? 128
        let models: [(String, () throws -> Sequential)] = [
            ("resnet56", { try Zoo.resnetCifar(depth: 56) }),
            ("vgg16_bn", { try Zoo.vgg(depth: 16, classifier: .linear, convBias: true) }),
        ]
        return models.map { name, make in infer(name, make, batch) } + models.map { name, make in forwardBackward(name, make, batch) }
    }

    /// Inference: eval mode, no caching.
    static func infer(_ name: String, _ make: () throws -> Sequential, _ batch: Int) -> BenchCase {
        let net = try? make()
        let macs = (try? net?.count(inputShape: [1, 3, 32, 32]).macs) ?? 0
        return BenchCase(name: "infer/\(name)", shape: [batch, 3, 32, 32], flops: 2.0 * Double(macs) * Double(batch),
                         extra: ["fwd_macs_per_image": macs, "params": net?.parameterCount ?? 0]) {
            Random.manualSeed(1)
            guard let net else { throw TensorError("could not build \(name)") }
            net.eval()
            let x = try Tensor.randn([batch, 3, 32, 32])
            return { _ = try GradMode.withoutGrad { try net.forward(x) } }
        }
    }

    /// fwd_bwd/{model}: a training step without loss and optimizer (train mode, forward,
    /// backward of a fixed output gradient, gradients cleared first), to compare with
    /// train_step until those exist here.
    static func forwardBackward(_ name: String, _ make: () throws -> Sequential, _ batch: Int) -> BenchCase {
        let net = try? make()
        let macs = (try? net?.count(inputShape: [1, 3, 32, 32]).macs) ?? 0
        return BenchCase(name: "fwd_bwd/\(name)", shape: [batch, 3, 32, 32], flops: 6.0 * Double(macs) * Double(batch),
                         extra: ["fwd_macs_per_image": macs]) {
            Random.manualSeed(1)
            guard let net else { throw TensorError("could not build \(name)") }
            net.train()
            let x = try Tensor.randn([batch, 3, 32, 32])
            let g = try Tensor.randn([batch, 10])
            return {
                net.zeroGrad()
                _ = try net.forward(x)
                _ = try net.backward(g)
            }
        }
    }
}
