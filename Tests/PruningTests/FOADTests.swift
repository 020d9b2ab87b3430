import Foundation
import XCTest
import Kernels
import NN
@testable import Pruning
@testable import Tensor

/// FOAD's greedy on hand-built similarity matrices, its similarity kernel against direct
/// differences, and the criterion's batch-order invariance.
final class FOADTests: XCTestCase {
    func greedy(_ rows: [[Double]], t: Int, s: Double) throws -> (kept: [Int], removed: [Int]) {
        try FOAD.greedy(rows.flatMap { $0 }, channels: rows.count, t: t, threshold: s)
    }

    func testIndexOrderDecides() throws {
        // 0 and 1 alike: 0 comes first, so 0 is kept and removes 1; 2 stays.
        let s = [[1, 0.9, 0.1], [0.9, 1, 0.2], [0.1, 0.2, 1]]
        XCTAssertEqual(try greedy(s, t: 1, s: 0.5).kept, [0, 2])
        XCTAssertEqual(try greedy(s, t: 1, s: 0.5).removed, [1])
        // With s = 0 and t = 1, 0 removes 1, then 2 (alive) is kept and its top-1 alive
        // channel is 0 (kept: takes the slot, nothing removed).
        XCTAssertEqual(try greedy(s, t: 1, s: 0).kept, [0, 2])
    }

    func testKeptChannelsTakeTopSlots() throws {
        // 0's top-1 is 3 → removed. 1's top-1 among alive {0, 2} is 0 (kept): the slot is
        // used up, so 2 survives although S[1][2] ≥ s.
        let s: [[Double]] = [[1, 0.2, 0.1, 0.9],
                             [0.2, 1, 0.6, 0.3],
                             [0.1, 0.6, 1, 0.1],
                             [0.9, 0.3, 0.1, 1]]
        s.indices.forEach { i in s.indices.forEach { j in XCTAssertEqual(s[i][j], s[j][i]) } }
        var m = s
        m[1][0] = 0.7; m[0][1] = 0.7      // 1 resembles 0 more than 2
        let r = try greedy(m, t: 1, s: 0.5)
        // 0 keeps, removes its top-1 (3, S = 0.9); 1 is not removed (0's slot went to 3)
        XCTAssertEqual(r.kept, [0, 1, 2])
        XCTAssertEqual(r.removed, [3])
        // With t = 2, 0 removes 3 and 1 (S = 0.7 ≥ 0.5); 2 is kept, its top-2 alive are 0
        // (kept) and nothing else.
        XCTAssertEqual(try greedy(m, t: 2, s: 0.5).kept, [0, 2])
        // t larger than C − 1 examines every alive channel
        XCTAssertEqual(try greedy(m, t: 10, s: 0.5).kept, [0, 2])
        XCTAssertEqual(try greedy(m, t: 10, s: 0.05).kept, [0])
    }

    func testThreshold() throws {
        let s = [[1, 0.5, 0.4], [0.5, 1, 0.3], [0.4, 0.3, 1]]
        XCTAssertEqual(try greedy(s, t: 1, s: 0.5).kept, [0, 2], "S ≥ s removes (equality included)")
        XCTAssertEqual(try greedy(s, t: 1, s: 0.5000001).kept, [0, 1, 2])
        XCTAssertEqual(try greedy(s, t: 2, s: 0.4).kept, [0])
        XCTAssertEqual(try greedy(s, t: 2, s: 1.1).kept, [0, 1, 2], "a threshold above every S removes nothing")
    }

    func testTiesRankTheLowerIndexFirst() throws {
        // 0 is equally similar to 1, 2 and 3: with t = 1 only 1 (lowest index) is removed,
        // then 2 is kept and its top-1 among alive {0, 3}: S[2][0] = S[2][3] = 0.8 → 0
        // (kept, takes the slot), so 3 survives.
        let s: [[Double]] = [[1, 0.8, 0.8, 0.8],
                             [0.8, 1, 0.1, 0.1],
                             [0.8, 0.1, 1, 0.8],
                             [0.8, 0.1, 0.8, 1]]
        XCTAssertEqual(try greedy(s, t: 1, s: 0.5).kept, [0, 2, 3])
        XCTAssertEqual(try greedy(s, t: 2, s: 0.5).kept, [0, 3])
        XCTAssertEqual(FOAD.topIndices([4, 1, 3, 0], count: 2) { $0 < $1 }, [0, 1])
    }

    func testBadInput() throws {
        XCTAssertThrowsError(try greedy([[1, 0], [0, 1]], t: 0, s: 0))
        XCTAssertThrowsError(try FOAD.greedy([1, 2, 3], channels: 2, t: 1, threshold: 0))
        XCTAssertThrowsError(try greedy([[1, .nan], [.nan, 1]], t: 1, s: 0))
        XCTAssertThrowsError(try greedy([[1, 0], [0, 1]], t: 1, s: .infinity))
    }

    /// The double-precision kernel against direct differences, identical maps exactly 1.
    func testSimilarityMatchesDirectDifferences() throws {
        let x = try! randn([5, 6, 7, 9], seed: 3, scale: 30).map { $0 + 100 }   // large offset: cancellation-prone
        let p = try x.contiguous().toFloats()
        // channel 4 duplicates channel 1 in every image
        for n in 0..<5 { for k in 0..<63 { x.ptr[(n * 6 + 4) * 63 + k] = p[(n * 6 + 1) * 63 + k] } }
        let q = try x.contiguous().toFloats()
        let sums = try x.foadSimilaritySums()
        for i in 0..<6 {
            for j in 0..<6 {
                var total = 0.0
                for n in 0..<5 {
                    var d = 0.0
                    for k in 0..<63 { let e = Double(q[(n * 6 + i) * 63 + k]) - Double(q[(n * 6 + j) * 63 + k]); d += e * e }
                    total += 1 / (1 + d.squareRoot())
                }
                XCTAssertEqual(sums[i * 6 + j], total, accuracy: 1e-12 * max(1, total), "\(i),\(j)")
            }
        }
        XCTAssertEqual(sums[1 * 6 + 4], 5, "identical maps: exactly 1 per image")
        // the float32 (C, C) mean through tensor.foad_similarity's path
        let m = try x.channelMatrix(.foad, batching: .perImage, "f").toFloats()
        XCTAssertEqual(Double(m[2 * 6 + 3]), sums[2 * 6 + 3] / 5, accuracy: 1e-7)
    }

    /// Criterion results do not depend on the order of the calibration batches.
    func testBatchOrderInvariance() throws {
        let batches = (0..<4).map { try! randn([3, 8, 5, 5], seed: UInt64(10 + $0)).map { max(0, $0) } }
        let crit = FOADCriterion(t: 2, s: 0.3)
        func reduced(_ order: [Int]) throws -> Tensor {
            try Tensor.cat(order.map { try crit.reduceBatch(batches[$0], grads: nil)! }, 0)
        }
        let a = try FOADCriterion.similarity(try reduced([0, 1, 2, 3]))
        let b = try FOADCriterion.similarity(try reduced([3, 1, 0, 2]))
        for k in a.s.indices { XCTAssertEqual(a.s[k], b.s[k], accuracy: 1e-14) }
        let all = try Tensor.cat(batches, 0)
        let whole = try all.foadSimilaritySums()
        for k in a.s.indices { XCTAssertEqual(a.s[k], whole[k] / 12, accuracy: 1e-14) }
        XCTAssertEqual(try FOAD.greedy(a.s, channels: 8, t: 2, threshold: 0.3).kept,
                       try FOAD.greedy(b.s, channels: 8, t: 2, threshold: 0.3).kept)
    }
}
