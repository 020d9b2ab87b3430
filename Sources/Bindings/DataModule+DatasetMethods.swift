import CLua
import Data
import LuaHost
import Tensor

/// Dataset objects in Lua: `#ds`, `ds:get(i)`, `ds[i]`, classes, subsets.
extension DataModule {
    /// Pushes the target of sample `i`: an integer class id, a number, or a tensor.
    static func pushTarget(_ L: Lua, _ y: Tensor) {
        if y.dim == 0 {
            if y.dtype == .int64 { L.push(Int(y.iptr[0])) } else { L.push(Double(y.ptr[0])) }
        } else {
            L.push(y)
        }
    }

    /// A 1-based sample index (negative from the end) as 0-based.
    static func sampleIndex(_ L: Lua, _ ds: Dataset, _ arg: Int32) throws -> Int {
        try sampleIndex(try L.checkInteger(arg), ds, arg)
    }

    static func sampleIndex(_ i: Int, _ ds: Dataset, _ arg: Int32) throws -> Int {
        let z = i > 0 ? i - 1 : i + ds.count
        guard i != 0, z >= 0, z < ds.count else {
            throw LuaError.argument(Int(arg), "sample \(i) out of range (dataset has \(ds.count))")
        }
        return z
    }

    static let datasetMethods: [LuaFunction] = [
        LuaFunction("get", doc: """
        ds:get(i) -> image, label
        Sample i (1-based; negative counts from the end): the image tensor (C×H×W) and its
        label, a 0-based class id as in PyTorch (or the target value/tensor of a tensor dataset).
        Example:
          local x, y = data.fashion_mnist{split = "test"}:get(1)   -- y == 9
        """) { L in
            let ds = try checkDataset(L, 1)
            let (x, y) = try ds.sample(try sampleIndex(L, ds, 2))
            L.push(x); pushTarget(L, y)
            return 2
        },
        LuaFunction("classes", doc: """
        ds:classes() -> {names}
        Class names: names[k + 1] is the name of class id k (empty for tensor datasets).
        Example:
          print(data.fashion_mnist{}:classes()[10])   -- "Ankle boot" (class id 9)
        """) { L in
            let ds = try checkDataset(L, 1)
            L.newTable(array: Int32(ds.classes.count))
            for (k, n) in ds.classes.enumerated() { L.push(n); L.setIndex(-2, k + 1) }
            return 1
        },
        LuaFunction("shape", doc: """
        ds:shape() -> {dims}
        The shape of one sample (e.g. {1, 28, 28}).
        Example:
          local c, h, w = table.unpack(ds:shape())
        """) { L in L.push(ints: try checkDataset(L, 1).sampleShape); return 1 },
        LuaFunction("name", doc: """
        ds:name() -> string
        The dataset's name ("fashion_mnist", "cifar10", "tensor_dataset", ...).
        Example:
          print(ds:name())
        """) { L in L.push(try checkDataset(L, 1).name); return 1 },
        LuaFunction("subset", doc: """
        ds:subset(from, to) | ds:subset{indices} -> dataset
        A new dataset with samples from..to (1-based, inclusive) or the listed samples.
        Example:
          local calib = data.fashion_mnist{split = "train"}:subset(1, 1000)
        """) { L in
            let ds = try checkDataset(L, 1)
            var idx: [Int] = []
            if L.isTable(2) {
                for k in stride(from: 1, through: L.rawLength(2), by: 1) {
                    L.rawIndex(2, k)
                    defer { L.pop() }
                    guard let v = L.toNumber(-1), v == v.rounded(), abs(v) < 1e15 else {
                        throw LuaError.argument(2, "index \(k) must be an integer, got \(L.typeName(-1))")
                    }
                    idx.append(try sampleIndex(Int(v), ds, 2))
                }
            } else {
                let a = try sampleIndex(L, ds, 2), b = try sampleIndex(L, ds, 3)
                guard a <= b else { throw LuaError.argument(3, "end \(b + 1) is before start \(a + 1)") }
                idx = Array(a...b)
            }
            datasetType.push(L, try ds.subset(idx))
            return 1
        },
        LuaFunction("tensors", doc: """
        ds:tensors() -> x, y
        All samples as one tensor (N×C×H×W float32) and all targets, as the dataset holds them:
        int64 class ids for the file datasets, a tensor_dataset's own targets (their dtype and shape).
        Example:
          local x, y = test:subset(1, 100):tensors()
        """) { L in
            let ds = try checkDataset(L, 1)
            let (x, y) = try ds.gather(Array(0..<ds.count)[...])
            L.push(x); L.push(y)
            return 2
        },
    ]

    /// ds[i] -> {image, label}: __index yields one value, so the pair comes as a table.
    static let datasetItem: (Lua, Dataset) throws -> Int = { L, ds in
        guard L.isNumber(2) else { L.pushNil(); return 1 }
        let (x, y) = try ds.sample(try sampleIndex(L, ds, 2))
        L.newTable(array: 2)
        L.push(x); L.setIndex(-2, 1)
        pushTarget(L, y); L.setIndex(-2, 2)
        return 1
    }

    static let datasetMetamethods: [LuaFunction] = [
        LuaFunction("__len") { L in L.push(try checkDataset(L, 1).count); return 1 },
        LuaFunction("__tostring") { L in
            let ds = try checkDataset(L, 1)
            let classes = ds.classes.isEmpty ? "" : ", \(ds.classes.count) classes"
            L.push("data.Dataset \(ds.name): \(ds.count) samples of \(shapeString(ds.sampleShape))\(classes)")
            return 1
        },
    ]
}
