import Tensor
import Text

/// A model's architecture as JSON, stored in a weights file's metadata so `nn.load`
/// rebuilds the model without its original definition. Channel counts are read from
/// the current weights, so a pruned model describes its pruned shape.
///
/// A layer is `{"class": "Conv2d", "type": "Conv2d", <its hyper-parameters under
/// PyTorch's names>}` (see `LayerDescription`); containers list their children as
/// `[name, spec]` pairs. Files written before the names followed PyTorch's (`in`,
/// `kernel`, `features`, …) still load.
public enum ModelSpec {
    public static let metadataKey = "topiary.model"

    /// The architecture of `model` as a JSON string (keys sorted).
    public static func encode(_ model: any Module) throws -> String {
        try spec(model).text
    }

    /// Rebuilds a model (freshly initialised) from `encode`'s JSON.
    public static func decode(_ json: String) throws -> any Module {
        try Nesting.checkJSONDepth(json, "nn.load")
        let obj: JSON
        do { obj = try JSON.parse(json, limits: .init(depth: 512)) } catch {
            throw TensorError("nn.load: the model description is not valid JSON (\(error))")
        }
        guard obj.object != nil else { throw TensorError("nn.load: the model description is not a JSON object") }
        return try build(obj, path: "model")
    }

    /// A new model of the same architecture as `model` (freshly initialised), without
    /// going through JSON text.
    public static func rebuild(_ model: any Module) throws -> any Module {
        try build(try spec(model), path: "model")
    }

    // MARK: Encoding

    /// The description of `m`: an object with sorted keys.
    static func spec(_ m: any Module) throws -> JSON {
        var s: [String: JSON] = ["type": .string(m.typeName)]
        if let d = m.layerDescription {
            s["class"] = .string(type(of: d).specClass)
            for (k, v) in d.hyperParameters { s[k] = json(v) }
        } else {
            switch m {
            case let q as Sequential:
                s["class"] = .string("Sequential")
                s["children"] = .array(try q.children.map { .array([.string($0.name), try spec($0.module)]) })
            case let c as Concat:
                s["class"] = .string("Concat")
                s["children"] = .array(try c.branches.map { .array([.string($0.name), try spec($0.module)]) })
            case let e as SqueezeExcite:
                s["class"] = .string("SqueezeExcite")
                s["children"] = .array(try e.parts.map { .array([.string($0.name), try spec($0.module)]) })
            case let r as Residual:
                s["class"] = .string("Residual"); s["body"] = try spec(r.body)
                if let sc = r.shortcut { s["shortcut"] = try spec(sc); s["shortcut_name"] = .string(r.shortcutName) }
                if let p = r.post { s["post"] = try spec(p); s["post_name"] = .string(r.postName) }
            default:
                throw TensorError("nn.save: cannot describe a module of type \(m.typeName) (not a built-in layer or container)")
            }
        }
        return .object(s.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    static func json(_ v: HyperValue) -> JSON {
        switch v {
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .bool(let b): return .bool(b)
        case .pair(let a, let b): return .array([.int(a), .int(b)])
        case .ints(let l): return .array(l.map { .int($0) })
        case .string(let w): return .string(w)
        case .none: return .null
        }
    }

    // MARK: Decoding

    /// Keys of specs written before hyper-parameters took PyTorch's names.
    static let legacyKeys: [String: [String: String]] = [
        "Conv2d": ["in": "in_channels", "out": "out_channels", "kernel": "kernel_size"],
        "Linear": ["in": "in_features", "out": "out_features"],
        "BatchNorm2d": ["features": "num_features", "track": "track_running_stats"],
        "BatchNorm1d": ["features": "num_features", "track": "track_running_stats"],
        "LeakyReLU": ["slope": "negative_slope"],
        "Flatten": ["start": "start_dim", "end": "end_dim"],
        "MaxPool2d": ["kernel": "kernel_size", "ceil": "ceil_mode"],
        "AvgPool2d": ["kernel": "kernel_size", "ceil": "ceil_mode"],
        "AdaptiveAvgPool2d": ["output": "output_size"],
    ]

    /// A JSON value as a hyper-parameter (nil for objects and mixed arrays).
    static func hyper(_ v: JSON) -> HyperValue? {
        switch v {
        case .null: return HyperValue.none
        case .string(let w): return .string(w)
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .array(let a):
            var out: [Int] = []
            for e in a { guard case .int(let i) = e else { return nil }; out.append(i) }
            return .ints(out)
        default: return nil
        }
    }

    static func build(_ s: JSON, path: String) throws -> any Module {
        let cls = s["class"]?.string ?? ""
        func bad(_ k: String) -> TensorError {
            TensorError("nn.load: the description of \(path) (\(cls.isEmpty ? "?" : cls)) has a missing or invalid '\(k)'")
        }
        func kids(_ k: String) throws -> [(String, any Module)] {
            guard let list = s[k]?.array else { throw bad(k) }
            return try list.map { item in
                guard let pair = item.array, pair.count == 2, let n = pair[0].string, pair[1].object != nil else { throw bad(k) }
                return (n, try build(pair[1], path: path + "." + (n.isEmpty ? "_" : n)))
            }
        }
        if let kind = LayerKinds.kind(cls) {
            var values: [String: HyperValue] = [:]
            let aliases = legacyKeys[cls] ?? [:]
            for (k, v) in s.object ?? [] where k != "class" && k != "type" {
                if let h = hyper(v) { values[aliases[k] ?? k] = h }
            }
            return try kind.make(HyperParameters(values, path: path, specClass: cls))
        }
        let typeName = s["type"]?.string ?? ""
        switch cls {
        case "Sequential": return try Sequential(named: try kids("children"), typeName: typeName.isEmpty ? "Sequential" : typeName)
        case "Concat": return try Concat(named: try kids("children"), typeName: typeName.isEmpty ? "Concat" : typeName)
        case "SqueezeExcite":
            return try SqueezeExcite(named: try kids("children"), typeName: typeName.isEmpty ? "SqueezeExcite" : typeName)
        case "Residual":
            guard let b = s["body"], b.object != nil else { throw bad("body") }
            let sc = try s["shortcut"].map { try build($0, path: path + ".shortcut") }
            let post = try s["post"].map { try build($0, path: path + ".post") }
            return try Residual(body: try build(b, path: path), shortcut: sc, post: post,
                                shortcutName: s["shortcut_name"]?.string ?? "shortcut",
                                postName: s["post_name"]?.string ?? "relu",
                                typeName: typeName.isEmpty ? "Residual" : typeName)
        default:
            throw TensorError("nn.load: unknown module class '\(cls.isEmpty ? "nil" : cls)' at \(path)")
        }
    }
}
