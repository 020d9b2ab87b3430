import Data
import Foundation
import XCTest
import NN
@testable import Pruning
@testable import Tensor

/// Batches over tensors already in memory (labels n mod 10).
func tensorList(_ items: [Tensor]) throws -> BatchList {
    BatchList(try items.map { x in (x, try Tensor.int64(shape: [x.shape[0]], values: (0..<x.shape[0]).map { Int64($0 % 10) })) })
}

/// `foad` and `redundancy` through the planner: a duplicated channel is pruned and the
/// distinct ones kept; plans refuse a ratio the criterion cannot honour.
final class FOADRedundancyPlanTests: XCTestCase {
    /// conv(1→4) – BN – ReLU – conv(4→3): filter 3 (index 2) duplicates filter 1 (index 0).
    func tinyNet() throws -> Sequential {
        let conv = try Conv2d(1, 4, kernelSize: (3, 3), padding: (1, 1))
        conv.weight.value = randn([4, 1, 3, 3], seed: 41)
        conv.bias!.value = randn([4], seed: 42, scale: 0.1)
        let w = conv.weight.value
        for k in 0..<9 { w.ptr[2 * 9 + k] = w.ptr[k] }
        conv.bias!.value.ptr[2] = conv.bias!.value.ptr[0]
        let net = try Sequential(named: [("conv", conv), ("bn", try BatchNorm2d(4)), ("relu", ReLU()),
                                         ("head", try Conv2d(4, 3, kernelSize: (3, 3)))])
        net.eval()
        return net
    }

    func plan(_ c: any Criterion, ratio: Double? = 0.5) throws -> PruningPlan {
        let net = try tinyNet()
        let graph = try DependencyGraph(net, inputShape: [1, 1, 8, 8])
        var o = PlanOptions()
        if let r = ratio { o.amount = .ratio(r, perGroup: [:]) } else { o.amount = .targetMACs(1) }
        let calib = try tensorList([randn([6, 1, 8, 8], seed: 43), randn([5, 1, 8, 8], seed: 44)])
        return try Planner.plan(net, graph: graph, criterion: c, options: o, calibration: calib, batches: 2)
    }

    func testDuplicatedChannelIsPruned() throws {
        XCTAssertEqual(try plan(FOADCriterion(t: 1, s: 0.999)).kept["conv"], [0, 1, 3])
        var o = RedundancyOptions()
        o.clusters = 3
        XCTAssertEqual(try plan(RedundancyCriterion(o)).kept["conv"], [0, 1, 3])
        // k from the plan's ratio: 4 · (1 − 0.25) = 3 clusters
        XCTAssertEqual(try plan(RedundancyCriterion(RedundancyOptions()), ratio: 0.25).kept["conv"], [0, 1, 3])
    }

    func testTargetsNeedScores() throws {
        XCTAssertThrowsError(try plan(FOADCriterion(), ratio: nil)) {
            XCTAssertTrue("\($0)".contains("needs per-channel scores"), "\($0)")
        }
        XCTAssertThrowsError(try plan(RedundancyCriterion(RedundancyOptions()), ratio: nil)) {
            XCTAssertTrue("\($0)".contains("needs a ratio"), "\($0)")
        }
    }

    // MARK: ResNet-56 against ../shared/bench/bench_criteria.py

    func reference() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/resnet56_foad_redundancy.json")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any])
    }

    /// FOAD's keep-sets (t = 1, s = 0 and t = 2, s = 0.5) equal the reference's on all 27
    /// inner layers; k-means clustering from the reference's start centres gives its
    /// labels and keep-sets.
    func testResNet56MatchesReference() throws {
        let path = ResNet56Tests.bench + "/resnet56_seed0.safetensors"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) not found") }
        let net = try Zoo.resnetCifar(depth: 56)
        try net.loadStateDict(try SafeTensors.read(path).entries.map { ($0.name, $0.tensor) }, strict: false)
        net.eval()
        let graph = try DependencyGraph(net, inputShape: [1, 3, 32, 32])
        let inner = graph.groups.filter { $0.name.hasPrefix("layer") && $0.name.hasSuffix(".conv1") }
        XCTAssertEqual(inner.count, 27)
        let points = try inner.map { try XCTUnwrap(graph.point(of: $0.index, .act)) }
        let foad = FOADCriterion(), red = RedundancyCriterion(RedundancyOptions())
        // one pass: both reductions side by side in one int64 row
        var widths: [Int: Int] = [:]
        let collected = try Calibration.collect(net, points: points, source: try BatchList.sinusoid(batches: 5, size: 128),
                                                batches: 5, gradients: false) { p, maps, _ in
            let a = try foad.reduceBatch(maps, grads: nil)!, b = try red.reduceBatch(maps, grads: nil)!
            widths[p.group] = a.shape[1]
            return try Tensor.cat([a, b], 1)
        }
        let ref = try reference()
        let t1 = try XCTUnwrap(ref["foad_t1_s0"] as? [String: [Int]]), t2 = try XCTUnwrap(ref["foad_t2_s05"] as? [String: [Int]])
        let keep = try XCTUnwrap(ref["redundancy_keep"] as? [String: [Int]])
        let start = try XCTUnwrap(ref["redundancy_init"] as? [String: [Int]])
        let labels = try XCTUnwrap(ref["redundancy_labels"] as? [String: [Int]])
        var ties = 0, same = 0
        for g in inner {
            let both = try XCTUnwrap(collected[g.index]), w = try XCTUnwrap(widths[g.index])
            let (sim, c) = try FOADCriterion.similarity(try both.narrow(1, 0, w).contiguous())
            XCTAssertEqual(c, g.channels)
            XCTAssertEqual(try FOAD.greedy(sim, channels: c, t: 1, threshold: 0).kept, t1[g.name], "foad t1 s0 \(g.name)")
            XCTAssertEqual(try FOAD.greedy(sim, channels: c, t: 2, threshold: 0.5).kept, t2[g.name], "foad t2 s0.5 \(g.name)")
            let (sums, n) = try DoubleSums.unpack(try both.narrow(1, w, both.shape[1] - w).contiguous(), "t")
            var o = RedundancyOptions()
            o.initial = start[g.name]
            let r = try Redundancy.select(sums.map { $0 / Double(n) }, channels: c, features: sums.count / c,
                                          ratio: 0.5, options: o, what: g.name)
            XCTAssertEqual(r.labels, labels[g.name], "redundancy labels \(g.name)")
            // Medoids: the same, except where two members are equally far from their cluster's
            // mean (two-member clusters), which the reference decides by rounding and we by index.
            let v = sums.map { $0 / Double(n) }, f = sums.count / c
            let ours = Set(r.keep), theirs = Set(try XCTUnwrap(keep[g.name]))
            for cluster in Set(r.labels) {
                let m = (0..<c).filter { r.labels[$0] == cluster }
                var centre = [Double](repeating: 0, count: f)
                for i in m { for j in 0..<f { centre[j] += v[i * f + j] / Double(m.count) } }
                let d = m.map { i in (0..<f).reduce(0.0) { $0 + (v[i * f + $1] - centre[$1]) * (v[i * f + $1] - centre[$1]) } }
                let a = try XCTUnwrap(m.first { ours.contains($0) }), b = try XCTUnwrap(m.first { theirs.contains($0) })
                if a != b {
                    let da = d[m.firstIndex(of: a)!], db = d[m.firstIndex(of: b)!]
                    XCTAssertEqual(da, db, accuracy: 1e-9 * max(da, 1e-12), "\(g.name): medoid \(a) (ours) vs \(b) must be a tie")
                    ties += 1
                } else { same += 1 }
            }
        }
        XCTAssertGreaterThan(same, 10 * ties, "ties are the exception (\(ties) of \(same + ties) clusters)")
        print("redundancy medoids: \(same) equal, \(ties) ties decided differently, over 27 layers")
    }
}
