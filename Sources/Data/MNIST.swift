import Tensor

/// MNIST and Fashion-MNIST from their IDX files (plain or .gz).
public enum MNIST {
    /// Where Debian's `dataset-fashion-mnist` package puts the files.
    public static let fashionSystemRoot = "/usr/share/datasets/fashion-mnist"

    public static let fashionClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    public static let digitClasses = (0...9).map(String.init)

    /// Fashion-MNIST: 60000 (train) or 10000 (test) images 1×28×28 in [0, 1], labels 0…9.
    /// Looks in `root` if given, else `$TOPIARY_DATASETS/fashion-mnist`,
    /// `Datasets/fashion-mnist`, then /usr/share/datasets/fashion-mnist.
    public static func fashion(split: Split, root: FilePath? = nil) throws -> Dataset {
        let loc = DatasetLocator(op: "fashion_mnist", root: root, name: "fashion-mnist",
                                 subdirs: ["raw", "FashionMNIST/raw"], system: fashionSystemRoot,
                                 howToGet: "The default copy is Debian's package: install it with `apt-get install dataset-fashion-mnist`, or pass root = '/dir/with/the/idx/files'.")
        return try load(loc, split: split, name: "fashion_mnist", classes: fashionClasses)
    }

    /// MNIST digits, same layout as Fashion-MNIST. Looks in `root` if given, else
    /// `$TOPIARY_DATASETS/mnist` and `Datasets/mnist`.
    public static func digits(split: Split, root: FilePath? = nil) throws -> Dataset {
        let loc = DatasetLocator(op: "mnist", root: root, name: "mnist", subdirs: ["raw", "MNIST/raw"],
                                 howToGet: "Put the four IDX files of MNIST (train-images-idx3-ubyte.gz, ...) in one of these directories, or pass root = '/dir/with/the/idx/files'.")
        return try load(loc, split: split, name: "mnist", classes: digitClasses)
    }

    static func candidates(_ prefix: String, _ kind: String, _ rank: Int) -> [String] {
        let a = "\(prefix)-\(kind)-idx\(rank)-ubyte", b = "\(prefix)-\(kind).idx\(rank)-ubyte"
        return [a + ".gz", a, b + ".gz", b]
    }

    static func load(_ loc: DatasetLocator, split: Split, name: String, classes: [String]) throws -> Dataset {
        let prefix = split == .train ? "train" : "t10k"
        let imagesPath = try loc.find(candidates(prefix, "images", 3), what: "the \(split.rawValue) images")
        let labelsPath = try loc.find(candidates(prefix, "labels", 1), what: "the \(split.rawValue) labels")
        return try fromFiles(images: imagesPath, labels: labelsPath, name: name, classes: classes)
    }

    /// A dataset from an images file (u8, N×H×W) and a labels file (u8, N).
    public static func fromFiles(images: FilePath, labels: FilePath, name: String, classes: [String]) throws -> Dataset {
        let img = try IDXArray.read(images, op: name)
        guard img.kind == .u8, img.shape.count == 3 else {
            throw TensorError("\(name): \(images): expected unsigned bytes of shape [N, H, W] (magic 00 00 08 03), got type 0x\(String(img.kind.rawValue, radix: 16)) with shape \(shapeString(img.shape))")
        }
        let lab = try IDXArray.read(labels, op: name)
        guard lab.kind == .u8, lab.shape.count == 1 else {
            throw TensorError("\(name): \(labels): expected unsigned bytes of shape [N] (magic 00 00 08 01), got type 0x\(String(lab.kind.rawValue, radix: 16)) with shape \(shapeString(lab.shape))")
        }
        guard img.shape[0] == lab.shape[0] else {
            throw TensorError("\(name): \(images) has \(img.shape[0]) images but \(labels) has \(lab.shape[0]) labels")
        }
        let y = try lab.tensor()
        try checkLabels(y, classes: classes.count, "\(name): \(labels)")
        return try Dataset(name: name, bytes: img.payload, sampleShape: [1, img.shape[1], img.shape[2]],
                           targets: y, classes: classes)
    }
}
