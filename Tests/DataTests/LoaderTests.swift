import Foundation
import XCTest
@testable import Data
import Tensor

/// A transform that must run on the consumer's thread (as Lua functions do): adds 1000
/// to every input and records the thread.
final class ForegroundAdd: Transform {
    var threads: [Thread] = []
    var runsInBackground: Bool { false }
    var description: String { "foreground" }
    func apply(_ batch: Batch, rng: inout Xoshiro256) throws -> Batch {
        threads.append(Thread.current)
        return Batch(input: try batch.input.add(try Tensor(scalar: 1000)), target: batch.target)
    }
}

final class LoaderTests: XCTestCase {
    /// 10 images 1×3×4 whose pixels identify the sample; labels = sample index.
    func dataset(_ n: Int = 10) throws -> Dataset {
        let bytes = (0..<n).flatMap { i in (0..<12).map { UInt8((i * 12 + $0) % 256) } }
        return try Dataset(name: "toy", bytes: bytes, sampleShape: [1, 3, 4],
                           targets: try Tensor.int64(shape: [n], values: (0..<n).map(Int64.init)))
    }

    func all(_ l: Loader, epoch: Int) throws -> [(Tensor, Tensor)] {
        let next = try l.batches(epoch: epoch)
        var out: [(Tensor, Tensor)] = []
        while let b = try next() { out.append((b.input, b.target)) }
        return out
    }

    func testBatchingWithoutShuffle() throws {
        let l = try Loader(try dataset(), batchSize: 4)
        XCTAssertEqual(l.batchCount, 3)
        XCTAssertEqual(l.sampleCount, 10)
        let bs = try all(l, epoch: 0)
        XCTAssertEqual(bs.map { $0.0.shape }, [[4, 1, 3, 4], [4, 1, 3, 4], [2, 1, 3, 4]])
        XCTAssertEqual(bs.flatMap { $0.1.toArray() }, (0..<10).map(Double.init))
        XCTAssertEqual(bs[2].0.value(at: [1, 0, 2, 3]), Double(Float(9 * 12 + 11) / 255))
        let d = try Loader(try dataset(), batchSize: 4, dropLast: true)
        XCTAssertEqual(d.batchCount, 2)
        XCTAssertEqual(d.sampleCount, 8)
        XCTAssertEqual(try all(d, epoch: 0).count, 2)
        XCTAssertThrowsError(try Loader(try dataset(), batchSize: 0))
    }

    func testSeededShufflingPerEpoch() throws {
        let ds = try dataset()
        let a = try Loader(ds, batchSize: 3, shuffle: true, seed: 5)
        let b = try Loader(ds, batchSize: 3, shuffle: true, seed: 5, background: false)
        let c = try Loader(ds, batchSize: 3, shuffle: true, seed: 6)
        let e0 = try all(a, epoch: 0).flatMap { $0.1.toArray() }
        let e1 = try all(a, epoch: 1).flatMap { $0.1.toArray() }
        XCTAssertEqual(e0.sorted(), (0..<10).map(Double.init), "a permutation")
        XCTAssertEqual(e1.sorted(), (0..<10).map(Double.init))
        XCTAssertNotEqual(e0, e1, "epochs shuffle differently")
        XCTAssertNotEqual(e0, (0..<10).map(Double.init))
        XCTAssertEqual(try all(b, epoch: 0).flatMap { $0.1.toArray() }, e0, "same seed, same order")
        XCTAssertEqual(try all(a, epoch: 0).flatMap { $0.1.toArray() }, e0, "replayable")
        XCTAssertNotEqual(try all(c, epoch: 0).flatMap { $0.1.toArray() }, e0, "another seed")
        // Inputs travel with their labels.
        for (x, y) in try all(a, epoch: 1) {
            for (k, label) in y.toArray().enumerated() {
                XCTAssertEqual(x.value(at: [k, 0, 0, 0]), Double(Float(Int(label) * 12) / 255))
            }
        }
    }

    /// Random transforms give the same batches with and without the background thread,
    /// and `batch(epoch:index:)` reproduces any single batch.
    func testBackgroundThreadIsDeterministic() throws {
        let ds = try dataset(37)
        let ts: [Transform] = [try RandomCrop(height: 3, width: 4, padding: 2), try HorizontalFlip(p: 0.5),
                               try Normalize(mean: [0.5], std: [0.25])]
        let bg = try Loader(ds, batchSize: 5, shuffle: true, seed: 11, transforms: ts)
        let fg = try Loader(ds, batchSize: 5, shuffle: true, seed: 11, transforms: ts, background: false)
        for epoch in 0..<3 {
            let a = try all(bg, epoch: epoch), b = try all(fg, epoch: epoch)
            XCTAssertEqual(a.count, 8)
            for (i, (x, y)) in a.enumerated() {
                XCTAssertEqual(x.toFloats(), b[i].0.toFloats(), "epoch \(epoch) batch \(i)")
                XCTAssertEqual(y.toArray(), b[i].1.toArray())
                XCTAssertEqual(try bg.batch(epoch: epoch, index: i).input.toFloats(), x.toFloats())
            }
        }
        let e0 = try all(bg, epoch: 0).map { $0.0.toFloats() }, e1 = try all(bg, epoch: 1).map { $0.0.toFloats() }
        XCTAssertNotEqual(e0, e1)
        // An epoch abandoned half-way leaves nothing behind that disturbs the next one.
        let next = try bg.batches(epoch: 0)
        _ = try next()
        XCTAssertEqual(try all(bg, epoch: 0).map { $0.0.toFloats() }, e0)
    }

    func testForegroundTransformsRunOnTheConsumerThread() throws {
        let f = ForegroundAdd()
        let l = try Loader(try dataset(), batchSize: 4, transforms: [try Normalize(mean: [0], std: [1]), f, try HorizontalFlip(p: 1)])
        XCTAssertEqual(l.backgroundStages.count, 1)
        XCTAssertEqual(l.foregroundStages.count, 2)
        let bs = try all(l, epoch: 0)
        XCTAssertEqual(f.threads.count, 3)
        XCTAssertTrue(f.threads.allSatisfy { $0 == Thread.current })
        // flipped after the add: first pixel of sample 0 is pixel 3 + 1000
        XCTAssertEqual(bs[0].0.value(at: [0, 0, 0, 0]), Double(Float(3) / 255 + 1000), accuracy: 1e-4)
    }

    func testErrorsSurfaceAtTheConsumer() throws {
        let l = try Loader(try dataset(), batchSize: 4, transforms: [try Normalize(mean: [0, 0], std: [1, 1])])
        let next = try l.batches(epoch: 0)
        XCTAssertThrowsError(try next()) { XCTAssertTrue("\($0)".contains("2 means for a batch with 1 channels"), "\($0)") }
        XCTAssertThrowsError(try l.batch(epoch: 0, index: 3)) { XCTAssertTrue("\($0)".contains("batch 4 out of range"), "\($0)") }
    }

    func testTensorDatasetAndSubset() throws {
        let x = try Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6])
        let y = try Tensor(shape: [3], values: [0.5, 1.5, 2.5])
        let ds = try Dataset(inputs: x, targets: y)
        XCTAssertEqual(ds.sampleShape, [2])
        let (a, b) = try ds.gather([2, 0])
        XCTAssertEqual(a.toFloats(), [5, 6, 1, 2])
        XCTAssertEqual(b.toFloats(), [2.5, 0.5])
        XCTAssertThrowsError(try Dataset(inputs: x, targets: try Tensor(zeros: [2]))) {
            XCTAssertTrue("\($0)".contains("inputs have 3 samples"), "\($0)")
        }
        let sub = try dataset().subset([9, 1])
        XCTAssertEqual(sub.targets.toArray(), [9, 1])
        XCTAssertEqual(try sub.sample(0).input.value(at: [0, 0, 0]), Double(Float(108) / 255))
        XCTAssertThrowsError(try ds.sample(3))
    }
}
