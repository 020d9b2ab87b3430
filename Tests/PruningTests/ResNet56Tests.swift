import Data
import Foundation
import XCTest
import NN
@testable import Pruning
@testable import Tensor

/// The seed-0 ResNet-56 exported from PyTorch (../shared/bench): exact logits, Torch-Pruning's
/// parameter count and kept filters, and a pruned residual stream equal to the masked net.
final class ResNet56Tests: XCTestCase {
    static let bench = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/bench").standardized.path

    func loadNet() throws -> Sequential { try loadBenchResNet56() }

    /// x[n,c,h,w] = sin(0.01·(n·3072 + c·1024 + h·32 + w)), the check file's input.
    func checkInput() -> Tensor {
        let t = try! Tensor(uninitialized: [2, 3, 32, 32])
        for i in 0..<t.numel { t.ptr[i] = Float(Foundation.sin(0.01 * Double(i))) }
        return t
    }

    func testLogitsMatchPyTorch() throws {
        let net = try loadNet()
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.bench + "/resnet56_seed0_check.json"))
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let logits = try XCTUnwrap(obj["logits"] as? [[Double]]).flatMap { $0 }
        let y = try net.forward(checkInput()).toFloats()
        for (a, b) in zip(y, logits) { XCTAssertEqual(Double(a), b, accuracy: 1e-3 * max(1, abs(b)) ) }
    }

    func l1Plan(_ net: Sequential, ignoreStreams: Bool) throws -> PruningPlan {
        let graph = try DependencyGraph(net, inputShape: [1, 3, 32, 32])
        var o = PlanOptions()
        o.amount = .ratio(0.5, perGroup: [:])
        for g in graph.groups where ignoreStreams && !(g.name.hasSuffix(".conv1") && g.name.hasPrefix("layer")) {
            o.ignored.insert(g.index)
        }
        return try Planner.plan(net, graph: graph, criterion: NormCriterion(p: 1, reduction: .first), options: o)
    }

    func testInnerChannelsMatchTorchPruning() throws {
        let net = try loadNet()
        let plan = try l1Plan(net, ignoreStreams: true)
        XCTAssertEqual(plan.params.before, 853_018)
        XCTAssertEqual(plan.params.after, 428_074)
        XCTAssertEqual(plan.groups.filter { $0.after < $0.before }.count, 27)
        // Li et al.'s filter L1 by hand: the kept filters of layer2.3.conv1 are the 16 largest.
        let w = try XCTUnwrap(net.module(at: "layer2.3.conv1") as? Conv2d).weight.value
        let l1 = (0..<32).map { c in try! w.select(0, c).contiguous().toFloats().reduce(0.0) { $0 + Double(abs($1)) } }
        let expect = Array((0..<32).sorted { l1[$0] > l1[$1] }.prefix(16)).sorted()
        XCTAssertEqual(plan.kept["layer2.3.conv1"], expect)
        // Torch-Pruning 1.6.1's kept filters, recorded by ../shared/bench/bench_prune.py.
        let ref = try tpReference()
        let filterL1 = try XCTUnwrap(ref["filter_l1"])
        XCTAssertEqual(filterL1.count, 27)
        for (layer, kept) in filterL1 { XCTAssertEqual(plan.kept[layer], kept, layer) }
        try plan.apply(to: net)
        XCTAssertEqual(net.parameterCount, 428_074)
    }

    /// Torch-Pruning's kept filters per variant (0-based).
    func tpReference() throws -> [String: [String: [Int]]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/tp_resnet56_kept.json")
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any])
        var out: [String: [String: [Int]]] = [:]
        for v in ["filter_l1", "tp_default"] { out[v] = try XCTUnwrap(obj[v] as? [String: [Int]]) }
        return out
    }

    /// Torch-Pruning's default importance: the mean over the group's members (conv1's filter
    /// L1, |γ| of bn1, conv2's input-channel L1), mean-normalised.
    func testGroupMeanL1MatchesTorchPruningDefault() throws {
        let net = try loadNet()
        let graph = try DependencyGraph(net, inputShape: [1, 3, 32, 32])
        var o = PlanOptions()
        o.amount = .ratio(0.5, perGroup: [:])
        o.normalizer = .mean
        for g in graph.groups where !(g.name.hasSuffix(".conv1") && g.name.hasPrefix("layer")) { o.ignored.insert(g.index) }
        let plan = try Planner.plan(net, graph: graph, criterion: NormCriterion(p: 1, reduction: .mean), options: o)
        for (layer, kept) in try XCTUnwrap(tpReference()["tp_default"]) { XCTAssertEqual(plan.kept[layer], kept, layer) }
    }

    func testPrunedStreamsEqualMaskedNet() throws {
        let net = try loadNet()
        let plan = try l1Plan(net, ignoreStreams: false)
        XCTAssertGreaterThan(plan.groups.filter { $0.after < $0.before }.count, 27, "the residual streams are pruned too")
        let x = checkInput()
        let masked = try plan.graph.maskedForward(net, x, kept: plan.keepMap)
        try plan.apply(to: net)
        let y = try net.forward(x)
        let scale = masked.toFloats().map(abs).max()!
        XCTAssertLessThan(maxAbsDiff(y, masked), 1e-4 * scale)
        XCTAssertEqual((net.module(at: "conv1") as? Conv2d)?.outChannels, 8)
        XCTAssertEqual((net.module(at: "layer3.8.conv2") as? Conv2d)?.outChannels, 32)
    }
}
