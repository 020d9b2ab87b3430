import XCTest
import NN
@testable import Pruning
@testable import Tensor

/// The engine sees through ACNet blocks: a block's three branches and their BNs shrink
/// with its output channels, its three convs' inputs with the channels it reads. An
/// SFM model prunes before or after fusing, with the same result.
final class ACConvPruningTests: XCTestCase {
    static let models: [(name: String, options: [String: ZooOption])] = [
        ("vgg11", [:]), ("vgg16", ["classifier": .string("mlp")]), ("resnet20", [:]), ("resnet32", ["option": .string("B")]),
    ]

    /// A zoo model converted with trained-looking state: random BN statistics and γ
    /// everywhere, inside the blocks too.
    func acnetModel(_ name: String, _ options: [String: ZooOption]) throws -> any Module {
        let net = try ACNet.convert(try Zoo.make(name, options: options), gamma: 1).net
        randomizeNorms(net, seed: 7)
        var s: UInt64 = 500
        for (_, m) in net.namedModules() {
            guard let a = m as? ACConv2d else { continue }
            for bn in [a.squareBN, a.verBN, a.horBN] {
                s += 4
                let c = bn.numFeatures
                bn.runningMean = randn([c], seed: s, scale: 0.1)
                bn.runningVar = try! randn([c], seed: s + 1, scale: 0.1).map { 1 + abs($0) }
                bn.weight?.value = try! randn([c], seed: s + 2, scale: 0.3).map { 0.5 + $0 }
                bn.bias?.value = randn([c], seed: s + 3, scale: 0.1)
            }
        }
        net.eval()
        return net
    }

    /// A copy through the spec and the state dict.
    func copy(_ net: any Module) throws -> any Module {
        let c = try ModelSpec.decode(try ModelSpec.encode(net))
        try c.loadStateDict(net.stateDict())
        c.eval()
        return c
    }

    /// 30 % of every prunable group, by group name (deterministic, spread over the filters).
    func keepSets(_ graph: DependencyGraph) -> [String: [Int]] {
        var kept: [String: [Int]] = [:]
        for g in graph.groups where g.frozen == nil {
            let n = g.channels, k = max(1, Int(Double(n) * 0.7))
            kept[g.name] = Array((0..<n).sorted { (($0 * 7 + g.index) % n, $0) < (($1 * 7 + g.index) % n, $1) }.prefix(k)).sorted()
        }
        return kept
    }

    func byIndex(_ graph: DependencyGraph, _ kept: [String: [Int]]) throws -> [Int: [Int]] {
        var out: [Int: [Int]] = [:]
        for (name, k) in kept { out[try XCTUnwrap(graph.group(named: name), name).index] = k }
        return out
    }

    /// Prunes `net` by `kept` and checks the result against the masked full net.
    func pruneAndCheck(_ net: any Module, _ kept: [String: [Int]], _ x: Tensor, _ what: String) throws -> Tensor {
        let graph = try DependencyGraph(net, inputShape: [1] + x.shape.dropFirst())
        XCTAssertTrue(graph.problems.isEmpty, "\(what): \(graph.problems)")
        let idx = try byIndex(graph, kept)
        let masked = try graph.maskedForward(net, x, kept: idx)
        let before = try net.count(inputShape: [1] + x.shape.dropFirst())
        let estimate = graph.estimate(removing: try graph.removedClasses(idx))
        try graph.apply(idx)
        let y = try net.forward(x)
        XCTAssertLessThan(maxAbsDiff(y, masked), 1e-3 * max(1, masked.toFloats().map(abs).max()!), what)
        let after = try net.count(inputShape: [1] + x.shape.dropFirst())
        XCTAssertLessThan(after.macs, before.macs, what)
        XCTAssertEqual(estimate.macs, after.macs, what)
        XCTAssertEqual(estimate.params, after.params, what)
        return y
    }

    func testGroupsSeeThroughTheBlocks() throws {
        let net = try acnetModel("resnet20", [:])
        let graph = try DependencyGraph(net, inputShape: [1, 3, 32, 32])
        XCTAssertTrue(graph.problems.isEmpty, "\(graph.problems)")
        let plain = try DependencyGraph(try Zoo.make("resnet20", options: [:]), inputShape: [1, 3, 32, 32])
        XCTAssertEqual(graph.groups.map(\.name), plain.groups.map(\.name))
        let g = try XCTUnwrap(graph.group(named: "layer1.0.conv1"))
        let out = try XCTUnwrap(g.slots.first { $0.layer == "layer1.0.conv1" && $0.role == .output })
        let entries = Set(out.entries.map(\.entry))
        for e in ["square_conv.weight", "ver_conv.weight", "hor_conv.weight", "square_bn.weight", "hor_bn.running_var", "ver_bn.bias"] {
            XCTAssertTrue(entries.contains(e), e)
        }
        let consumer = try XCTUnwrap(g.slots.first { $0.layer == "layer1.0.conv2" && $0.role == .input })
        XCTAssertEqual(Set(consumer.entries.map(\.entry)), ["square_conv.weight", "ver_conv.weight", "hor_conv.weight"])
        XCTAssertEqual(consumer.entries.map(\.dim), [1, 1, 1])
        // The criterion context sees the square kernel as the group's weight.
        let ctx = try CriterionContext(graph: graph, group: g, model: net)
        XCTAssertEqual(ctx.weight?.shape, [16, 16, 3, 3])
    }

    /// Pruned before fusing and after: the pruned net equals the masked full net; it
    /// rebuilds from its spec and still trains.
    func testAcnetModelsPruneThirtyPercent() throws {
        for (name, options) in Self.models {
            let net = try acnetModel(name, options)
            let x = randn([2, 3, 32, 32], seed: 11)
            let kept = keepSets(try DependencyGraph(net, inputShape: [1, 3, 32, 32]))
            XCTAssertFalse(kept.isEmpty)
            let fusedFirst = try ACNet.fuse(try copy(net)).net
            let y = try pruneAndCheck(net, kept, x, name)
            let block = try XCTUnwrap(net.namedModules().lazy.compactMap { $0.module as? ACConv2d }.first)
            XCTAssertEqual(block.hor.weight.value.shape[0], block.squareBN.numFeatures)
            XCTAssertEqual(block.verBN.runningVar.shape, [block.outChannels])
            let again = try copy(net)
            XCTAssertEqual(try again.forward(x).toFloats(), y.toFloats(), name)
            net.train()
            let out = try net.forward(randn([2, 3, 32, 32], seed: 12))
            _ = try net.backward(try Tensor(zeros: out.shape).fullLike(1))
            _ = try pruneAndCheck(fusedFirst, kept, x, name + " fused")
        }
    }

    /// fuse(prune(acnet(net))) == prune(fuse(acnet(net))) in eval mode.
    func testPruningAndFusingCommute() throws {
        for (name, options) in Self.models {
            let a = try acnetModel(name, options)
            let b = try copy(a)
            let x = randn([2, 3, 32, 32], seed: 13)
            let kept = keepSets(try DependencyGraph(a, inputShape: [1, 3, 32, 32]))
            _ = try pruneAndCheck(a, kept, x, name)
            a.eval()
            let pruneThenFuse = try ACNet.fuse(a).net
            let fuseThenPrune = try ACNet.fuse(b).net
            _ = try pruneAndCheck(fuseThenPrune, kept, x, name + " fused")
            let y1 = try pruneThenFuse.forward(x), y2 = try fuseThenPrune.forward(x)
            XCTAssertLessThan(maxAbsDiff(y1, y2), 1e-4 * max(1, y1.toFloats().map(abs).max()!), name)
            XCTAssertEqual(try pruneThenFuse.count(inputShape: [1, 3, 32, 32]).params,
                           try fuseThenPrune.count(inputShape: [1, 3, 32, 32]).params, name)
        }
    }

    /// Weight criteria score a block by the kernel it computes (its fused conv's): an SFM
    /// model ranks its filters the same before and after `nn.fuse`, and the branches and
    /// their BNs count (the k×k branch alone would rank differently).
    func testWeightCriteriaScoreTheEquivalentKernel() throws {
        let a = try acnetModel("resnet20", [:])
        let fused = try ACNet.fuse(try copy(a)).net
        let ga = try DependencyGraph(a, inputShape: [1, 3, 32, 32])
        let gf = try DependencyGraph(fused, inputShape: [1, 3, 32, 32])
        let criteria: [any Criterion] = [NormCriterion(p: 1), NormCriterion(p: 2, reduction: .mean), FPGMCriterion()]
        var compared = 0, squareDiffers = false
        for g in ga.groups where g.frozen == nil {
            let f = try XCTUnwrap(gf.group(named: g.name), g.name)
            for c in criteria {
                guard case .scores(let sa) = try c.evaluate(try CriterionContext(graph: ga, group: g, model: a)),
                      case .scores(let sf) = try c.evaluate(try CriterionContext(graph: gf, group: f, model: fused)) else {
                    XCTFail("\(c.name) on \(g.name): no scores"); continue
                }
                XCTAssertEqual(sa.count, sf.count)
                for (x, y) in zip(sa, sf) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y)), "\(c.name) \(g.name)") }
                compared += 1
            }
            if let block = try ga.slots.first(where: { $0.layer == g.name && $0.role == .output })?.module as? ACConv2d {
                let sq = try channelNorms(block.square.weight.value, dim: 0, factor: 1, p: 1)!
                guard case .scores(let sa) = try NormCriterion(p: 1).evaluate(try CriterionContext(graph: ga, group: g, model: a)) else { continue }
                if zip(sq, sa).contains(where: { abs($0 - $1) > 1e-3 * max(1, abs($1)) }) { squareDiffers = true }
            }
        }
        XCTAssertGreaterThan(compared, 20)
        // in training mode the block still scores by its eval-mode kernel (running statistics)
        let g = try XCTUnwrap(ga.group(named: "layer2.1.conv1"))
        let before = try NormCriterion(p: 1).evaluate(try CriterionContext(graph: ga, group: g, model: a))
        a.train()
        let after = try NormCriterion(p: 1).evaluate(try CriterionContext(graph: ga, group: g, model: a))
        guard case .scores(let s0) = before, case .scores(let s1) = after else { return XCTFail("layer2.1.conv1: no scores") }
        XCTAssertEqual(s0, s1)
        XCTAssertTrue(squareDiffers, "the k×k branch alone scores as the block does: the test would not see the branches")
    }
}
