import Tensor

/// A zoo option value: a number, string or boolean, or a list of them (VGG's `cfg`), as the
/// Lua binding passes them.
public indirect enum ZooOption: Sendable, CustomStringConvertible {
    case number(Double), string(String), bool(Bool), list([ZooOption])

    public var description: String {
        switch self {
        case .number(let v): return v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
        case .string(let s): return "\"\(s)\""
        case .bool(let b): return "\(b)"
        case .list(let l): return "{" + l.map(\.description).joined(separator: ", ") + "}"
        }
    }
}

extension Zoo {
    /// Builds a zoo model by name. Options: `classes` (all), `option` ("A"/"B", CIFAR
    /// ResNets), `classifier` ("mlp"/"linear", VGG), `conv_bias` (VGG), `growth` and
    /// `depth` (DenseNet), `width` and `cifar` (MobileNetV2 and V3), `in_channels` (all: the images'
    /// channels, 1 for Fashion-MNIST), `input` (the image side, where the network's last
    /// pooling depends on it: vgg, densenet40, googlenet), `cfg` (vgg: conv widths and "M" for
    /// a max-pool).
    public static func make(_ name: String, options: [String: ZooOption]) throws -> Sequential {
        func number(_ k: String) throws -> Double? {
            guard let v = options[k] else { return nil }
            guard case .number(let d) = v else { throw TensorError("zoo.\(name): option '\(k)' must be a number") }
            return d
        }
        func integer(_ k: String, _ d: Int) throws -> Int {
            guard let v = try number(k) else { return d }
            guard v == v.rounded(), v > 0, v < 1e9 else {
                throw TensorError("zoo.\(name): option '\(k)' must be a positive integer, got \(v)")
            }
            return Int(v)
        }
        func string(_ k: String) throws -> String? {
            guard let v = options[k] else { return nil }
            guard case .string(let s) = v else { throw TensorError("zoo.\(name): option '\(k)' must be a string") }
            return s
        }
        func bool(_ k: String) throws -> Bool? {
            guard let v = options[k] else { return nil }
            guard case .bool(let b) = v else { throw TensorError("zoo.\(name): option '\(k)' must be a boolean") }
            return b
        }
        let known: [String: Set<String>] = [
            "small_cnn": ["classes", "in_channels"], "densenet40": ["classes", "growth", "depth", "in_channels", "input"],
            "googlenet": ["classes", "in_channels", "input"], "mobilenetv2": ["classes", "width", "cifar", "in_channels"],
            "mobilenetv3_small": ["classes", "width", "cifar", "in_channels"],
            "mobilenetv3_large": ["classes", "width", "cifar", "in_channels"],
        ]
        let family = name == "vgg" ? ["cfg", "classes", "classifier", "conv_bias", "in_channels", "input"]
            : name.hasPrefix("vgg") ? ["classes", "classifier", "conv_bias", "in_channels", "input"]
            : ["resnet20", "resnet32", "resnet56", "resnet110"].contains(name) ? ["classes", "option", "in_channels"]
            : name.hasPrefix("resnet") ? ["classes", "in_channels"] : known[name] ?? []
        guard names.contains(name) else {
            throw TensorError("zoo: unknown model '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        if let k = options.keys.sorted().first(where: { !family.contains($0) }) {
            throw TensorError("zoo.\(name): unknown option '\(k)' (known: \(family.sorted().joined(separator: ", ")))")
        }
        let cifarClasses = try integer("classes", 10)
        /// The images' channels and side: bounded before any weight is made.
        func bounded(_ k: String, _ d: Int, _ most: Int) throws -> Int {
            let v = try integer(k, d)
            guard v <= most else { throw TensorError("zoo.\(name): option '\(k)' must be from 1 to \(most), got \(v)") }
            return v
        }
        let inChannels = try bounded("in_channels", name == "small_cnn" ? 1 : 3, 16384), input = try bounded("input", 32, 4096)
        switch name {
        case "small_cnn": return try smallCNN(classes: cifarClasses, inChannels: inChannels)
        case "vgg", "vgg11", "vgg13", "vgg16", "vgg19":
            let c = try string("classifier") ?? "linear"
            guard let kind = VGGClassifier(rawValue: c) else {
                throw TensorError("zoo.\(name): classifier must be 'mlp' or 'linear', got '\(c)'")
            }
            guard name == "vgg" else {
                return try vgg(depth: Int(name.dropFirst(3))!, classes: cifarClasses, classifier: kind, convBias: try bool("conv_bias"),
                               inChannels: inChannels, input: input)
            }
            return try vgg(cfg: try vggConfiguration(options["cfg"]), inChannels: inChannels,
                           input: input, classes: cifarClasses, classifier: kind, convBias: try bool("conv_bias"))
        case "resnet20", "resnet32", "resnet56", "resnet110":
            let o = (try string("option") ?? "A").uppercased()
            guard let opt = ShortcutOption(rawValue: o) else {
                throw TensorError("zoo.\(name): option must be 'A' or 'B', got '\(o)'")
            }
            return try resnetCifar(depth: Int(name.dropFirst(6))!, classes: cifarClasses, option: opt, inChannels: inChannels)
        case "resnet18", "resnet34", "resnet50":
            return try resnet(depth: Int(name.dropFirst(6))!, classes: try integer("classes", 1000), inChannels: inChannels)
        case "densenet40":
            // DenseNet-BC goes to 250 layers and a growth of 48: 1000 and 512 leave room, not hours
            return try densenet(depth: try bounded("depth", 40, 1000), growth: try bounded("growth", 12, 512), classes: cifarClasses,
                                inChannels: inChannels, input: input)
        case "googlenet": return try googlenet(classes: cifarClasses, inChannels: inChannels, input: input)
        default:
            let width = try number("width") ?? 1
            // published multipliers run 0.35…1.4; 4 (5,120-channel last conv) leaves room to study
            guard width.isFinite, width > 0, width <= 4 else {
                throw TensorError("zoo.\(name): option 'width' must be a multiplier in (0, 4], got \(width)")
            }
            if name.hasPrefix("mobilenetv3") {
                return try mobilenetV3(small: name == "mobilenetv3_small", classes: cifarClasses, width: width,
                                       cifar: try bool("cifar") ?? true, inChannels: inChannels)
            }
            return try mobilenetV2(classes: cifarClasses, width: width, cifar: try bool("cifar") ?? true,
                                   inChannels: inChannels)
        }
    }
}

extension Zoo {
    /// VGG's `cfg` option: conv widths (positive integers) and "M" for a 2×2 max-pool, as 0.
    static func vggConfiguration(_ option: ZooOption?) throws -> [Int] {
        guard case .list(let entries)? = option, !entries.isEmpty else {
            throw TensorError("zoo.vgg: option 'cfg' must be a list of conv widths and \"M\" (max-pool), e.g. {64, \"M\", 128, \"M\"}")
        }
        return try entries.enumerated().map { i, e in
            switch e {
            case .string("M"), .string("m"): return 0
            case .number(let v) where v == v.rounded() && v >= 1 && v <= 16384: return Int(v)
            default: throw TensorError("zoo.vgg: cfg entry \(i + 1) must be a width from 1 to 16384 or \"M\", got \(e)")
            }
        }
    }
}
