import Tensor

extension Zoo {
    /// Shortcut of the downsampling blocks of a CIFAR ResNet.
    public enum ShortcutOption: String, Sendable {
        /// Option A: subsample by 2 and zero-pad channels (no parameters).
        case a = "A"
        /// Option B: 1×1 conv (stride 2) + BN (`shortcut.0`, `shortcut.1`).
        case b = "B"
    }

    /// ResNet-20/32/56/110 for CIFAR (He et al. 2016, §4.2; akamaster's layout and keys:
    /// `conv1`, `bn1`, `layer{1,2,3}.{i}.{conv1,bn1,conv2,bn2}`, `linear`). Depth = 6n + 2.
    /// Convs have no bias; conv and linear weights kaiming_normal (fan_in). `inChannels`: the
    /// images' channels (1 for Fashion-MNIST; any side, the pooling is adaptive).
    public static func resnetCifar(depth: Int, classes: Int = 10, option: ShortcutOption = .a,
                                   inChannels: Int = 3) throws -> Sequential {
        guard depth >= 8, (depth - 2) % 6 == 0 else {
            throw TensorError("resnet: CIFAR depth must be 6n + 2 (20, 32, 56, 110, …), got \(depth)")
        }
        let n = (depth - 2) / 6
        var top: [(String, any Module)] = try Parts.convBNReLU("1", try Parts.conv(inChannels, 16, 3, padding: 1, weights: .kaimingFanIn))
        top[2].0 = "relu"
        var inPlanes = 16
        for (stage, planes) in [16, 32, 64].enumerated() {
            var blocks: [any Module] = []
            for b in 0..<n {
                let stride = stage > 0 && b == 0 ? 2 : 1
                blocks.append(try basicBlock(inPlanes, planes, stride: stride, option: option, downsampleName: "shortcut",
                                             weights: .kaimingFanIn))
                inPlanes = planes
            }
            top.append(("layer\(stage + 1)", Sequential(blocks)))
        }
        let linear = try Linear(64, classes)
        linear.weight.value = try Init.kaimingNormal(linear.weight.value.shape)
        top += [("avgpool", try AdaptiveAvgPool2d(outputSize: (1, 1))), ("flatten", Flatten()), ("linear", linear)]
        return try Sequential(named: top, typeName: "ResNet")
    }

    /// conv3×3–BN–ReLU–conv3×3–BN (+ shortcut) –ReLU.
    static func basicBlock(_ inPlanes: Int, _ planes: Int, stride: Int, option: ShortcutOption,
                           downsampleName: String, weights: WeightInit) throws -> Residual {
        let body = try Sequential(named:
            Parts.convBNReLU("1", Parts.conv(inPlanes, planes, 3, stride: stride, padding: 1, weights: weights))
            + [("conv2", try Parts.conv(planes, planes, 3, padding: 1, weights: weights)), ("bn2", try Parts.bn(planes))])
        var shortcut: (any Module)?
        if stride != 1 || inPlanes != planes {
            switch option {
            case .a:
                let extra = planes - inPlanes
                shortcut = try ShortcutA(stride: stride, padBefore: extra / 2, padAfter: extra - extra / 2)
            case .b:
                shortcut = Sequential([try Parts.conv(inPlanes, planes, 1, stride: stride, weights: weights), try Parts.bn(planes)])
            }
        }
        return try Residual(body: body, shortcut: shortcut, post: ReLU(), shortcutName: downsampleName,
                            postName: "relu2", typeName: "BasicBlock")
    }
}
