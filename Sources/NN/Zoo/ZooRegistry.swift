import Tensor

/// A zoo option value: a number, string or boolean, as the Lua binding passes them.
public enum ZooOption: Sendable {
    case number(Double), string(String), bool(Bool)
}

extension Zoo {
    /// Builds a zoo model by name. Options: `classes` (all), `option` ("A"/"B", CIFAR
    /// ResNets), `classifier` ("mlp"/"linear", VGG), `conv_bias` (VGG), `growth` and
    /// `depth` (DenseNet), `width` and `cifar` (MobileNetV2), `in_channels` (small_cnn).
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
            "small_cnn": ["classes", "in_channels"], "densenet40": ["classes", "growth", "depth"],
            "googlenet": ["classes"], "mobilenetv2": ["classes", "width", "cifar"],
        ]
        let family = name.hasPrefix("vgg") ? ["classes", "classifier", "conv_bias"]
            : ["resnet20", "resnet32", "resnet56", "resnet110"].contains(name) ? ["classes", "option"]
            : name.hasPrefix("resnet") ? ["classes"] : known[name] ?? []
        guard names.contains(name) else {
            throw TensorError("zoo: unknown model '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        if let k = options.keys.sorted().first(where: { !family.contains($0) }) {
            throw TensorError("zoo.\(name): unknown option '\(k)' (known: \(family.sorted().joined(separator: ", ")))")
        }
        let cifarClasses = try integer("classes", 10)
        switch name {
        case "small_cnn": return try smallCNN(classes: cifarClasses, inChannels: try integer("in_channels", 1))
        case "vgg11", "vgg13", "vgg16", "vgg19":
            let c = try string("classifier") ?? "linear"
            guard let kind = VGGClassifier(rawValue: c) else {
                throw TensorError("zoo.\(name): classifier must be 'mlp' or 'linear', got '\(c)'")
            }
            return try vgg(depth: Int(name.dropFirst(3))!, classes: cifarClasses, classifier: kind, convBias: try bool("conv_bias"))
        case "resnet20", "resnet32", "resnet56", "resnet110":
            let o = (try string("option") ?? "A").uppercased()
            guard let opt = ShortcutOption(rawValue: o) else {
                throw TensorError("zoo.\(name): option must be 'A' or 'B', got '\(o)'")
            }
            return try resnetCifar(depth: Int(name.dropFirst(6))!, classes: cifarClasses, option: opt)
        case "resnet18", "resnet34", "resnet50":
            return try resnet(depth: Int(name.dropFirst(6))!, classes: try integer("classes", 1000))
        case "densenet40":
            return try densenet(depth: try integer("depth", 40), growth: try integer("growth", 12), classes: cifarClasses)
        case "googlenet": return try googlenet(classes: cifarClasses)
        default:
            return try mobilenetV2(classes: cifarClasses, width: try number("width") ?? 1, cifar: try bool("cifar") ?? true)
        }
    }
}
