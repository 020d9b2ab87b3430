import XCTest
@testable import Data
import Tensor

/// Data-parallel sharding: the ranks' batches at each step are the unsharded loader's
/// batch of K·B samples, split by rank; training shards have equal step counts.
final class LoaderShardTests: XCTestCase {
    func dataset(_ n: Int) throws -> Dataset {
        try Dataset(name: "toy", bytes: [UInt8](repeating: 0, count: n), sampleShape: [1],
                    targets: try Tensor.int64(shape: [n], values: (0..<n).map(Int64.init)))
    }

    func targets(_ l: Loader, epoch: Int = 0) throws -> [[Int]] {
        let next = try l.batches(epoch: epoch)
        var out: [[Int]] = []
        while let b = try next() { out.append(b.target.toArray().map { Int($0) }) }
        return out
    }

    func testRanksSplitTheGlobalBatch() throws {
        let global = try Loader(try dataset(23), batchSize: 8, shuffle: true, seed: 5)
        let local = try Loader(try dataset(23), batchSize: 4, shuffle: true, seed: 5)
        let r0 = try local.sharded(rank: 0, of: 2, even: true), r1 = try local.sharded(rank: 1, of: 2, even: true)
        let g = try targets(global, epoch: 1), a = try targets(r0, epoch: 1), b = try targets(r1, epoch: 1)
        XCTAssertEqual(a.count, 3); XCTAssertEqual(b.count, 3)
        XCTAssertEqual(r0.batchCount, 3); XCTAssertEqual(r1.batchCount, 3)
        for i in 0..<3 {
            XCTAssertEqual(Set(a[i] + b[i]), Set(g[i]), "step \(i + 1)")
            XCTAssertEqual(a[i].count + b[i].count, g[i].count)
        }
        // The last global batch has 7 samples: rank 1 gets 4, rank 2 gets 3.
        XCTAssertEqual([a[2].count, b[2].count], [4, 3])
        XCTAssertEqual(r0.sampleCount + r1.sampleCount, 23)
    }

    func testEvenShardsDropALastBatchSmallerThanTheRanks() throws {
        // 17 = 2 full global batches of 8 + 1 sample: training drops it (rank 2 would have none).
        let l = try Loader(try dataset(17), batchSize: 4)
        let even = [try l.sharded(rank: 0, of: 2, even: true), try l.sharded(rank: 1, of: 2, even: true)]
        XCTAssertEqual(even.map(\.batchCount), [2, 2])
        XCTAssertEqual(try even.map { try targets($0).count }, [2, 2])
        let uneven = [try l.sharded(rank: 0, of: 2, even: false), try l.sharded(rank: 1, of: 2, even: false)]
        XCTAssertEqual(uneven.map(\.batchCount), [3, 2])
        XCTAssertEqual(try targets(uneven[0]).last, [16])
        XCTAssertEqual(uneven.map(\.sampleCount).reduce(0, +), 17)
    }

    func testOneRankIsTheLoaderItself() throws {
        let l = try Loader(try dataset(10), batchSize: 3, shuffle: true, seed: 2)
        XCTAssertEqual(try targets(try l.sharded(rank: 0, of: 1, even: true)), try targets(l))
        XCTAssertThrowsError(try l.sharded(rank: 2, of: 2, even: true))
    }
}
