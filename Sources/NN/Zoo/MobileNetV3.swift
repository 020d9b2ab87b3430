import Tensor

extension Zoo {
    /// One inverted-residual block of MobileNetV3: input, kernel, expanded and output
    /// channels, squeeze-and-excitation, Hardswish (else ReLU), stride.
    struct V3Block {
        let input: Int, kernel: Int, expanded: Int, output: Int, se: Bool, hardswish: Bool, stride: Int
        init(_ i: Int, _ k: Int, _ e: Int, _ o: Int, _ se: Bool, _ act: String, _ s: Int) {
            input = i; kernel = k; expanded = e; output = o; self.se = se; hardswish = act == "HS"; stride = s
        }
    }

    /// The two published configurations (Howard et al. 2019, as torchvision writes them) and
    /// the width of the classifier's hidden layer.
    static func v3Settings(small: Bool) -> (blocks: [V3Block], last: Int) {
        small ? ([V3Block(16, 3, 16, 16, true, "RE", 2), V3Block(16, 3, 72, 24, false, "RE", 2),
                  V3Block(24, 3, 88, 24, false, "RE", 1), V3Block(24, 5, 96, 40, true, "HS", 2),
                  V3Block(40, 5, 240, 40, true, "HS", 1), V3Block(40, 5, 240, 40, true, "HS", 1),
                  V3Block(40, 5, 120, 48, true, "HS", 1), V3Block(48, 5, 144, 48, true, "HS", 1),
                  V3Block(48, 5, 288, 96, true, "HS", 2), V3Block(96, 5, 576, 96, true, "HS", 1),
                  V3Block(96, 5, 576, 96, true, "HS", 1)], 1024)
              : ([V3Block(16, 3, 16, 16, false, "RE", 1), V3Block(16, 3, 64, 24, false, "RE", 2),
                  V3Block(24, 3, 72, 24, false, "RE", 1), V3Block(24, 5, 72, 40, true, "RE", 2),
                  V3Block(40, 5, 120, 40, true, "RE", 1), V3Block(40, 5, 120, 40, true, "RE", 1),
                  V3Block(40, 3, 240, 80, false, "HS", 2), V3Block(80, 3, 200, 80, false, "HS", 1),
                  V3Block(80, 3, 184, 80, false, "HS", 1), V3Block(80, 3, 184, 80, false, "HS", 1),
                  V3Block(80, 3, 480, 112, true, "HS", 1), V3Block(112, 3, 672, 112, true, "HS", 1),
                  V3Block(112, 5, 672, 160, true, "HS", 2), V3Block(160, 5, 960, 160, true, "HS", 1),
                  V3Block(160, 5, 960, 160, true, "HS", 1)], 1280)
    }

    /// MobileNetV3-Small or -Large in torchvision's layout and keys (`features.0` stem,
    /// `features.{i}.block.{j}` inverted residuals with squeeze-and-excitation
    /// (`…block.{j}.fc1`), Hardswish and Hardsigmoid, `features.{last}` 1×1 conv to 6× the last
    /// width, `classifier.0` / `classifier.3` Linears). BatchNorms take eps 0.001 and momentum
    /// 0.01 as there. With `cifar` the stem and the first stride-2 block keep stride 1 (as
    /// MobileNetV2's CIFAR form), so 32×32 inputs end on 4×4 maps. `width` scales channels
    /// (multiples of 8).
    public static func mobilenetV3(small: Bool, classes: Int = 10, width: Double = 1, cifar: Bool = true,
                                   inChannels: Int = 3) throws -> Sequential {
        let name = small ? "mobilenetv3_small" : "mobilenetv3_large"
        guard width.isFinite, width > 0 else { throw TensorError("\(name): width must be positive, got \(width)") }
        func adjust(_ c: Int) -> Int { Parts.divisible(Double(c) * width) }
        func bn(_ c: Int) throws -> BatchNorm2d { try BatchNorm2d(c, eps: 0.001, momentum: 0.01) }
        func cna(_ a: Int, _ b: Int, _ k: Int, stride: Int = 1, groups: Int = 1, act: (any Module)?) throws -> Sequential {
            var parts: [any Module] = [try Parts.conv(a, b, k, stride: stride, padding: (k - 1) / 2, groups: groups,
                                                      weights: .kaimingFanOut), try bn(b)]
            if let act { parts.append(act) }
            return Sequential(parts, typeName: "Conv2dNormActivation")
        }
        let (settings, lastWidth) = v3Settings(small: small)
        let firstStride2 = settings.firstIndex { $0.stride == 2 }
        var features: [any Module] = [try cna(inChannels, adjust(settings[0].input), 3, stride: cifar ? 1 : 2, act: Hardswish())]
        for (i, b) in settings.enumerated() {
            let cin = adjust(b.input), hidden = adjust(b.expanded), cout = adjust(b.output)
            let stride = cifar && i == firstStride2 ? 1 : b.stride
            func act() -> any Module { b.hardswish ? Hardswish() : ReLU() }
            var layers: [any Module] = []
            if hidden != cin { layers.append(try cna(cin, hidden, 1, act: act())) }
            layers.append(try cna(hidden, hidden, b.kernel, stride: stride, groups: hidden, act: act()))
            if b.se {
                layers.append(try SqueezeExcite(channels: hidden, squeezeChannels: Parts.divisible(Double(hidden / 4)),
                                                scaleActivation: Hardsigmoid(), typeName: "SqueezeExcitation"))
            }
            layers.append(try cna(hidden, cout, 1, act: nil))
            features.append(try Parts.invertedResidual("block", layers, residual: stride == 1 && cin == cout))
        }
        let lastIn = adjust(settings[settings.count - 1].output), lastConv = 6 * lastIn, hiddenFC = adjust(lastWidth)
        features.append(try cna(lastIn, lastConv, 1, act: Hardswish()))
        let fc1 = try Linear(lastConv, hiddenFC), fc2 = try Linear(hiddenFC, classes)
        for l in [fc1, fc2] {
            l.weight.value = try Init.normal(l.weight.value.shape, std: 0.01)
            l.bias?.value = try Tensor(zeros: [l.outFeatures])
        }
        return try Sequential(named: [
            ("features", Sequential(features)),
            ("avgpool", try AdaptiveAvgPool2d(outputSize: (1, 1))), ("flatten", Flatten()),
            ("classifier", Sequential([fc1, Hardswish(), try Dropout(p: 0.2), fc2])),
        ], typeName: small ? "MobileNetV3Small" : "MobileNetV3Large")
    }
}
