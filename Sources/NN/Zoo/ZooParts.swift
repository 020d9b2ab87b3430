import Tensor

/// Building blocks shared by the zoo's model definitions.
enum Parts {
    /// A Conv2d with square kernel, stride, padding and a chosen initialisation.
    static func conv(_ cin: Int, _ cout: Int, _ k: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1,
                     bias: Bool = false, weights: WeightInit = .pytorch) throws -> Conv2d {
        let c = try Conv2d(cin, cout, kernelSize: (k, k), stride: (stride, stride), padding: (padding, padding),
                           groups: groups, bias: bias)
        switch weights {
        case .pytorch: break
        case .kaimingFanIn: c.weight.value = try Init.kaimingNormal(c.weight.value.shape)
        case .kaimingFanOut: c.weight.value = try Init.kaimingNormal(c.weight.value.shape, fanOut: true)
        }
        if weights != .pytorch, let b = c.bias { b.value = try Tensor(zeros: b.value.shape) }
        return c
    }

    static func bn(_ c: Int) throws -> BatchNorm2d { try BatchNorm2d(c) }

    /// A MobileNet inverted-residual block: `layers` as the child `name` of a block typed
    /// "InvertedResidual" — a Residual with an identity shortcut when it keeps the shape, else
    /// a plain Sequential (torchvision's keys either way: `features.3.conv.0.0.weight`).
    static func invertedResidual(_ name: String, _ layers: [any Module], residual: Bool) throws -> any Module {
        let body = try Sequential(named: [(name, Sequential(layers))])
        if residual { return try Residual(body: body, typeName: "InvertedResidual") }
        body.typeName = "InvertedResidual"
        return body
    }

    /// torchvision's `_make_divisible`: `v` rounded to a multiple of `d` (at least `d`), never
    /// more than 10 % below `v` (MobileNets' widths).
    static func divisible(_ v: Double, _ d: Int = 8) -> Int {
        var n = max(d, Int(v + Double(d) / 2) / d * d)
        if Double(n) < 0.9 * v { n += d }
        return n
    }

    /// conv → BN → ReLU as named children of a Sequential (`conv1`, `bn1`, `relu1`).
    static func convBNReLU(_ suffix: String, _ conv: Conv2d) throws -> [(String, any Module)] {
        [("conv" + suffix, conv), ("bn" + suffix, try bn(conv.outChannels)), ("relu" + suffix, ReLU())]
    }
}

/// How the zoo initialises conv weights (BN is always γ = 1, β = 0).
enum WeightInit: Equatable {
    /// PyTorch's layer default (kaiming_uniform, a = √5).
    case pytorch
    /// kaiming_normal_, fan_in, ReLU gain (akamaster's CIFAR ResNets).
    case kaimingFanIn
    /// kaiming_normal_, fan_out, ReLU gain (torchvision, HRank's DenseNet).
    case kaimingFanOut
}

/// The models of `nn.zoo`; every builder takes the class count.
public enum Zoo {
    /// Names accepted by `Zoo.make`.
    public static let names = ["small_cnn", "vgg", "vgg11", "vgg13", "vgg16", "vgg19", "resnet20", "resnet32", "resnet56",
                               "resnet110", "resnet18", "resnet34", "resnet50", "densenet40", "googlenet", "mobilenetv2",
                               "mobilenetv3_small", "mobilenetv3_large"]
}
