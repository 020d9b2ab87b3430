import CLua
import Data
import LuaHost
import Tensor

/// The `data` Lua module: datasets (Fashion-MNIST, MNIST, CIFAR-10/100, tensors),
/// loaders and batch transforms.
/// ```lua
/// local train = data.fashion_mnist{split = "train"}
/// local loader = data.loader(train, {batch = 128, shuffle = true, seed = 1,
///                                    transform = data.normalize(0.286, 0.353)})
/// for x, y in loader:iter() do ... end        -- x: 128×1×28×28 float32, y: int64 class ids (0-based)
/// ```
public enum DataModule {
    public static let datasetType = "data.Dataset"
    public static let loaderType = "data.Loader"
    public static let transformType = "data.Transform"
    static let iteratorType = "data.LoaderIterator"

    public static let library = LuaLibrary(name: "data") { L in
        ObjectTypes.register(L, datasetType, methods: datasetMethods, metamethods: datasetMetamethods)
        ObjectTypes.register(L, loaderType, methods: loaderMethods, metamethods: loaderMetamethods)
        ObjectTypes.register(L, transformType, methods: [], metamethods: transformMetamethods)
        ObjectTypes.register(L, iteratorType, methods: [])
        L.newTable()
        for f in datasetConstructors + [loaderConstructor] + transformConstructors { L.push(f); L.setField(-2, f.name) }
    }

    /// The dataset at stack slot `i` (for other bindings, e.g. train.fit).
    public static func checkDataset(_ L: Lua, _ i: Int32) throws -> Dataset {
        try L.checkObject(i, of: datasetType, as: Dataset.self)
    }

    /// The loader at stack slot `i`; it conforms to `BatchSource`.
    public static func checkLoader(_ L: Lua, _ i: Int32) throws -> Loader {
        try L.checkObject(i, of: loaderType, as: Loader.self)
    }
}
