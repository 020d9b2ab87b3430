import CLua
import Data
import Foundation
import LuaHost
import Tensor

extension DataModule {
    static func checkTransform(_ L: Lua, _ i: Int32) throws -> Transform {
        try transformType.check(L, i)
    }

    /// A transform, a function, or a list of them (composed).
    static func transforms(_ L: Lua, _ i: Int32, arg: Int32) throws -> [Transform] {
        let i = L.absIndex(i)
        if L.isNoneOrNil(i) { return [] }
        if L.isFunction(i) { return [LuaTransform(L, i)] }
        if let t = try transformType.get(L, i) { return [t] }
        guard L.isTable(i) else {
            throw LuaError.argument(Int(arg), "transform must be a data.Transform, a function or a list of them, got \(L.typeName(i))")
        }
        var out: [Transform] = []
        for k in stride(from: 1, through: L.rawLength(i), by: 1) {
            L.rawIndex(i, k)
            defer { L.pop() }
            guard L.isFunction(-1) || L.isObject(-1, of: transformType.name) else {
                throw LuaError.argument(Int(arg), "transform \(k) must be a data.Transform or a function, got \(L.typeName(-1))")
            }
            out += try transforms(L, -1, arg: arg)
        }
        return out
    }

    static func pushTransform(_ L: Lua, _ t: Transform) { transformType.push(L, t) }

    static let transformConstructors: [LuaFunction] = [
        LuaFunction("normalize", doc: """
        data.normalize(mean, std) -> transform
        (x - mean[c]) / std[c] per channel; mean and std are numbers or one value per channel.
        Example:
          local t = data.normalize({0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616})
        """) { L in
            let m = try L.checkNumbers(1, "mean"), s = try L.checkNumbers(2, "std")
            pushTransform(L, try Normalize(mean: m.map(Float.init), std: s.map(Float.init)))
            return 1
        },
        LuaFunction("random_crop", doc: """
        data.random_crop(size, {padding = 0}) -> transform
        Zero-pads each image by `padding` and crops size×size (or {h, w}) at a random position,
        as torchvision's RandomCrop.
        Example:
          local t = data.random_crop(32, {padding = 4})
        """) { L in
            let size = try L.checkNumbers(1, "size")
            guard size.count == 1 || size.count == 2, size.allSatisfy({ $0 == $0.rounded() && $0 >= 1 && $0 < 1e6 }) else {
                throw LuaError.argument(1, "size must be a positive integer or {height, width}")
            }
            let o = try LuaOptions(L, 2)
            try o.checkKnown(["padding"], "random_crop")
            let pad = try o.integer("padding", 0)
            pushTransform(L, try RandomCrop(height: Int(size[0]), width: Int(size.last!), padding: pad))
            return 1
        },
        LuaFunction("hflip", doc: """
        data.hflip{p = 0.5} -> transform
        Mirrors each image left-right with probability p (torchvision's RandomHorizontalFlip).
        Example:
          local t = data.compose{data.random_crop(32, {padding = 4}), data.hflip()}
        """) { L in
            let o = try LuaOptions(L, 1)
            try o.checkKnown(["p"], "hflip")
            pushTransform(L, try HorizontalFlip(p: try o.number("p", 0.5)))
            return 1
        },
        LuaFunction("compose", doc: """
        data.compose{t1, t2, ...} -> transform
        Applies transforms in order; entries are transforms or Lua functions f(x, y) -> x[, y]
        that receive the whole batch.
        Example:
          local t = data.compose{data.hflip(), function(x, y) return x * 2 end}
        """) { L in
            try L.checkTable(1)
            pushTransform(L, Compose(try transforms(L, 1, arg: 1)))
            return 1
        },
    ]

    static let transformMetamethods: [LuaFunction] = [
        LuaFunction("__tostring") { L in L.push("data.Transform " + (try checkTransform(L, 1)).description); return 1 },
        LuaFunction("__call", doc: """
        t(x[, y]) -> x, y
        Applies a transform to a batch N×C×H×W (random draws from the global generator).
        Example:
          local y = data.hflip{p = 1}(tensor.arange(4):view(1, 1, 2, 2))
        """) { L in
            let t = try checkTransform(L, 1)
            let x = try L.checkTensor(2)
            let y = try L.tensor(3) ?? Tensor(zeros: [x.dim > 0 ? x.shape[0] : 0])
            var rng = Xoshiro256(seed: Random.global.next())
            let b = try t.apply(Batch(input: x, target: y), rng: &rng)
            L.push(b.input); L.push(b.target)
            return 2
        },
    ]
}
