import Foundation
import XCTest
import Kernels
import NN
@testable import Pruning
@testable import Tensor

/// Feature-map clustering: determinism under a seed, medoids and redundancy indices on
/// hand-built channel vectors, DBSCAN's emergent keep-set, bad input.
final class RedundancyTests: XCTestCase {
    /// Three well-separated groups of channel vectors (sizes 3, 2, 1) in 4 features.
    func groups() -> [Double] {
        let centres: [[Double]] = [[10, 0, 0, 0], [0, 10, 0, 0], [0, 0, 10, 5]]
        let member = [0, 1, 0, 2, 1, 0]   // channel → group
        var v: [Double] = []
        for (c, g) in member.enumerated() { v += centres[g].map { $0 + 0.01 * Double(c) * ($0 == 0 ? 1 : -1) } }
        return v
    }

    func testKMeansKeepsOneMedoidPerCluster() throws {
        var o = RedundancyOptions()
        o.seed = 7; o.restarts = 2
        let r = try Redundancy.select(groups(), channels: 6, features: 4, ratio: 0.5, options: o, what: "test")
        XCTAssertEqual(r.clusters, 3)
        XCTAssertEqual(r.keep.count, 3)
        // same cluster ⇔ same group
        let member = [0, 1, 0, 2, 1, 0]
        for i in 0..<6 { for j in 0..<6 { XCTAssertEqual(r.labels[i] == r.labels[j], member[i] == member[j]) } }
        XCTAssertEqual(r.ri, [0.4, 0.2, 0.4, 0, 0.2, 0.4].map { $0 })
        // group 0 = {0, 2, 5}: the member nearest its mean is 2 (the offsets are 0, 0.02, 0.05)
        XCTAssertTrue(r.keep.contains(2) && r.keep.contains(3))
        XCTAssertEqual(Set(r.keep + r.pruneOrder), Set(0..<6))
        // prune order: descending RI (group 0's members first), ties by index
        XCTAssertEqual(r.pruneOrder.map { r.ri[$0] }, r.pruneOrder.map { r.ri[$0] }.sorted(by: >))
        XCTAssertEqual(r.pruneOrder.prefix(2).sorted(), [0, 5])
    }

    func testDeterministicUnderASeed() throws {
        let v = randn([24, 10], seed: 5).toFloats().map(Double.init)
        var o = RedundancyOptions()
        o.seed = 11
        let a = try Redundancy.select(v, channels: 24, features: 10, ratio: 0.5, options: o, what: "t")
        let b = try Redundancy.select(v, channels: 24, features: 10, ratio: 0.5, options: o, what: "t")
        XCTAssertEqual(a.labels, b.labels)
        XCTAssertEqual(a.keep, b.keep)
        XCTAssertEqual(a.keep.count, 12, "k = round(24 · 0.5)")
        o.seed = 12
        let c = try Redundancy.select(v, channels: 24, features: 10, ratio: 0.5, options: o, what: "t")
        XCTAssertEqual(c.keep.count, 12)
        // PCA before clustering is deterministic too
        o.dims = 3
        let d1 = try Redundancy.select(v, channels: 24, features: 10, ratio: 0.25, options: o, what: "t")
        let d2 = try Redundancy.select(v, channels: 24, features: 10, ratio: 0.25, options: o, what: "t")
        XCTAssertEqual(d1.keep, d2.keep)
        XCTAssertEqual(d1.keep.count, 18)
    }

    func testRoundHalfToEvenAsPython() throws {
        // C = 5, ratio 0.5: round(2.5) = 2 (Python), not 3
        let v = randn([5, 3], seed: 1).toFloats().map(Double.init)
        let r = try Redundancy.select(v, channels: 5, features: 3, ratio: 0.5, options: RedundancyOptions(), what: "t")
        XCTAssertEqual(r.keep.count, 2)
    }

    func testDBSCANKeepSetEmerges() throws {
        var o = RedundancyOptions()
        o.method = .dbscan; o.eps = 0.01; o.minSamples = 2
        let r = try Redundancy.select(groups(), channels: 6, features: 4, ratio: nil, options: o, what: "t")
        // cosine: the three groups point in three directions; all are clusters (group 2 has
        // one member: noise → its own singleton)
        XCTAssertEqual(r.clusters, 3)
        XCTAssertEqual(r.keep.count, 3)
        XCTAssertEqual(r.ri[3], 0)
        o.eps = 1e-9
        let none = try Redundancy.select(groups(), channels: 6, features: 4, ratio: nil, options: o, what: "t")
        XCTAssertEqual(none.keep, Array(0..<6), "everything noise: every channel kept")
    }

    func testStartCentres() throws {
        var o = RedundancyOptions()
        o.initial = [0, 1, 3]
        let r = try Redundancy.select(groups(), channels: 6, features: 4, ratio: 0.5, options: o, what: "t")
        XCTAssertEqual(r.labels, [0, 1, 0, 2, 1, 0])
        o.initial = [0, 1]
        XCTAssertThrowsError(try Redundancy.select(groups(), channels: 6, features: 4, ratio: 0.5, options: o, what: "t"))
    }

    func testBadInput() throws {
        var o = RedundancyOptions()
        o.clusters = 7
        XCTAssertThrowsError(try Redundancy.select(groups(), channels: 6, features: 4, ratio: nil, options: o, what: "g")) {
            XCTAssertTrue("\($0)".contains("fewer channels than clusters"), "\($0)")
        }
        o.clusters = nil
        XCTAssertThrowsError(try Redundancy.select(groups(), channels: 6, features: 4, ratio: nil, options: o, what: "g")) {
            XCTAssertTrue("\($0)".contains("needs a ratio"), "\($0)")
        }
        o.dims = 5
        XCTAssertThrowsError(try Redundancy.select(groups(), channels: 6, features: 4, ratio: 0.5, options: o, what: "g")) {
            XCTAssertTrue("\($0)".contains("dims = 5"), "\($0)")
        }
        var d = RedundancyOptions()
        d.method = .dbscan; d.minSamples = 9
        XCTAssertThrowsError(try Redundancy.select(groups(), channels: 6, features: 4, ratio: nil, options: d, what: "g"))
        var bad = groups()
        bad[3] = .nan
        XCTAssertThrowsError(try Redundancy.select(bad, channels: 6, features: 4, ratio: 0.5, options: RedundancyOptions(), what: "g"))
    }

    /// Channel sums reduce batches independently of their order.
    func testBatchOrderInvariance() throws {
        let batches = (0..<3).map { try! randn([4, 6, 3, 3], seed: UInt64(20 + $0)).map { max(0, $0) } }
        let crit = RedundancyCriterion(RedundancyOptions())
        func v(_ order: [Int]) throws -> [Double] {
            let (s, n) = try DoubleSums.unpack(try Tensor.cat(order.map { try crit.reduceBatch(batches[$0], grads: nil)! }, 0), "t")
            return s.map { $0 / Double(n) }
        }
        let a = try v([0, 1, 2]), b = try v([2, 0, 1])
        for k in a.indices { XCTAssertEqual(a[k], b[k], accuracy: 1e-15) }
        let ra = try Redundancy.select(a, channels: 6, features: 9, ratio: 0.5, options: RedundancyOptions(), what: "t")
        let rb = try Redundancy.select(b, channels: 6, features: 9, ratio: 0.5, options: RedundancyOptions(), what: "t")
        XCTAssertEqual(ra.keep, rb.keep)
    }

    /// The blocked channel sums (four images per visit, 512 features per block) equal the
    /// image-by-image double sums bit for bit, for image counts that leave a remainder and
    /// feature counts that are not a multiple of the block.
    func testChannelSumsEqualSequentialSums() throws {
        Random.manualSeed(31)
        for (n, c, h, w) in [(7, 3, 13, 11), (1, 2, 5, 5), (9, 17, 8, 8), (4, 40, 16, 16)] {
            let maps = try Tensor.randn([n, c, h, w])
            let got = try RedundancyCriterion.channelSums(maps)
            let x = maps.toFloats(), cf = c * h * w
            var want = [Double](repeating: 0, count: cf)
            for i in 0..<n { for k in 0..<cf { want[k] += Double(x[i * cf + k]) } }
            XCTAssertEqual(got, want, "\(n)x\(c)x\(h)x\(w)")
        }
    }
}
