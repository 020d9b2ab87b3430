import Tensor
import Text

/// A model's architecture as JSON, stored in a weights file's metadata so `nn.load`
/// rebuilds the model without its original definition. Channel counts are read from
/// the current weights, so a pruned model describes its pruned shape.
public enum ModelSpec {
    public static let metadataKey = "topiary.model"

    /// The architecture of `model` as a JSON string.
    public static func encode(_ model: any Module) throws -> String {
        try spec(model).text
    }

    /// Rebuilds a model (freshly initialised) from `encode`'s JSON.
    public static func decode(_ json: String) throws -> any Module {
        let obj: JSON
        do { obj = try JSON.parse(json, limits: .init(depth: 512)) } catch {
            throw TensorError("nn.load: the model description is not valid JSON (\(error))")
        }
        guard obj.object != nil else { throw TensorError("nn.load: the model description is not a JSON object") }
        return try build(obj, path: "model")
    }

    // MARK: Encoding

    static func pair(_ p: (Int, Int)) -> JSON { .array([.int(p.0), .int(p.1)]) }

    /// The description of `m`: an object with sorted keys.
    static func spec(_ m: any Module) throws -> JSON {
        var s: [String: JSON] = ["type": .string(m.typeName)]
        switch m {
        case let c as Conv2d:
            s["class"] = .string("Conv2d")
            s["in"] = .int(c.inChannels); s["out"] = .int(c.outChannels); s["kernel"] = pair(c.kernelSize)
            s["stride"] = pair(c.stride); s["padding"] = pair(c.padding); s["dilation"] = pair(c.dilation)
            s["groups"] = .int(c.groups); s["bias"] = .bool(c.bias != nil)
        case let b as BatchNorm:
            s["class"] = .string(b is BatchNorm1d ? "BatchNorm1d" : "BatchNorm2d")
            s["features"] = .int(b.numFeatures); s["eps"] = .double(b.eps); s["affine"] = .bool(b.weight != nil)
            s["track"] = .bool(b.trackRunningStats)
            if let mo = b.momentum { s["momentum"] = .double(mo) }
        case let l as Linear:
            s["class"] = .string("Linear"); s["in"] = .int(l.inFeatures); s["out"] = .int(l.outFeatures); s["bias"] = .bool(l.bias != nil)
        case is ReLU: s["class"] = .string("ReLU")
        case is ReLU6: s["class"] = .string("ReLU6")
        case let l as LeakyReLU: s["class"] = .string("LeakyReLU"); s["slope"] = .double(Double(l.negativeSlope))
        case is Identity: s["class"] = .string("Identity")
        case let f as Flatten: s["class"] = .string("Flatten"); s["start"] = .int(f.startDim); s["end"] = .int(f.endDim)
        case let d as Dropout: s["class"] = .string("Dropout"); s["p"] = .double(d.p)
        case let p as MaxPool2d:
            s["class"] = .string("MaxPool2d"); s["kernel"] = pair(p.kernelSize); s["stride"] = pair(p.stride)
            s["padding"] = pair(p.padding); s["dilation"] = pair(p.dilation); s["ceil"] = .bool(p.ceilMode)
        case let p as AvgPool2d:
            s["class"] = .string("AvgPool2d"); s["kernel"] = pair(p.kernelSize); s["stride"] = pair(p.stride)
            s["padding"] = pair(p.padding); s["ceil"] = .bool(p.ceilMode); s["count_include_pad"] = .bool(p.countIncludePad)
        case let p as AdaptiveAvgPool2d: s["class"] = .string("AdaptiveAvgPool2d"); s["output"] = pair(p.outputSize)
        case let a as ShortcutA:
            s["class"] = .string("ShortcutA"); s["automatic"] = .bool(a.automatic)
            s["stride"] = .int(a.stride); s["pad"] = pair((a.padBefore, a.padAfter))
        case let q as Sequential:
            s["class"] = .string("Sequential"); s["children"] = .array(try q.children.map { .array([.string($0.name), try spec($0.module)]) })
        case let c as Concat:
            s["class"] = .string("Concat"); s["children"] = .array(try c.branches.map { .array([.string($0.name), try spec($0.module)]) })
        case let r as Residual:
            s["class"] = .string("Residual"); s["body"] = try spec(r.body)
            if let sc = r.shortcut { s["shortcut"] = try spec(sc); s["shortcut_name"] = .string(r.shortcutName) }
            if let p = r.post { s["post"] = try spec(p); s["post_name"] = .string(r.postName) }
        default:
            throw TensorError("nn.save: cannot describe a module of type \(m.typeName) (not a built-in layer or container)")
        }
        return .object(s.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    // MARK: Decoding

    static func build(_ s: JSON, path: String) throws -> any Module {
        func int(_ k: String) throws -> Int {
            guard let v = s[k]?.int else { throw bad(k) }
            return v
        }
        func dbl(_ k: String) throws -> Double {
            guard let v = s[k]?.double else { throw bad(k) }
            return v
        }
        func bool(_ k: String) throws -> Bool {
            guard let v = s[k]?.bool else { throw bad(k) }
            return v
        }
        func two(_ k: String) throws -> (Int, Int) {
            guard let v = s[k]?.array?.compactMap(\.int), v.count == 2, s[k]?.array?.count == 2 else { throw bad(k) }
            return (v[0], v[1])
        }
        func bad(_ k: String) -> TensorError {
            TensorError("nn.load: the description of \(path) (\(s["class"]?.string ?? "?")) has a missing or invalid '\(k)'")
        }
        func kids(_ k: String) throws -> [(String, any Module)] {
            guard let list = s[k]?.array else { throw bad(k) }
            return try list.map { item in
                guard let pair = item.array, pair.count == 2, let n = pair[0].string, pair[1].object != nil else { throw bad(k) }
                return (n, try build(pair[1], path: path + "." + (n.isEmpty ? "_" : n)))
            }
        }
        let typeName = s["type"]?.string ?? ""
        switch s["class"]?.string ?? "" {
        case "Conv2d":
            return try Conv2d(try int("in"), try int("out"), kernelSize: try two("kernel"), stride: try two("stride"),
                              padding: try two("padding"), dilation: try two("dilation"), groups: try int("groups"),
                              bias: try bool("bias"))
        case "BatchNorm2d", "BatchNorm1d":
            let mo = s["momentum"].map { _ in try? dbl("momentum") } ?? nil
            if s["class"]?.string == "BatchNorm1d" {
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
            guard let b = s["body"], b.object != nil else { throw bad("body") }
            let sc = try s["shortcut"].flatMap { $0.object != nil ? $0 : nil }.map { try build($0, path: path + ".shortcut") }
            let post = try s["post"].flatMap { $0.object != nil ? $0 : nil }.map { try build($0, path: path + ".post") }
            return try Residual(body: try build(b, path: path), shortcut: sc, post: post,
                                shortcutName: s["shortcut_name"]?.string ?? "shortcut",
                                postName: s["post_name"]?.string ?? "relu",
                                typeName: typeName.isEmpty ? "Residual" : typeName)
        default:
            throw TensorError("nn.load: unknown module class '\(s["class"]?.string ?? "nil")' at \(path)")
        }
    }
}
