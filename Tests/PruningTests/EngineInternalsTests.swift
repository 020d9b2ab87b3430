import Foundation
import XCTest
import NN
@testable import Pruning
@testable import Tensor

/// The fast paths of the engine agree with the plain computations they replace: copies,
/// per-channel norms read in place, the defining filter's norm alone, keep-set checks.
final class EngineInternalsTests: XCTestCase {
    func testCopyIsDeepAndDrawsNoRandomNumbers() throws {
        let net = try Zoo.resnetCifar(depth: 20, option: .b)
        randomizeNorms(net, seed: 3)
        net.eval()
        // mixed modes and a frozen parameter come across as they are
        net.module(at: "layer2")?.train()
        net.module(at: "layer2.0.bn1")?.training = false
        let frozen = try XCTUnwrap(net.module(at: "layer1.0.conv1") as? Conv2d).weight
        frozen.requiresGrad = false
        Random.manualSeed(21)
        let c = try net.deepCopy()
        var g = Xoshiro256(seed: 21)
        XCTAssertEqual(Random.global.next(), g.next(), "copying draws no random numbers")
        XCTAssertFalse(c.training)
        for (x, y) in zip(net.namedModules(), c.namedModules()) { XCTAssertEqual(x.module.training, y.module.training, x.name) }
        XCTAssertEqual(c.module(at: "layer2.1.conv1")?.training, true)
        XCTAssertEqual(c.module(at: "layer2.0.bn1")?.training, false)
        XCTAssertFalse(try XCTUnwrap(c.module(at: "layer1.0.conv1") as? Conv2d).weight.requiresGrad)
        XCTAssertTrue(try XCTUnwrap(c.module(at: "layer1.0.conv2") as? Conv2d).weight.requiresGrad)
        net.eval()
        c.eval()
        let a = net.stateDict(), b = c.stateDict()
        XCTAssertEqual(a.map(\.key), b.map(\.key))
        for (x, y) in zip(a, b) {
            XCTAssertFalse(x.tensor === y.tensor, x.key)
            XCTAssertEqual(x.tensor.shape, y.tensor.shape, x.key)
            XCTAssertEqual(x.tensor.dtype, y.tensor.dtype, x.key)
            XCTAssertEqual(x.tensor.toFloats(), y.tensor.toFloats(), x.key)
        }
        let input = randn([2, 3, 32, 32], seed: 4)
        XCTAssertEqual(try net.forward(input).toFloats(), try c.forward(input).toFloats())
        // Independent: pruning the copy leaves the original whole.
        let graph = try DependencyGraph(c, inputShape: [1, 3, 32, 32])
        try graph.apply([try XCTUnwrap(graph.group(named: "layer1.0.conv1")).index: [0, 1]])
        XCTAssertEqual(try XCTUnwrap(net.module(at: "layer1.0.conv1") as? Conv2d).outChannels, 16)
    }

    /// channelNorms equals the norm of each row of `transpose(0, dim)` (dims 0 and 1, the
    /// ones slots slice) to rounding (p = 1, 2 sum with SIMD partial sums), and equal rows
    /// get equal norms (ties stay ties).
    func testChannelNormsMatchRowsOfTheMovedTensor() throws {
        let t = randn([6, 4, 3, 3], seed: 5)
        let lin = randn([5, 12], seed: 6)
        for (x, dim, factor) in [(t, 0, 1), (t, 1, 1), (lin, 1, 3), (lin, 0, 1)] {
            let moved = try x.transpose(0, dim).contiguous()
            let rows = moved.shape[0] / factor, per = moved.numel / rows
            let all = moved.toFloats()
            for p in [1.0, 2.0, 3.0] {
                let expect = (0..<rows).map { r -> Double in
                    let v = all[(r * per)..<((r + 1) * per)]
                    if p == 1 { return v.reduce(0) { $0 + Double(abs($1)) } }
                    if p == 2 { return v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
                    return Foundation.pow(v.reduce(0) { $0 + Foundation.pow(Double(abs($1)), p) }, 1 / p)
                }
                let got = try XCTUnwrap(try channelNorms(x, dim: dim, factor: factor, p: p))
                XCTAssertEqual(got.count, expect.count)
                for (g, e) in zip(got, expect) { XCTAssertEqual(g, e, accuracy: 1e-13 * e, "dim \(dim) factor \(factor) p \(p)") }
            }
        }
        XCTAssertNil(try channelNorms(t, dim: 4, factor: 1, p: 1))
        // long rows (the SIMD body and its tail), two of them equal
        let w = randn([3, 37, 3, 3], seed: 7)
        w.withFloats { p in for k in 0..<(37 * 9) { p[2 * 37 * 9 + k] = p[k] } }
        let rows = w.toFloats()
        for p in [1.0, 2.0] {
            let got = try XCTUnwrap(try channelNorms(w, dim: 0, factor: 1, p: p))
            XCTAssertEqual(got[0], got[2], "p \(p): equal filters, equal norms")
            for r in 0..<3 {
                let v = rows[(r * 333)..<((r + 1) * 333)]
                let e = p == 1 ? v.reduce(0) { $0 + Double(abs($1)) } : v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
                XCTAssertEqual(got[r], e, accuracy: 1e-13 * e, "p \(p) row \(r)")
            }
        }
    }

    /// APoZ's per-map zero count (SIMD body and tail, −0 counted as zero, NaN not) and the
    /// batch reduction over many maps in parallel, against a plain count.
    func testZeroCountsAndAPoZReduction() throws {
        for n in [0, 1, 15, 16, 17, 40, 1025] {
            var v = (0..<n).map { Float($0 % 3) - 1 }          // −1, 0, 1, …
            if n > 5 { v[5] = -0.0; v[4] = .nan }
            let expect = v.filter { $0 == 0 }.count
            XCTAssertEqual(v.withUnsafeBufferPointer { RunSums.zeros($0.baseAddress ?? UnsafePointer(bitPattern: 8)!, n) }, expect, "n \(n)")
        }
        let maps = try randn([7, 5, 9, 11], seed: 3).clamp(min: 0, max: nil)
        let got = try XCTUnwrap(try MapCriterion(.apoz).reduceBatch(maps, grads: nil)).toFloats()
        let all = maps.toFloats(), hw = 99
        XCTAssertEqual(got.count, 35)
        for r in 0..<35 {
            let zeros = all[(r * hw)..<((r + 1) * hw)].filter { $0 == 0 }.count
            XCTAssertEqual(got[r], 1 - Float(zeros) / Float(hw), "row \(r)")
        }
    }

    /// Reduction `first` scores the defining filter alone: the same as every member's
    /// norms filtered down to it.
    func testFirstReductionScoresTheDefiningFilter() throws {
        let net = try Zoo.resnetCifar(depth: 20, option: .b)
        let graph = try DependencyGraph(net, inputShape: [1, 3, 32, 32])
        for g in graph.groups where g.frozen == nil {
            let ctx = try CriterionContext(graph: graph, group: g, model: net)
            for p in [1.0, 2.0] {
                let all = try ctx.memberNorms(p: p)
                let expect = try XCTUnwrap(all.first { $0.layer == g.name && $0.role == .output }).norms
                guard case .scores(let s) = try NormCriterion(p: p, reduction: .first).evaluate(ctx) else { return XCTFail() }
                XCTAssertEqual(s, expect, g.name)
                guard case .scores(let m) = try NormCriterion(p: p, reduction: .mean).evaluate(ctx) else { return XCTFail() }
                let mean = (0..<g.channels).map { c in all.reduce(0.0) { $0 + $1.norms[c] } / Double(all.count) }
                XCTAssertEqual(m, mean, g.name)
            }
        }
    }

    /// One keep-set check for surgery and for selection-based criteria.
    func testKeepSetCheckMessages() throws {
        let net = try Zoo.resnetCifar(depth: 20)
        let graph = try DependencyGraph(net, inputShape: [1, 3, 32, 32])
        let g = try XCTUnwrap(graph.group(named: "layer1.0.conv1"))
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return String(describing: error) }
        }
        XCTAssertEqual(message { try graph.apply([g.index: []]) },
                       "prune.apply: the keep-set of group layer1.0.conv1 is empty (it kept no channel)")
        XCTAssertEqual(message { try graph.apply([g.index: [0, 16]]) },
                       "prune.apply: group layer1.0.conv1 has 16 channels, index 17 is out of range")
        XCTAssertEqual(message { try graph.apply([g.index: [2, 2]]) },
                       "prune.apply: the keep-set of group layer1.0.conv1 lists channel 3 twice")
        XCTAssertEqual(message { try Planner.check(.keep([1, -1]), g, "foad") },
                       "criterion 'foad': group layer1.0.conv1 has 16 channels, index 0 is out of range")
        XCTAssertEqual(message { try Planner.check(.keep([]), g, "foad") },
                       "criterion 'foad': the keep-set of group layer1.0.conv1 is empty (it kept no channel)")
        XCTAssertEqual(try XCTUnwrap(net.module(at: "layer1.0.conv1") as? Conv2d).outChannels, 16, "nothing applied")
    }

    /// Gradient calibration reduces each point as its gradient arrives (during the
    /// backward) with the same results as after it; a point nothing reports is an error
    /// naming it, with and without gradients, and the net stays usable.
    func testCalibrationReducesAsGradientsArriveAndNamesMissingPoints() throws {
        let net = try Zoo.resnetCifar(depth: 8)
        randomizeNorms(net, seed: 7)
        net.eval()
        let graph = try DependencyGraph(net, inputShape: [1, 3, 8, 8])
        let g = try XCTUnwrap(graph.group(named: "layer1.0.conv1")).index
        let point = try XCTUnwrap(graph.point(of: g, .act))
        let source = try BatchList.sinusoid(batches: 2, size: 4)
        var seen: [(Tensor, Tensor)] = []
        let out = try Calibration.collect(net, points: [point], source: source, batches: 2, gradients: true) { _, m, d in
            seen.append((try m.clone(), try XCTUnwrap(d).clone()))
            return try TaylorCriterion().reduceBatch(m, grads: d)
        }
        XCTAssertEqual(seen.count, 2, "one reduction per batch")
        XCTAssertEqual(try XCTUnwrap(out[g]).shape, [8, 16])
        // the reduced rows are Σ a·∂L/∂a / HW of the maps and gradients the reducer was given
        let a = seen[0].0.toFloats(), d = seen[0].1.toFloats(), hw = seen[0].0.shape[2] * seen[0].0.shape[3]
        let row0 = (0..<hw).reduce(0.0) { $0 + Double(a[$1]) * Double(d[$1]) } / Double(hw)
        XCTAssertEqual(Double(try XCTUnwrap(out[g]).toFloats()[0]), row0, accuracy: 1e-6 + 1e-4 * abs(row0))
        XCTAssertGreaterThan(d.map(abs).max() ?? 0, 0)
        // kept whole (the reducer returns nil), the gradients are stacked beside the maps:
        // the two batches' tensors the reducer saw above, in order
        let whole = try Calibration.collectWithGradients(net, points: [point], source: source, batches: 2,
                                                         gradients: true) { _, _, _ in nil }
        XCTAssertEqual(try XCTUnwrap(whole.grads[g]).shape, [8, 16, 32, 32])
        XCTAssertEqual(try XCTUnwrap(whole.grads[g]).toFloats(), seen[0].1.toFloats() + seen[1].1.toFloats())
        XCTAssertEqual(try XCTUnwrap(whole.maps[g]).toFloats(), seen[0].0.toFloats() + seen[1].0.toFloats())
        XCTAssertTrue(try Calibration.collectWithGradients(net, points: [point], source: source, batches: 2,
                                                           gradients: false) { _, _, _ in nil }.grads.isEmpty)
        let missing = GroupPoint(group: g, path: "layer9.conv", positions: [0])
        for gradients in [true, false] {
            XCTAssertThrowsError(try Calibration.collect(net, points: [point, missing], source: source, batches: 1,
                                                         gradients: gradients) { _, _, _ in nil }) { e in
                XCTAssertTrue("\(e)".contains("no output was seen at layer9.conv"), "\(e)")
            }
        }
        XCTAssertEqual(try net.forward(try Tensor.randn([1, 3, 8, 8])).shape, [1, 10])
    }

    /// Maps kept whole are written by their fused run into their stack (no reducer: from the
    /// first batch; a reducer returning nil: from the second) with the same bits as copied
    /// there from layer-by-layer outputs, including a smaller last batch and a point that
    /// takes some of its node's channels (that one is copied).
    func testKeptMapsAreWrittenInPlaceWithTheSameBits() throws {
        let net = try Zoo.resnetCifar(depth: 8)
        randomizeNorms(net, seed: 11)
        net.eval()
        let graph = try DependencyGraph(net, inputShape: [1, 3, 8, 8])
        let points = try graph.groups.filter { $0.name.hasSuffix(".conv1") }.map { try XCTUnwrap(graph.point(of: $0.index, .act)) }
        XCTAssertEqual(points.count, 3)
        let partial = GroupPoint(group: points[0].group, path: points[0].path, positions: [3, 0, 5])
        let batches = try [4, 4, 3].enumerated().map { i, n in
            (input: randn([n, 3, 8, 8], seed: UInt64(20 + i)), target: try Tensor.int64(shape: [n], values: (0..<n).map { Int64($0 % 10) }))
        }
        let source = BatchList(batches)
        func capture(_ pts: [GroupPoint], reducer: Bool) throws -> [Int: [Float]] {
            let r = reducer ? try Calibration.collect(net, points: pts, source: source, batches: 3, gradients: false) { _, _, _ in nil }
                            : try Calibration.collect(net, points: pts, source: source, batches: 3, gradients: false, reduce: nil)
            return r.mapValues { $0.toFloats() }
        }
        FusedInference.enabled = false
        let reference = try capture(points, reducer: false), partialRef = try capture([partial], reducer: false)
        FusedInference.enabled = true
        XCTAssertEqual(reference[points[0].group]?.count, 11 * 16 * 8 * 8)
        for reducer in [false, true] {
            let before = StackedBatches.inPlace
            XCTAssertEqual(try capture(points, reducer: reducer), reference, "reducer \(reducer)")
            XCTAssertEqual(StackedBatches.inPlace - before, reducer ? 3 * 2 : 3 * 3, "batches written in place")
        }
        let before = StackedBatches.inPlace
        XCTAssertEqual(try capture([partial], reducer: false), partialRef)
        XCTAssertEqual(StackedBatches.inPlace, before, "a channel subset is copied")
        XCTAssertEqual(partialRef[partial.group].map { Array($0.prefix(64)) }, reference[partial.group].map { Array($0[(3 * 64)..<(4 * 64)]) })
    }

    /// Counts its backward calls; the identity forward.
    final class BackwardCounter: Module {
        let typeName = "BackwardCounter"
        var training = true
        var backwards = 0
        func forward(_ input: Tensor) throws -> Tensor { input }
        func backward(_ g: Tensor) throws -> Tensor { backwards += 1; return g }
    }

    /// A gradient calibration stops the backward once its earliest point has its gradient:
    /// nothing in front of it runs backward, and a point's results are the same bits whether
    /// the backward stops right below it or runs on to an earlier point.
    func testGradientCalibrationStopsBelowTheEarliestPoint() throws {
        let counter = BackwardCounter()
        let resnet = try Zoo.resnetCifar(depth: 8)
        randomizeNorms(resnet, seed: 9)
        let net = try Sequential(named: [("counter", counter), ("net", resnet)])
        net.eval()
        let graph = try DependencyGraph(net, inputShape: [1, 3, 8, 8])
        func point(_ name: String) throws -> GroupPoint {
            try XCTUnwrap(graph.point(of: try XCTUnwrap(graph.group(named: name)).index, .act))
        }
        let deep = try point("net.layer3.0.conv1"), early = try point("net.layer1.0.conv1")
        let source = try BatchList.sinusoid(batches: 2, size: 4)
        func scores(_ points: [GroupPoint]) throws -> [Int: [Float]] {
            try Calibration.collect(net, points: points, source: source, batches: 2, gradients: true) { _, m, d in
                try TaylorCriterion().reduceBatch(m, grads: d)
            }.mapValues { $0.toFloats() }
        }
        let alone = try scores([deep])
        XCTAssertEqual(counter.backwards, 0, "the backward stopped at layer3.0, before the input")
        let both = try scores([deep, early])
        XCTAssertEqual(counter.backwards, 0, "the backward stopped at layer1.0, before the input")
        XCTAssertEqual(alone[deep.group], both[deep.group], "the same bits either way")
        XCTAssertNotEqual(both[early.group]?.allSatisfy { $0 == 0 }, true, "layer1.0 got its gradients")
        // a plain backward still runs to the input, and the net is usable after a stopped one
        net.train()
        let x = randn([2, 3, 8, 8], seed: 5)
        counter.backwards = 0
        _ = try net.backward(try Tensor.ones(try net.forward(x).shape))
        XCTAssertEqual(counter.backwards, 1)
        // the observation API: stopping outside an observation does nothing, inside one it
        // ends the backward with `BackwardStopped` at the next report
        Tracer.stopBackward()
        _ = try net.backward(try Tensor.ones(try net.forward(x).shape))
        XCTAssertEqual(counter.backwards, 2)
        var reports: [String] = []
        XCTAssertThrowsError(try Tracer.observeGradients(forward: { _, _, _, _ in }, backward: { path, _, _ in
            reports.append(path)
            if path == "net.layer2" { Tracer.stopBackward() }
        }) { _ = try net.backward(try Tensor.ones(try net.forward(x).shape)) }) { e in
            XCTAssertTrue(e is Tracer.BackwardStopped, "\(e)")
        }
        XCTAssertEqual(reports.last, "net.layer2")
        XCTAssertFalse(reports.contains("net.layer1"))
        XCTAssertEqual(counter.backwards, 2)
        _ = try net.backward(try Tensor.ones(try net.forward(x).shape))
        XCTAssertEqual(counter.backwards, 3, "the next backward is whole again")
    }
}
