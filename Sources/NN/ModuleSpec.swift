import Foundation
import Tensor

/// An architecture without weights: every module's type, hyper-parameters, current
/// channel counts and child names, as JSON-compatible values. A saved model (pruned or
/// not) stores `ModuleSpec.json(net)` in its file's metadata; `ModuleSpec.build` rebuilds
/// the module tree, and `loadStateDict` then fills the weights.
public enum ModuleSpec {
    /// The description of `m` (a dictionary of strings, numbers, booleans and arrays).
    public static func describe(_ m: any Module) -> [String: Any] {
        var d: [String: Any] = ["type": m.typeName]
        switch m {
        case let c as Conv2d:
            d["class"] = "Conv2d"
            d["in"] = c.inChannels; d["out"] = c.outChannels; d["kernel"] = [c.kernelSize.0, c.kernelSize.1]
            d["stride"] = [c.stride.0, c.stride.1]; d["padding"] = [c.padding.0, c.padding.1]
            d["dilation"] = [c.dilation.0, c.dilation.1]; d["groups"] = c.groups; d["bias"] = c.bias != nil
        case let b as BatchNorm:
            d["class"] = b is BatchNorm1d ? "BatchNorm1d" : "BatchNorm2d"
            d["features"] = b.numFeatures; d["eps"] = b.eps; d["affine"] = b.weight != nil
            d["track"] = b.trackRunningStats
            if let mo = b.momentum { d["momentum"] = mo }
        case let l as Linear:
            d["class"] = "Linear"; d["in"] = l.inFeatures; d["out"] = l.outFeatures; d["bias"] = l.bias != nil
        case is ReLU: d["class"] = "ReLU"
        case is ReLU6: d["class"] = "ReLU6"
        case let r as LeakyReLU: d["class"] = "LeakyReLU"; d["slope"] = Double(r.negativeSlope)
        case let p as MaxPool2d:
            d["class"] = "MaxPool2d"; d["kernel"] = [p.kernelSize.0, p.kernelSize.1]; d["stride"] = [p.stride.0, p.stride.1]
            d["padding"] = [p.padding.0, p.padding.1]; d["dilation"] = [p.dilation.0, p.dilation.1]; d["ceil"] = p.ceilMode
        case let p as AvgPool2d:
            d["class"] = "AvgPool2d"; d["kernel"] = [p.kernelSize.0, p.kernelSize.1]; d["stride"] = [p.stride.0, p.stride.1]
            d["padding"] = [p.padding.0, p.padding.1]; d["ceil"] = p.ceilMode; d["include_pad"] = p.countIncludePad
        case let p as AdaptiveAvgPool2d: d["class"] = "AdaptiveAvgPool2d"; d["size"] = [p.outputSize.0, p.outputSize.1]
        case let f as Flatten: d["class"] = "Flatten"; d["start"] = f.startDim; d["end"] = f.endDim
        case let o as Dropout: d["class"] = "Dropout"; d["p"] = o.p
        case is Identity: d["class"] = "Identity"
        case let s as ShortcutA:
            d["class"] = "ShortcutA"; d["stride"] = s.stride; d["pad"] = [s.padBefore, s.padAfter]; d["automatic"] = s.automatic
        case let s as Sequential:
            d["class"] = "Sequential"; d["children"] = s.children.map { [$0.name, describe($0.module)] as [Any] }
        case let r as Residual:
            d["class"] = "Residual"; d["body"] = describe(r.body)
            if let s = r.shortcut { d["shortcut"] = describe(s) }
            if let p = r.post { d["post"] = describe(p) }
            d["shortcut_name"] = r.shortcutName; d["post_name"] = r.postName
        case let c as Concat:
            d["class"] = "Concat"; d["branches"] = c.branches.map { [$0.name, describe($0.module)] as [Any] }
        default:
            d["class"] = "Unknown"
        }
        return d
    }

    /// `describe(m)` as compact JSON (keys sorted, so equal architectures give equal text).
    public static func json(_ m: any Module) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: describe(m), options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Rebuilds a module tree from `json(m)`; weights are freshly initialised.
    public static func build(json: String) throws -> any Module {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)), let d = obj as? [String: Any] else {
            throw TensorError("model spec: not a JSON object")
        }
        return try build(d)
    }

    public static func build(_ d: [String: Any]) throws -> any Module {
        let cls = d["class"] as? String ?? "?"
        func int(_ k: String) throws -> Int {
            guard let v = d[k] as? NSNumber else { throw TensorError("model spec: \(cls) needs an integer '\(k)'") }
            return v.intValue
        }
        func num(_ k: String) throws -> Double {
            guard let v = d[k] as? NSNumber else { throw TensorError("model spec: \(cls) needs a number '\(k)'") }
            return v.doubleValue
        }
        func bool(_ k: String) throws -> Bool {
            guard let v = d[k] as? Bool else { throw TensorError("model spec: \(cls) needs a boolean '\(k)'") }
            return v
        }
        func pair(_ k: String) throws -> (Int, Int) {
            guard let v = d[k] as? [NSNumber], v.count == 2 else { throw TensorError("model spec: \(cls) needs a pair '\(k)'") }
            return (v[0].intValue, v[1].intValue)
        }
        func named(_ k: String) throws -> [(String, any Module)] {
            guard let list = d[k] as? [[Any]] else { throw TensorError("model spec: \(cls) needs a list '\(k)'") }
            return try list.map { e in
                guard e.count == 2, let n = e[0] as? String, let s = e[1] as? [String: Any] else {
                    throw TensorError("model spec: \(cls) has a malformed entry in '\(k)'")
                }
                return (n, try build(s))
            }
        }
        let type = d["type"] as? String ?? cls
        switch cls {
        case "Conv2d":
            return try Conv2d(try int("in"), try int("out"), kernelSize: try pair("kernel"), stride: try pair("stride"),
                              padding: try pair("padding"), dilation: try pair("dilation"), groups: try int("groups"),
                              bias: try bool("bias"))
        case "BatchNorm2d", "BatchNorm1d":
            let mo = (d["momentum"] as? NSNumber)?.doubleValue
            return cls == "BatchNorm2d"
                ? try BatchNorm2d(try int("features"), eps: try num("eps"), momentum: mo, affine: try bool("affine"), trackRunningStats: try bool("track"))
                : try BatchNorm1d(try int("features"), eps: try num("eps"), momentum: mo, affine: try bool("affine"), trackRunningStats: try bool("track"))
        case "Linear": return try Linear(try int("in"), try int("out"), bias: try bool("bias"))
        case "ReLU": return ReLU()
        case "ReLU6": return ReLU6()
        case "LeakyReLU": return LeakyReLU(negativeSlope: Float(try num("slope")))
        case "MaxPool2d":
            return try MaxPool2d(kernelSize: try pair("kernel"), stride: try pair("stride"), padding: try pair("padding"),
                                 dilation: try pair("dilation"), ceilMode: try bool("ceil"))
        case "AvgPool2d":
            return try AvgPool2d(kernelSize: try pair("kernel"), stride: try pair("stride"), padding: try pair("padding"),
                                 ceilMode: try bool("ceil"), countIncludePad: try bool("include_pad"))
        case "AdaptiveAvgPool2d": return try AdaptiveAvgPool2d(outputSize: try pair("size"))
        case "Flatten": return Flatten(startDim: try int("start"), endDim: try int("end"))
        case "Dropout": return try Dropout(p: try num("p"))
        case "Identity": return Identity()
        case "ShortcutA":
            if try bool("automatic") { return ShortcutA() }
            let p = try pair("pad")
            return try ShortcutA(stride: try int("stride"), padBefore: p.0, padAfter: p.1)
        case "Sequential": return try Sequential(named: try named("children"), typeName: type)
        case "Residual":
            guard let body = d["body"] as? [String: Any] else { throw TensorError("model spec: Residual needs a 'body'") }
            return try Residual(body: try build(body), shortcut: try (d["shortcut"] as? [String: Any]).map(build),
                                post: try (d["post"] as? [String: Any]).map(build),
                                shortcutName: d["shortcut_name"] as? String ?? "shortcut",
                                postName: d["post_name"] as? String ?? "relu", typeName: type)
        case "Concat": return try Concat(named: try named("branches"), typeName: type)
        default: throw TensorError("model spec: unknown module class '\(cls)'")
        }
    }
}
