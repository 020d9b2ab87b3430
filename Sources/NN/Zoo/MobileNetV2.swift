import Tensor

extension Zoo {
    /// MobileNetV2 in torchvision's layout and keys (`features.0.0` stem conv,
    /// `features.{i}.conv.{j}` inverted residuals, `features.18` 1×1 to 1280,
    /// `classifier.1` Linear). With `cifar` the stem and the second stage keep stride 1
    /// (kuangliu's CIFAR adaptation) for 32×32 inputs. `width` scales channels (rounded
    /// to multiples of 8). `inChannels`: the images' channels (any side: the pooling is adaptive).
    public static func mobilenetV2(classes: Int = 10, width: Double = 1, cifar: Bool = true,
                                   inChannels: Int = 3) throws -> Sequential {
        guard width > 0 else { throw TensorError("mobilenetv2: width must be positive, got \(width)") }
        func cbr(_ a: Int, _ b: Int, _ k: Int, stride: Int = 1, groups: Int = 1) throws -> Sequential {
            Sequential([try Parts.conv(a, b, k, stride: stride, padding: (k - 1) / 2, groups: groups, weights: .kaimingFanOut),
                        try Parts.bn(b), ReLU6()], typeName: "Conv2dNormActivation")
        }
        let settings: [(t: Int, c: Int, n: Int, s: Int)] = [
            (1, 16, 1, 1), (6, 24, 2, cifar ? 1 : 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
        ]
        var cin = Parts.divisible(32 * width)
        let last = Parts.divisible(1280 * max(1, width))
        var features: [any Module] = [try cbr(inChannels, cin, 3, stride: cifar ? 1 : 2)]
        for (t, c, n, s) in settings {
            let cout = Parts.divisible(Double(c) * width)
            for i in 0..<n {
                let stride = i == 0 ? s : 1, hidden = cin * t
                var layers: [any Module] = []
                if t != 1 { layers.append(try cbr(cin, hidden, 1)) }
                layers += [try cbr(hidden, hidden, 3, stride: stride, groups: hidden),
                           try Parts.conv(hidden, cout, 1, weights: .kaimingFanOut), try Parts.bn(cout)]
                features.append(try Parts.invertedResidual("conv", layers, residual: stride == 1 && cin == cout))
                cin = cout
            }
        }
        features.append(try cbr(cin, last, 1))
        let fc = try Linear(last, classes)
        fc.weight.value = try Init.normal(fc.weight.value.shape, std: 0.01)
        fc.bias?.value = try Tensor(zeros: [classes])
        return try Sequential(named: [
            ("features", Sequential(features)),
            ("avgpool", try AdaptiveAvgPool2d(outputSize: (1, 1))), ("flatten", Flatten()),
            ("classifier", Sequential([try Dropout(p: 0.2), fc])),
        ], typeName: "MobileNetV2")
    }
}
