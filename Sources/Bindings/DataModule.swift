import CLua
import Data
import LuaHost
import Tensor

/// The `data` Lua module: datasets (Fashion-MNIST, MNIST, CIFAR-10/100, tensors),
/// loaders and batch transforms.
/// ```lua
/// local train_set = data.fashion_mnist{split = "train"}
/// local loader = data.loader(train_set, {batch = 128, shuffle = true, seed = 1,
///                                    transform = data.normalize(0.286, 0.353)})
/// for x, y in loader:iter() do ... end        -- x: 128×1×28×28 float32, y: int64 class ids (0-based)
/// ```
public enum DataModule {
    public static let datasetType = LuaType<Dataset>("data.Dataset")
    public static let loaderType = LuaType<Loader>("data.Loader")
    public static let transformType = LuaType<any Transform>("data.Transform")
    static let iteratorType = LuaType<LoaderIteration>("data.LoaderIterator")

    public static let library = LuaLibrary(name: "data") { L in
        datasetType.register(L, methods: datasetMethods, metamethods: datasetMetamethods, items: datasetItem)
        loaderType.register(L, methods: loaderMethods, metamethods: loaderMetamethods)
        transformType.register(L, methods: [], metamethods: transformMetamethods)
        iteratorType.register(L, methods: [])
        L.newTable()
        for f in datasetConstructors + [loaderConstructor] + transformConstructors { L.push(f); L.setField(-2, f.name) }
    }

    /// The dataset at stack slot `i` (for other bindings, e.g. train.fit).
    public static func checkDataset(_ L: Lua, _ i: Int32) throws -> Dataset {
        try datasetType.check(L, i)
    }

    /// The loader at stack slot `i`; it conforms to `BatchSource`.
    public static func checkLoader(_ L: Lua, _ i: Int32) throws -> Loader {
        try loaderType.check(L, i)
    }
}
