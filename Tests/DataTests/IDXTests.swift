import Foundation
import XCTest
@testable import Data
import Tensor

final class IDXTests: DataTestCase {
    /// Three 2×3 images with pixel values i*10 + k, labels 7, 0, 9.
    func writeMNIST(gz: Bool, prefix: String = "train") throws {
        let pixels = (0..<3).flatMap { i in (0..<6).map { UInt8(i * 10 + $0) } }
        let img = idx([3, 2, 3], pixels), lab = idx([3], [7, 0, 9])
        if gz {
            try FileBytes.writeGzip(dir + "/\(prefix)-images-idx3-ubyte.gz", img)
            try FileBytes.writeGzip(dir + "/\(prefix)-labels-idx1-ubyte.gz", lab)
        } else {
            write("\(prefix)-images-idx3-ubyte", img)
            write("\(prefix)-labels-idx1-ubyte", lab)
        }
    }

    func checkSmall(_ ds: Dataset) throws {
        XCTAssertEqual(ds.count, 3)
        XCTAssertEqual(ds.sampleShape, [1, 2, 3])
        XCTAssertEqual(ds.targets.toArray(), [7, 0, 9])
        let (x, y) = try ds.sample(1)
        XCTAssertEqual(x.shape, [1, 2, 3])
        XCTAssertEqual(x.toFloats(), (10..<16).map { Float($0) / 255 })
        XCTAssertEqual(try y.item(), 0)
    }

    func testPlainAndGzipIDX() throws {
        try writeMNIST(gz: false)
        try checkSmall(try MNIST.digits(split: .train, root: FilePath(dir)))
        try FileManager.default.removeItem(atPath: dir + "/train-images-idx3-ubyte")
        try FileManager.default.removeItem(atPath: dir + "/train-labels-idx1-ubyte")
        try writeMNIST(gz: true)
        try checkSmall(try MNIST.digits(split: .train, root: FilePath(dir)))
        try checkSmall(try MNIST.fashion(split: .train, root: FilePath(dir)))
    }

    func testGenericIDXTypes() throws {
        // int16 big-endian [2]: -2, 300; float32 [1]: 1.5
        let a = try IDXArray.parse(idx([2], [0xFF, 0xFE, 0x01, 0x2C], type: 0x0B), context: "t")
        XCTAssertEqual(try a.tensor().toArray(), [-2, 300])
        let f = try IDXArray.parse(idx([1], [0x3F, 0xC0, 0, 0], type: 0x0D), context: "t")
        XCTAssertEqual(try f.tensor().toArray(), [1.5])
    }

    func testTruncatedAndCorruptIDX() throws {
        let img = idx([3, 2, 3], [UInt8](repeating: 1, count: 18))
        assertError(try IDXArray.parse(Array(img.dropLast(5)), context: "mnist: f"), "mnist: f", "truncated", "needs 18 bytes", "has 13")
        assertError(try IDXArray.parse(Array(img.prefix(9)), context: "f"), "truncated", "size of dimension 2")
        assertError(try IDXArray.parse(img + [0], context: "f"), "corrupt", "1 bytes after")
        assertError(try IDXArray.parse([0x1F, 0x8B, 8, 3] + img, context: "f"), "bad magic number 1f 8b 08 03")
        assertError(try IDXArray.parse([0, 0], context: "f"), "truncated")
        // labels outside 0...9 and mismatched counts
        write("i", img)
        write("l", idx([3], [1, 2, 10]))
        assertError(try MNIST.fromFiles(images: FilePath(dir + "/i"), labels: FilePath(dir + "/l"), name: "mnist", classes: MNIST.digitClasses),
                    "label 10 of sample 3 is outside 0..9")
        write("l2", idx([2], [1, 2]))
        assertError(try MNIST.fromFiles(images: FilePath(dir + "/i"), labels: FilePath(dir + "/l2"), name: "mnist", classes: MNIST.digitClasses),
                    "has 3 images but", "has 2 labels")
        assertError(try MNIST.fromFiles(images: FilePath(dir + "/l2"), labels: FilePath(dir + "/l2"), name: "mnist", classes: MNIST.digitClasses),
                    "expected unsigned bytes of shape [N, H, W]")
    }

    func testTruncatedAndCorruptGzip() throws {
        try writeMNIST(gz: true)
        let path = dir + "/train-images-idx3-ubyte.gz"
        let gz = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        write("cut.gz", Array(gz.prefix(gz.count - 12)))
        assertError(try FileBytes.read(dir + "/cut.gz", op: "mnist"), "mnist:", "cut.gz", "truncated")
        var bad = gz
        for k in 12..<(gz.count - 8) { bad[k] ^= 0x5A }
        write("bad.gz", bad)
        XCTAssertThrowsError(try IDXArray.read(FilePath(dir + "/bad.gz"), op: "mnist")) { e in
            XCTAssertTrue("\(e)".contains("bad.gz"), "\(e)")
        }
    }

    func testMissingDatasetSaysWhereAndHow() throws {
        assertError(try MNIST.fashion(split: .test, root: FilePath(dir + "/nope")),
                    "fashion_mnist: cannot find the test images", "t10k-images-idx3-ubyte.gz", "looked in \(dir)/nope",
                    "apt-get install dataset-fashion-mnist")
        assertError(try MNIST.digits(split: .train, root: FilePath(dir)), "mnist: cannot find", "looked in \(dir)")
        assertError(try FileBytes.read(dir, op: "x"), "is a directory")
    }

    /// The real files of Debian's dataset-fashion-mnist package, when installed.
    func testRealFashionMNIST() throws {
        guard FileBytes.exists(MNIST.fashionSystemRoot + "/t10k-labels-idx1-ubyte.gz") else {
            throw XCTSkip("dataset-fashion-mnist is not installed")
        }
        // Reference values from numpy over the gzip files (gzip.open + np.frombuffer).
        let train = try MNIST.fashion(split: .train)
        XCTAssertEqual(train.count, 60000)
        XCTAssertEqual(train.sampleShape, [1, 28, 28])
        XCTAssertEqual(Array(train.targets.toArray().prefix(10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        let x0 = try train.sample(0).input
        XCTAssertEqual(Double(try x0.sum().item()) * 255, 76247, accuracy: 0.05)
        XCTAssertEqual(try x0.select(1, 10).narrow(1, 10, 5).toFloats().map { ($0 * 255).rounded() }, [0, 0, 0, 193, 228])
        let test = try MNIST.fashion(split: .test)
        XCTAssertEqual(test.count, 10000)
        XCTAssertEqual(Array(test.targets.toArray().prefix(10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
        XCTAssertEqual(Double(try test.sample(9999).input.sum().item()) * 255, 24390, accuracy: 0.05)
        XCTAssertEqual(test.classes[9], "Ankle boot")
    }

    /// A header claiming more than the file can hold is refused before inflating; a
    /// stream longer than its header claims is inflated only one byte past the claim.
    func testHostileSizesAreCheckedBeforeInflating() throws {
        // 2^31 images of 1×1: 2 GB claimed by a file of a few dozen bytes.
        try FileBytes.writeGzip(dir + "/huge.gz", idx([1 << 31, 1, 1], []))
        assertError(try IDXArray.read(FilePath(dir + "/huge.gz"), op: "mnist"), "mnist", "huge.gz", "corrupt header",
                    "claims 2147483648 bytes", "can hold")
        write("huge", idx([1 << 20, 1, 1], [1, 2, 3]))
        assertError(try IDXArray.read(FilePath(dir + "/huge"), op: "mnist"), "truncated", "needs 1048576 bytes")
        // 4 bytes claimed, 64 MB of zeros after them: refused after reading 5.
        try FileBytes.writeGzip(dir + "/long.gz", idx([4], [UInt8](repeating: 0, count: 64 << 20)))
        let start = Date()
        assertError(try IDXArray.read(FilePath(dir + "/long.gz"), op: "t"), "corrupt", "after the 4 bytes of data")
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.2)
        // The ordinary files still read.
        try FileBytes.writeGzip(dir + "/ok.gz", idx([2, 2], [1, 2, 3, 4]))
        XCTAssertEqual(try IDXArray.read(FilePath(dir + "/ok.gz"), op: "t").tensor().toArray(), [1, 2, 3, 4])
        write("ok", idx([3], [5, 6, 7]))
        XCTAssertEqual(try IDXArray.read(FilePath(dir + "/ok"), op: "t").tensor().toArray(), [5, 6, 7])
        assertError(try IDXArray.read(FilePath(dir + "/nothere"), op: "t"), "no such file")
    }
}
