import Foundation
import Tensor

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

    /// The architecture of `model` as a JSON string.
    public static func encode(_ model: any Module) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: try spec(model), options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// Rebuilds a model (freshly initialised) from `encode`'s JSON.
    public static func decode(_ json: String) throws -> any Module {
        try Nesting.checkJSONDepth(json, "nn.load")
        guard let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw TensorError("nn.load: the model description is not valid JSON")
        }
        return try build(obj, path: "model")
    }

    // MARK: Encoding

    static func spec(_ m: any Module) throws -> [String: Any] {
        var s: [String: Any] = ["type": m.typeName]
        if let d = m.layerDescription {
            s["class"] = type(of: d).specClass
            for (k, v) in d.hyperParameters { s[k] = json(v) }
            return s
        }
        switch m {
        case let q as Sequential:
            s["class"] = "Sequential"; s["children"] = try q.children.map { [$0.name, try spec($0.module)] }
        case let c as Concat:
            s["class"] = "Concat"; s["children"] = try c.branches.map { [$0.name, try spec($0.module)] }
        case let r as Residual:
            s["class"] = "Residual"; s["body"] = try spec(r.body)
            if let sc = r.shortcut { s["shortcut"] = try spec(sc); s["shortcut_name"] = r.shortcutName }
            if let p = r.post { s["post"] = try spec(p); s["post_name"] = r.postName }
        default:
            throw TensorError("nn.save: cannot describe a module of type \(m.typeName) (not a built-in layer or container)")
        }
        return s
    }

    static func json(_ v: HyperValue) -> Any {
        switch v {
        case .int(let i): return i
        case .double(let d): return d
        case .bool(let b): return b
        case .pair(let a, let b): return [a, b]
        case .ints(let l): return l
        case .none: return NSNull()
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
    static func hyper(_ v: Any) -> HyperValue? {
        // Foundation's JSON numbers are all NSNumber: tell booleans, integers and reals apart.
        if String(describing: type(of: v)).contains("Boolean") { return (v as? Bool).map { .bool($0) } }
        if let n = v as? NSNumber {
            let d = n.doubleValue
            if let i = v as? Int, Double(i) == d, !String(describing: n).contains(".") { return .int(i) }
            return .double(d)
        }
        if v is NSNull { return HyperValue.none }
        if let a = v as? [Any] {
            var out: [Int] = []
            for e in a {
                guard case .int(let i)? = hyper(e) else { return nil }
                out.append(i)
            }
            return .ints(out)
        }
        return nil
    }

    static func build(_ s: [String: Any], path: String) throws -> any Module {
        let cls = s["class"] as? String ?? ""
        func bad(_ k: String) -> TensorError {
            TensorError("nn.load: the description of \(path) (\(s["class"] ?? "?")) has a missing or invalid '\(k)'")
        }
        func kids(_ k: String) throws -> [(String, any Module)] {
            guard let list = s[k] as? [[Any]] else { throw bad(k) }
            return try list.map { item in
                guard item.count == 2, let n = item[0] as? String, let sub = item[1] as? [String: Any] else { throw bad(k) }
                return (n, try build(sub, path: path + "." + (n.isEmpty ? "_" : n)))
            }
        }
        if let kind = LayerKinds.kind(cls) {
            var values: [String: HyperValue] = [:]
            let aliases = legacyKeys[cls] ?? [:]
            for (k, v) in s where k != "class" && k != "type" {
                if let h = hyper(v) { values[aliases[k] ?? k] = h }
            }
            return try kind.make(HyperParameters(values, path: path, specClass: cls))
        }
        let typeName = s["type"] as? String ?? ""
        switch cls {
        case "Sequential": return try Sequential(named: try kids("children"), typeName: typeName.isEmpty ? "Sequential" : typeName)
        case "Concat": return try Concat(named: try kids("children"), typeName: typeName.isEmpty ? "Concat" : typeName)
        case "Residual":
            guard let b = s["body"] as? [String: Any] else { throw bad("body") }
            let sc = try (s["shortcut"] as? [String: Any]).map { try build($0, path: path + ".shortcut") }
            let post = try (s["post"] as? [String: Any]).map { try build($0, path: path + ".post") }
            return try Residual(body: try build(b, path: path), shortcut: sc, post: post,
                                shortcutName: s["shortcut_name"] as? String ?? "shortcut",
                                postName: s["post_name"] as? String ?? "relu",
                                typeName: typeName.isEmpty ? "Residual" : typeName)
        default:
            throw TensorError("nn.load: unknown module class '\(s["class"] ?? "nil")' at \(path)")
        }
    }
}
