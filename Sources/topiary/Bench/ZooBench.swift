import Foundation
import NN
import Tensor

extension BenchSuites {
    /// The zoo networks bench_train.py does not cover, as `nn.zoo` builds them: DenseNet-40,
    /// GoogLeNet and MobileNetV2 for CIFAR (32×32, a batch of `ANCHOR_ZOO_BATCH`, default 32:
    /// a GoogLeNet image is 1.5 G multiply-adds) and torchvision's ResNet-18 and ResNet-50 on
    /// 224×224 ImageNet images (a quarter of that batch). infer/… and train_step/… are timed
    /// as the train suite times ResNet-56. Scripts/bench_zoo.py times PyTorch on the same
    /// networks: it has `topiary` save each one and rebuilds it with Scripts/topiary_torch.py,
    /// so both sides run the same layers.
    static var zooCases: [BenchCase] {
        zooNetworks.map { n in infer(n.name, { try Zoo.make(n.name, options: [:]) }, n.batch, size: n.size) }
            + zooNetworks.map { n in trainStep(n.name, { try Zoo.make(n.name, options: [:]) }, n.batch, size: n.size) }
    }

    /// The networks of the zoo suite (`nn.zoo` names, the case names' suffix), the images a
    /// case takes and their side.
    static var zooNetworks: [(name: String, batch: Int, size: Int)] {
        let b = zooBatch
        return [("densenet40", b, 32), ("googlenet", b, 32), ("mobilenetv2", b, 32), ("mobilenetv3_small", b, 32),
                ("resnet18", max(1, b / 4), 224), ("resnet50", max(1, b / 4), 224)]
    }

    /// `ANCHOR_ZOO_BATCH` (1…1024), else 32.
    static var zooBatch: Int {
        guard let s = ProcessInfo.processInfo.environment["ANCHOR_ZOO_BATCH"], let b = Int(s), (1...1024).contains(b) else {
            return 32
        }
        return b
    }
}
