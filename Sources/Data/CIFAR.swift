import Foundation
import Tensor

/// CIFAR-10 and CIFAR-100, binary version. CIFAR-10 records are 1 label byte and 3072
/// pixel bytes (red, green, blue planes of 32×32); CIFAR-100 records carry a coarse
/// and a fine label byte before the pixels.
public enum CIFAR {
    public static let classes10 = ["airplane", "automobile", "bird", "cat", "deer",
                                   "dog", "frog", "horse", "ship", "truck"]

    /// Which CIFAR-100 label to use as the target.
    public enum Label100: String, Sendable { case fine, coarse }

    /// CIFAR-10: data_batch_1.bin … data_batch_5.bin (train) or test_batch.bin, in
    /// `root` or `root/cifar-10-batches-bin` (default roots: `$TOPIARY_DATASETS/cifar10`,
    /// `Datasets/cifar10`). Images 3×32×32 in [0, 1], labels 0…9.
    public static func cifar10(split: Split, root: FilePath? = nil) throws -> Dataset {
        let loc = locator("cifar10", root: root, subdir: "cifar-10-batches-bin", archive: "cifar-10-binary.tar.gz")
        let names = split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
        let paths = try names.map { try loc.find([$0], what: "the CIFAR-10 \(split.rawValue) batch") }
        var classes = classes10
        if let meta = loc.sibling(of: paths[0], "batches.meta.txt"), let names = readNames(meta), names.count == 10 {
            classes = names
        }
        return try read(paths, labelBytes: 1, labelIndex: 0, classCount: 10, name: "cifar10", classes: classes)
    }

    /// CIFAR-100: train.bin or test.bin in `root` or `root/cifar-100-binary`, with the
    /// fine (100 classes, default) or coarse (20 superclasses) label as target.
    public static func cifar100(split: Split, root: FilePath? = nil, label: Label100 = .fine) throws -> Dataset {
        let loc = locator("cifar100", root: root, subdir: "cifar-100-binary", archive: "cifar-100-binary.tar.gz")
        let path = try loc.find(["\(split.rawValue).bin"], what: "the CIFAR-100 \(split.rawValue) file")
        let count = label == .fine ? 100 : 20
        var classes = (0..<count).map(String.init)
        if let meta = loc.sibling(of: path, "\(label.rawValue)_label_names.txt"), let names = readNames(meta), names.count == count {
            classes = names
        }
        return try read([path], labelBytes: 2, labelIndex: label == .fine ? 1 : 0, classCount: count,
                        name: "cifar100", classes: classes)
    }

    static func locator(_ name: String, root: FilePath?, subdir: String, archive: String) -> DatasetLocator {
        DatasetLocator(op: name, root: root, name: name, subdirs: [subdir],
                       howToGet: "Unpack the binary version (\(archive)) into one of these directories, or pass root = '/dir/with/the/bin/files'.")
    }

    /// Reads record files and concatenates them. Every file must be a whole number of
    /// records and every label within range.
    public static func read(_ paths: [FilePath], labelBytes: Int, labelIndex: Int, classCount: Int,
                            name: String, classes: [String]) throws -> Dataset {
        let pixels = 3 * 32 * 32, record = labelBytes + pixels
        var images: [UInt8] = []
        var labels: [Int64] = []
        for path in paths {
            // the largest file of either set holds 50,000 records; more is not CIFAR (and a
            // gzip-compressed file is not inflated past it)
            let most = 60_000 * record
            let bytes = try FileBytes.Stream(path, op: name).read(most + 1)
            guard bytes.count <= most else {
                throw TensorError("\(name): \(path): corrupt: more than \(most / record) records (\(record) bytes each); no CIFAR file holds that many")
            }
            guard !bytes.isEmpty, bytes.count % record == 0 else {
                throw TensorError("\(name): \(path): truncated or corrupt: \(bytes.count) bytes is not a whole number of \(record)-byte records (\(labelBytes) label byte\(labelBytes > 1 ? "s" : "") + \(pixels) pixel bytes)")
            }
            let n = bytes.count / record
            images.reserveCapacity(images.count + n * pixels)
            for r in 0..<n {
                let base = r * record
                let v = Int64(bytes[base + labelIndex])
                guard v < classCount else {
                    throw TensorError("\(name): \(path): label \(v) of record \(r + 1) is outside 0..\(classCount - 1) (corrupt file?)")
                }
                labels.append(v)
                images.append(contentsOf: bytes[(base + labelBytes)..<(base + record)])
            }
        }
        return try Dataset(name: name, bytes: images, sampleShape: [3, 32, 32],
                           targets: try Tensor.int64(shape: [labels.count], values: labels), classes: classes)
    }

    /// Non-empty lines of a class-name file.
    static func readNames(_ path: FilePath) -> [String]? {
        guard let bytes = try? path.readAll(op: "cifar"), let text = String(validating: bytes, as: UTF8.self) else { return nil }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
