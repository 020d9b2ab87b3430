import Tensor

extension Zoo {
    /// ResNet-18/34/50 in torchvision's ImageNet layout and keys (`conv1` 7×7/2, `bn1`,
    /// `maxpool`, `layer1`…`layer4`, `fc`; blocks `conv1`, `bn1`, …, `downsample.0/1`).
    /// ResNet-50 uses bottleneck blocks (1×1, 3×3 with the stride, 1×1 ×4). Conv weights
    /// kaiming_normal (fan_out), as torchvision. `inChannels`: the images' channels.
    public static func resnet(depth: Int, classes: Int = 1000, inChannels: Int = 3) throws -> Sequential {
        let layout: [Int: ([Int], Bool)] = [18: ([2, 2, 2, 2], false), 34: ([3, 4, 6, 3], false), 50: ([3, 4, 6, 3], true)]
        guard let (counts, bottleneck) = layout[depth] else {
            throw TensorError("resnet: ImageNet depth must be 18, 34 or 50, got \(depth)")
        }
        var top: [(String, any Module)] = try Parts.convBNReLU("1", try Parts.conv(inChannels, 64, 7, stride: 2, padding: 3, weights: .kaimingFanOut))
        top[2].0 = "relu"
        top.append(("maxpool", try MaxPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1))))
        var inPlanes = 64
        let expansion = bottleneck ? 4 : 1
        for (stage, planes) in [64, 128, 256, 512].enumerated() {
            var blocks: [any Module] = []
            for b in 0..<counts[stage] {
                let stride = stage > 0 && b == 0 ? 2 : 1
                if bottleneck {
                    blocks.append(try bottleneckBlock(inPlanes, planes, stride: stride))
                } else {
                    blocks.append(try basicBlock(inPlanes, planes, stride: stride, option: .b, downsampleName: "downsample",
                                                 weights: .kaimingFanOut))
                }
                inPlanes = planes * expansion
            }
            top.append(("layer\(stage + 1)", Sequential(blocks)))
        }
        top += [("avgpool", try AdaptiveAvgPool2d(outputSize: (1, 1))), ("flatten", Flatten()),
                ("fc", try Linear(512 * expansion, classes))]
        return try Sequential(named: top, typeName: "ResNet")
    }

    /// 1×1 → 3×3 (stride) → 1×1 (×4 channels), BN after each, ReLU between and after the sum.
    static func bottleneckBlock(_ inPlanes: Int, _ planes: Int, stride: Int) throws -> Residual {
        let out = planes * 4
        let body = try Sequential(named:
            Parts.convBNReLU("1", Parts.conv(inPlanes, planes, 1, weights: .kaimingFanOut))
            + Parts.convBNReLU("2", Parts.conv(planes, planes, 3, stride: stride, padding: 1, weights: .kaimingFanOut))
            + [("conv3", try Parts.conv(planes, out, 1, weights: .kaimingFanOut)), ("bn3", try Parts.bn(out))])
        var shortcut: (any Module)?
        if stride != 1 || inPlanes != out {
            shortcut = Sequential([try Parts.conv(inPlanes, out, 1, stride: stride, weights: .kaimingFanOut), try Parts.bn(out)])
        }
        return try Residual(body: body, shortcut: shortcut, post: ReLU(), shortcutName: "downsample",
                            postName: "relu3", typeName: "Bottleneck")
    }
}
