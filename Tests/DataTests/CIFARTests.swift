import Foundation
import XCTest
@testable import Data
import Tensor

final class CIFARTests: DataTestCase {
    /// A record: label bytes, then R, G, B planes where pixel (c, h, w) = (seed + c * 7 + h + w) % 256.
    func record(_ labels: [UInt8], seed: Int) -> [UInt8] {
        labels + (0..<3).flatMap { c in (0..<1024).map { UInt8((seed + c * 7 + $0 / 32 + $0 % 32) % 256) } }
    }

    func testCIFAR10TrainAndTest() throws {
        let sub = dir + "/cifar-10-batches-bin"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        for b in 1...5 {
            _ = FileManager.default.createFile(atPath: sub + "/data_batch_\(b).bin",
                                               contents: Data(record([UInt8(b)], seed: b) + record([UInt8(b + 4)], seed: 100 + b)))
        }
        _ = FileManager.default.createFile(atPath: sub + "/test_batch.bin", contents: Data(record([3], seed: 9)))
        let train = try CIFAR.cifar10(split: .train, root: FilePath(dir))
        XCTAssertEqual(train.count, 10)
        XCTAssertEqual(train.sampleShape, [3, 32, 32])
        XCTAssertEqual(train.targets.toArray(), [1, 5, 2, 6, 3, 7, 4, 8, 5, 9])
        let (x, y) = try train.sample(2)                     // batch 2, first record: seed 2
        XCTAssertEqual(try y.item(), 2)
        XCTAssertEqual(x.value(at: [0, 0, 0]), 2.0 / 255, accuracy: 1e-7)
        XCTAssertEqual(x.value(at: [1, 0, 0]), 9.0 / 255, accuracy: 1e-7)      // green plane: + 7
        XCTAssertEqual(x.value(at: [2, 3, 5]), 24.0 / 255, accuracy: 1e-7)     // 2 + 14 + 3 + 5
        XCTAssertEqual(train.classes[0], "airplane")
        let test = try CIFAR.cifar10(split: .test, root: FilePath(dir))
        XCTAssertEqual(test.targets.toArray(), [3])
    }

    func testCIFAR100FineAndCoarse() throws {
        write("train.bin", record([4, 77], seed: 1) + record([19, 99], seed: 2))
        write("fine_label_names.txt", Array((0..<100).map { "f\($0)" }.joined(separator: "\n").utf8))
        let fine = try CIFAR.cifar100(split: .train, root: FilePath(dir))
        XCTAssertEqual(fine.targets.toArray(), [77, 99])
        XCTAssertEqual(fine.classes[77], "f77")
        let coarse = try CIFAR.cifar100(split: .train, root: FilePath(dir), label: .coarse)
        XCTAssertEqual(coarse.targets.toArray(), [4, 19])
        XCTAssertEqual(coarse.classes.count, 20)
        XCTAssertEqual(try coarse.sample(1).input.value(at: [0, 0, 1]), 3.0 / 255, accuracy: 1e-7)
    }

    func testTruncatedAndCorruptCIFAR() throws {
        write("test_batch.bin", Array(record([1], seed: 0).dropLast()))
        assertError(try CIFAR.cifar10(split: .test, root: FilePath(dir)), "cifar10:", "test_batch.bin",
                    "truncated or corrupt: 3072 bytes is not a whole number of 3073-byte records")
        write("test_batch.bin", record([10], seed: 0))
        assertError(try CIFAR.cifar10(split: .test, root: FilePath(dir)), "label 10 of record 1 is outside 0..9")
        write("test.bin", record([20, 5], seed: 0))
        assertError(try CIFAR.cifar100(split: .test, root: FilePath(dir), label: .coarse), "label 20 of record 1 is outside 0..19")
        assertError(try CIFAR.cifar10(split: .train, root: FilePath(dir)), "cannot find the CIFAR-10 train batch (data_batch_1.bin)",
                    "cifar-10-batches-bin", "pass root =")
    }
}
