import CLua
import Data
import LuaHost
import Tensor

/// The state of one `loader:iter()` loop.
final class LoaderIteration {
    let next: () throws -> (input: Tensor, target: Tensor)?
    init(_ next: @escaping () throws -> (input: Tensor, target: Tensor)?) { self.next = next }
}

extension DataModule {
    static let loaderConstructor = LuaFunction("loader", doc: """
    data.loader(ds, {batch = 64, shuffle = false, seed = n, drop_last = false, transform = t, background = true}) -> loader
    Batches of a dataset. Shuffling is seeded (default seed: drawn from the global generator,
    so tensor.manual_seed makes it replayable); each epoch reshuffles. `transform` is a
    data.Transform, a function f(x, y) -> x[, y] or a list of them. Batches are prepared on a
    background thread; the result does not depend on it.
    Example:
      local loader = data.loader(data.fashion_mnist{}, {batch = 128, shuffle = true, seed = 1})
      for x, y in loader:iter() do print(x:shape()[1], y[1]) end
    """) { L in
        let ds = try checkDataset(L, 1)
        let o = try LuaOptions(L, 2)
        try o.checkKnown(["batch", "shuffle", "seed", "drop_last", "transform", "background"], "data.loader")
        let batch = try o.integer("batch", 64)
        guard batch >= 1 else { throw LuaError.argument(2, "field 'batch': batch size must be at least 1, got \(batch)") }
        let seed = try o.integer("seed").map { UInt64(bitPattern: Int64($0)) } ?? Random.global.next()
        o.push("transform")
        let ts: [Transform]
        do { ts = try transforms(L, -1, arg: 2) } catch { L.pop(); throw error }
        L.pop()
        let loader = try Loader(ds, batchSize: batch, shuffle: try o.bool("shuffle", false), seed: seed,
                                dropLast: try o.bool("drop_last", false), transforms: ts,
                                background: try o.bool("background", true))
        loaderType.push(L, loader)
        return 1
    }

    /// A 1-based epoch argument (default: the loader's next epoch).
    static func epochArgument(_ L: Lua, _ i: Int32) throws -> Int? {
        guard let e = try L.optInteger(i) else { return nil }
        guard e >= 1 else { throw LuaError.argument(Int(i), "epoch must be at least 1, got \(e)") }
        return e - 1
    }

    static let iterationStep = LuaFunction("loader_iterator") { L in
        let it = try iteratorType.check(L, 1)
        LuaCallback.collect(L)
        guard let (x, y) = try it.next() else { L.pushNil(); return 1 }
        L.push(x); L.push(y)
        return 2
    }

    static let loaderMethods: [LuaFunction] = [
        LuaFunction("iter", doc: """
        loader:iter([epoch]) -> iterator
        Iterates over one epoch: `for x, y in loader:iter() do ... end`. Without an argument each call
        starts the next epoch (1, 2, ...), reshuffled; epoch = n replays epoch n exactly.
        Example:
          for x, y in loader:iter() do local loss, grad = train.cross_entropy(net:forward(x), y) end
        """) { L in
            let loader = try checkLoader(L, 1)
            let next: () throws -> (input: Tensor, target: Tensor)?
            if let e = try epochArgument(L, 2) { next = try loader.batches(epoch: e) } else { next = try loader.nextEpoch() }
            L.push(iterationStep)
            iteratorType.push(L, LoaderIteration(next))
            L.pushNil()
            return 3
        },
        LuaFunction("batch", doc: """
        loader:batch(i[, epoch = 1]) -> x, y
        Batch i (1-based) of an epoch, with its transforms, computed on the spot.
        Example:
          local x, y = loader:batch(1)
        """) { L in
            let loader = try checkLoader(L, 1)
            let i = try L.checkInteger(2)
            guard i >= 1 && i <= loader.batchCount else {
                throw LuaError.argument(2, "batch \(i) out of range (loader has \(loader.batchCount))")
            }
            let b = try loader.batch(epoch: try epochArgument(L, 3) ?? 0, index: i - 1)
            L.push(b.input); L.push(b.target)
            return 2
        },
        LuaFunction("batches", doc: """
        loader:batches() -> n
        The number of batches per epoch (also #loader).
        Example:
          print(loader:batches())
        """) { L in L.push(try checkLoader(L, 1).batchCount); return 1 },
        LuaFunction("samples", doc: """
        loader:samples() -> n
        The number of samples per epoch (fewer than the dataset's with drop_last).
        Example:
          print(loader:samples())
        """) { L in L.push(try checkLoader(L, 1).sampleCount); return 1 },
        LuaFunction("dataset", doc: """
        loader:dataset() -> dataset
        The dataset the loader reads.
        Example:
          print(loader:dataset())
        """) { L in datasetType.push(L, try checkLoader(L, 1).dataset); return 1 },
    ]

    static let loaderMetamethods: [LuaFunction] = [
        LuaFunction("__len") { L in L.push(try checkLoader(L, 1).batchCount); return 1 },
        LuaFunction("__tostring") { L in
            let l = try checkLoader(L, 1)
            var parts = ["batch = \(l.batchSize)", "shuffle = \(l.shuffle)"]
            if l.dropLast { parts.append("drop_last = true") }
            if !l.transforms.isEmpty { parts.append("transform = {" + l.transforms.map(\.description).joined(separator: ", ") + "}") }
            L.push("data.Loader over \(l.dataset.name) (\(l.dataset.count) samples, \(l.batchCount) batches): {\(parts.joined(separator: ", "))}")
            return 1
        },
    ]
}
