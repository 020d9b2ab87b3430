import Foundation
import Tensor

/// A model's architecture as JSON, stored in a weights file's metadata so `nn.load`
/// rebuilds the model without its original definition. Channel counts are read from
/// the current weights, so a pruned model describes its pruned shape.
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

    static func pair(_ p: (Int, Int)) -> [Int] { [p.0, p.1] }

    static func spec(_ m: any Module) throws -> [String: Any] {
        var s: [String: Any] = ["type": m.typeName]
        switch m {
        case let c as Conv2d:
            s["class"] = "Conv2d"
            s["in"] = c.inChannels; s["out"] = c.outChannels; s["kernel"] = pair(c.kernelSize)
            s["stride"] = pair(c.stride); s["padding"] = pair(c.padding); s["dilation"] = pair(c.dilation)
            s["groups"] = c.groups; s["bias"] = c.bias != nil
        case let b as BatchNorm:
            s["class"] = b is BatchNorm1d ? "BatchNorm1d" : "BatchNorm2d"
            s["features"] = b.numFeatures; s["eps"] = b.eps; s["affine"] = b.weight != nil
            s["track"] = b.trackRunningStats
            if let mo = b.momentum { s["momentum"] = mo }
        case let l as Linear:
            s["class"] = "Linear"; s["in"] = l.inFeatures; s["out"] = l.outFeatures; s["bias"] = l.bias != nil
        case is ReLU: s["class"] = "ReLU"
        case is ReLU6: s["class"] = "ReLU6"
        case let l as LeakyReLU: s["class"] = "LeakyReLU"; s["slope"] = Double(l.negativeSlope)
        case is Identity: s["class"] = "Identity"
        case let f as Flatten: s["class"] = "Flatten"; s["start"] = f.startDim; s["end"] = f.endDim
        case let d as Dropout: s["class"] = "Dropout"; s["p"] = d.p
        case let p as MaxPool2d:
            s["class"] = "MaxPool2d"; s["kernel"] = pair(p.kernelSize); s["stride"] = pair(p.stride)
            s["padding"] = pair(p.padding); s["dilation"] = pair(p.dilation); s["ceil"] = p.ceilMode
        case let p as AvgPool2d:
            s["class"] = "AvgPool2d"; s["kernel"] = pair(p.kernelSize); s["stride"] = pair(p.stride)
            s["padding"] = pair(p.padding); s["ceil"] = p.ceilMode; s["count_include_pad"] = p.countIncludePad
        case let p as AdaptiveAvgPool2d: s["class"] = "AdaptiveAvgPool2d"; s["output"] = pair(p.outputSize)
        case let a as ShortcutA:
            s["class"] = "ShortcutA"; s["automatic"] = a.automatic
            s["stride"] = a.stride; s["pad"] = [a.padBefore, a.padAfter]
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

    // MARK: Decoding

    static func build(_ s: [String: Any], path: String) throws -> any Module {
        func int(_ k: String) throws -> Int {
            guard let v = s[k] as? Int else { throw bad(k) }
            return v
        }
        func dbl(_ k: String) throws -> Double {
            guard let v = s[k] as? Double ?? (s[k] as? Int).map(Double.init) else { throw bad(k) }
            return v
        }
        func bool(_ k: String) throws -> Bool {
            guard let v = s[k] as? Bool else { throw bad(k) }
            return v
        }
        func two(_ k: String) throws -> (Int, Int) {
            guard let v = s[k] as? [Int], v.count == 2 else { throw bad(k) }
            return (v[0], v[1])
        }
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
        let typeName = s["type"] as? String ?? ""
        switch s["class"] as? String ?? "" {
        case "Conv2d":
            return try Conv2d(try int("in"), try int("out"), kernelSize: try two("kernel"), stride: try two("stride"),
                              padding: try two("padding"), dilation: try two("dilation"), groups: try int("groups"),
                              bias: try bool("bias"))
        case "BatchNorm2d", "BatchNorm1d":
            let mo = s["momentum"].map { _ in try? dbl("momentum") } ?? nil
            if s["class"] as? String == "BatchNorm1d" {
                return try BatchNorm1d(try int("features"), eps: try dbl("eps"), momentum: mo, affine: try bool("affine"),
                                       trackRunningStats: try bool("track"))
            }
            return try BatchNorm2d(try int("features"), eps: try dbl("eps"), momentum: mo, affine: try bool("affine"),
                                   trackRunningStats: try bool("track"))
        case "Linear": return try Linear(try int("in"), try int("out"), bias: try bool("bias"))
        case "ReLU": return ReLU()
        case "ReLU6": return ReLU6()
        case "LeakyReLU": return LeakyReLU(negativeSlope: Float(try dbl("slope")))
        case "Identity": return Identity()
        case "Flatten": return Flatten(startDim: try int("start"), endDim: try int("end"))
        case "Dropout": return try Dropout(p: try dbl("p"))
        case "MaxPool2d":
            return try MaxPool2d(kernelSize: try two("kernel"), stride: try two("stride"), padding: try two("padding"),
                                 dilation: try two("dilation"), ceilMode: try bool("ceil"))
        case "AvgPool2d":
            return try AvgPool2d(kernelSize: try two("kernel"), stride: try two("stride"), padding: try two("padding"),
                                 ceilMode: try bool("ceil"), countIncludePad: try bool("count_include_pad"))
        case "AdaptiveAvgPool2d": return try AdaptiveAvgPool2d(outputSize: try two("output"))
        case "ShortcutA":
            if try bool("automatic") { return ShortcutA() }
            let pad = try two("pad")
            return try ShortcutA(stride: try int("stride"), padBefore: pad.0, padAfter: pad.1)
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
