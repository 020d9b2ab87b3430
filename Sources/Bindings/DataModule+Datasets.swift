import CLua
import Data
import LuaHost
import Tensor

extension DataModule {
    /// A file-based dataset constructor taking `{split = "train"|"test", root = dir, …}`.
    static func fileDataset(_ name: String, extra: Set<String> = [], doc: String,
                            _ make: @escaping (LuaOptions, Split, FilePath?) throws -> Dataset) -> LuaFunction {
        LuaFunction(name, doc: doc) { L in
            let o = try LuaOptions(L, 1)
            try o.checkKnown(Set(["split", "root"]).union(extra), name)
            let split = Split(rawValue: try o.choice("split", ["train", "test"], "train"))!
            datasetType.push(L, try make(o, split, try o.path("root")))
            return 1
        }
    }

    static let datasetConstructors: [LuaFunction] = [
        fileDataset("fashion_mnist", doc: """
        data.fashion_mnist{split = "train"|"test", root = dir} -> dataset
        Fashion-MNIST (IDX files, plain or .gz): 60000 or 10000 images 1×28×28 in [0, 1],
        labels 0…9 (0-based class ids, as PyTorch). Looks in `root`, else $TOPIARY_DATASETS/fashion-mnist,
        Datasets/fashion-mnist, then /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).
        Example:
          local test = data.fashion_mnist{split = "test"}
          local image, label = test:get(1)      -- label 9: "Ankle boot"
        """) { _, split, root in try MNIST.fashion(split: split, root: root) },
        fileDataset("mnist", doc: """
        data.mnist{split = "train"|"test", root = dir} -> dataset
        MNIST digits from the four IDX files (plain or .gz) in `root` (or $TOPIARY_DATASETS/mnist,
        Datasets/mnist): images 1×28×28 in [0, 1], labels 0…9.
        Example:
          local digits = data.mnist{split = "train", root = "/data/mnist"}
        """) { _, split, root in try MNIST.digits(split: split, root: root) },
        fileDataset("cifar10", doc: """
        data.cifar10{split = "train"|"test", root = dir} -> dataset
        CIFAR-10, binary version (data_batch_1..5.bin, test_batch.bin in root or
        root/cifar-10-batches-bin): images 3×32×32 in [0, 1], labels 0…9.
        Example:
          local train_set = data.cifar10{split = "train", root = "/data"}
        """) { _, split, root in try CIFAR.cifar10(split: split, root: root) },
        fileDataset("cifar100", extra: ["label"], doc: """
        data.cifar100{split = "train"|"test", root = dir, label = "fine"|"coarse"} -> dataset
        CIFAR-100, binary version (train.bin, test.bin in root or root/cifar-100-binary), with the
        fine (100 classes, default) or coarse (20 superclasses) label as target.
        Example:
          local coarse = data.cifar100{root = "/data", label = "coarse"}
        """) { o, split, root in
            let label = CIFAR.Label100(rawValue: try o.choice("label", ["fine", "coarse"], "fine"))!
            return try CIFAR.cifar100(split: split, root: root, label: label)
        },
        LuaFunction("tensor_dataset", doc: """
        data.tensor_dataset(x, y) -> dataset
        A dataset over tensors: x is N×…, y holds N targets (class ids 0-based, int64 or float) or N×… values.
        Example:
          local ds = data.tensor_dataset(tensor.randn(100, 3, 8, 8), tensor.zeros(100))
        """) { L in
            let x = try L.checkTensor(1), y = try L.checkTensor(2)
            datasetType.push(L, try Dataset(inputs: x, targets: y))
            return 1
        },
    ]
}
