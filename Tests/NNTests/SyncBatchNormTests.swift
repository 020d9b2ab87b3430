import Foundation
import XCTest
@testable import NN
@testable import Tensor

/// K ranks in one process, one thread each: every collective waits for all of them and
/// gives each the combined values (sums in rank order, so every rank gets the same bits).
final class ThreadRanks: @unchecked Sendable {
    let size: Int
    private let cond = NSCondition()
    private var slots: [[Double]?]
    private var result: [Double] = []
    private var generation = 0, arrived = 0, left = 0

    init(_ size: Int) { self.size = size; slots = Array(repeating: nil, count: size) }

    /// How long a rank waits for the others in a collective before it fails: ranks that
    /// fall out of step fail the test instead of hanging it.
    var timeout: TimeInterval = 60

    /// Deposits `mine`, waits for every rank, returns `combine` of the deposits.
    func exchange(_ rank: Int, _ mine: [Double], _ combine: ([[Double]]) -> [Double]) throws -> [Double] {
        cond.lock(); defer { cond.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        func wait() throws {
            guard cond.wait(until: deadline) else {
                throw TensorError("ThreadRanks: rank \(rank + 1) waited \(timeout) s for the other ranks")
            }
        }
        while left > 0 { try wait() }          // the previous exchange is still being read
        let g = generation
        slots[rank] = mine
        arrived += 1
        if arrived == size {
            result = combine(slots.map { $0! })
            arrived = 0; left = size; generation += 1
            cond.broadcast()
        } else {
            while generation == g { try wait() }
        }
        let out = result
        left -= 1
        if left == 0 { slots = Array(repeating: nil, count: size); cond.broadcast() }
        return out
    }

    func collective(_ rank: Int) -> Collective { Rank(self, rank) }

    final class Rank: Collective {
        let ranks: ThreadRanks, rank: Int
        init(_ ranks: ThreadRanks, _ rank: Int) { self.ranks = ranks; self.rank = rank }
        var size: Int { ranks.size }
        func sum(_ v: [[Double]]) -> [Double] { v.dropFirst().reduce(v[0]) { zip($0, $1).map(+) } }
        func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
            let out = try ranks.exchange(rank, values.map(Double.init)) { v in
                v.dropFirst().reduce(v[0].map { Double(Float($0)) }) { zip($0, $1).map { Double(Float($0) + Float($1)) } }
            }
            for i in 0..<values.count { values[i] = Float(out[i]) }
        }
        func allreduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {
            let out = try ranks.exchange(rank, Array(values), sum)
            for i in 0..<values.count { values[i] = out[i] }
        }
        func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws {
            let out = try ranks.exchange(rank, values.map(Double.init)) { $0[root] }
            for i in 0..<values.count { values[i] = Float(out[i]) }
        }
        func allgather(_ values: [Int64]) throws -> [Int64] {
            // two exact halves per value (a Double holds 53 bits; fingerprints take 64)
            let halves = values.flatMap { [Double($0 >> 32), Double($0 & 0xFFFF_FFFF)] }
            let out = try ranks.exchange(rank, halves) { $0.flatMap { $0 } }
            return stride(from: 0, to: out.count, by: 2).map { Int64(out[$0]) << 32 | Int64(out[$0 + 1]) }
        }
    }

    /// Runs `body(rank)` on one thread per rank and returns the results in rank order.
    func run<T>(_ body: @escaping (Int) throws -> T) throws -> [T] {
        let results = ResultBox<T>(size), group = DispatchGroup()
        for r in 0..<size {
            group.enter()
            Thread.detachNewThread {
                let v = Result { try body(r) }
                results.lock.lock(); results.values[r] = v; results.lock.unlock()
                group.leave()
            }
        }
        group.wait()
        return try results.values.map { try $0!.get() }
    }
}

/// One result slot per thread, written under a lock.
final class ResultBox<T>: @unchecked Sendable {
    let lock = NSLock()
    var values: [Result<T, Error>?]
    init(_ n: Int) { values = Array(repeating: nil, count: n) }
}

final class SyncBatchNormTests: XCTestCase {
    func rows(_ t: Tensor, _ lo: Int, _ hi: Int) throws -> Tensor { try t.narrow(0, lo, hi - lo).contiguous() }

    func testOneRankEqualsBatchNormAndPassesGradCheck() throws {
        let x = randn([4, 3, 5, 5], seed: 1, scale: 2)
        let bn = try BatchNorm2d(3), sbn = try SyncBatchNorm(3, collective: LocalCollective())
        let r = randn([4, 3, 5, 5], seed: 2)
        let y1 = try bn.forward(x), y2 = try sbn.forward(x)
        XCTAssertEqual(y1.toArray(), y2.toArray())
        let d1 = try bn.backward(r), d2 = try sbn.backward(r)
        for (a, b) in zip(d1.toArray(), d2.toArray()) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        for (a, b) in zip(bn.runningVar.toArray(), sbn.runningVar.toArray()) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        try GradCheck().check(try SyncBatchNorm(3, collective: LocalCollective()), randn([3, 3, 4, 4], seed: 3))
        try GradCheck().check(try SyncBatchNorm(4, affine: false, collective: LocalCollective()), randn([5, 4], seed: 4))
        XCTAssertThrowsError(try sbn.forward(Tensor(zeros: [3])))
    }

    /// Two ranks with 3 and 5 samples normalise, and backpropagate, like one BatchNorm
    /// over all 8; γ and β gradients summed over the ranks equal the single one's.
    func testTwoRanksEqualOneBatchNormOverTheWholeBatch() throws {
        let x = randn([8, 3, 4, 4], seed: 5, scale: 3), r = randn([8, 3, 4, 4], seed: 6)
        let bn = try BatchNorm2d(3)
        let y = try bn.forward(x), dx = try bn.backward(r)
        let ranks = ThreadRanks(2), cut = [0, 3, 8]
        let out = try ranks.run { k -> ([Double], [Double], [Double], [Double], [Double]) in
            let s = try SyncBatchNorm(3, collective: ranks.collective(k))
            let yk = try s.forward(try self.rows(x, cut[k], cut[k + 1]))
            let dk = try s.backward(try self.rows(r, cut[k], cut[k + 1]))
            return (yk.toArray(), dk.toArray(), s.weight!.grad!.toArray(), s.bias!.grad!.toArray(), s.runningVar.toArray())
        }
        let yy = out[0].0 + out[1].0, dd = out[0].1 + out[1].1
        for (a, b) in zip(y.toArray(), yy) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        for (a, b) in zip(dx.toArray(), dd) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        for (i, g) in bn.weight!.grad!.toArray().enumerated() { XCTAssertEqual(out[0].2[i] + out[1].2[i], g, accuracy: 1e-3) }
        for (i, g) in bn.bias!.grad!.toArray().enumerated() { XCTAssertEqual(out[0].3[i] + out[1].3[i], g, accuracy: 1e-3) }
        for (i, v) in bn.runningVar.toArray().enumerated() {
            XCTAssertEqual(out[0].4[i], v, accuracy: 1e-5); XCTAssertEqual(out[1].4[i], v, accuracy: 1e-5)
        }
    }

    /// An uneven last batch can leave one sample on a rank: the statistics cover every
    /// rank's (here 2 + 1), so the layer normalises and backpropagates like one BatchNorm
    /// over the 3; only a single value over all ranks is an error.
    func testOneSampleOnARankIsEnoughWhenTheRanksHaveMore() throws {
        let x = randn([3, 6], seed: 7, scale: 2), r = randn([3, 6], seed: 8)
        let bn = try BatchNorm1d(6)
        let y = try bn.forward(x), dx = try bn.backward(r)
        let ranks = ThreadRanks(2), cut = [0, 2, 3]
        let out = try ranks.run { k -> ([Double], [Double], [Double]) in
            let s = try SyncBatchNorm(6, collective: ranks.collective(k))
            let yk = try s.forward(try self.rows(x, cut[k], cut[k + 1]))
            let dk = try s.backward(try self.rows(r, cut[k], cut[k + 1]))
            return (yk.toArray(), dk.toArray(), s.runningVar.toArray())
        }
        for (a, b) in zip(y.toArray(), out[0].0 + out[1].0) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        for (a, b) in zip(dx.toArray(), out[0].1 + out[1].1) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        for (a, b) in zip(bn.runningVar.toArray(), out[1].2) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertThrowsError(try SyncBatchNorm(6, collective: LocalCollective()).forward(randn([1, 6], seed: 9))) { e in
            XCTAssertTrue("\(e)".contains("expected more than 1 value per channel when training, got 1 over all ranks"), "\(e)")
        }
    }

    func testConvertKeepsStateAndRoundTripsThroughASpec() throws {
        let net = try Sequential(named: [("conv", try Conv2d(2, 3, kernelSize: (3, 3))), ("bn", try BatchNorm2d(3)), ("relu", ReLU())])
        let bn = net.module(at: "bn") as! BatchNorm
        bn.runningMean.fill(0.5)
        let (root, paths) = try SyncBatchNorm.convert(net, collective: LocalCollective())
        XCTAssertEqual(paths, ["bn"])
        let s = try XCTUnwrap(root.module(at: "bn") as? SyncBatchNorm)
        XCTAssertTrue(s.weight === bn.weight)
        XCTAssertEqual(s.runningMean.toArray(), [0.5, 0.5, 0.5])
        XCTAssertEqual(s.typeName, "SyncBatchNorm")
        XCTAssertEqual(try SyncBatchNorm.convert(root, collective: nil).paths, [])
        XCTAssertNil(s.collective)
        XCTAssertNotNil(LayerKinds.kind("SyncBatchNorm"))
    }

    /// ACConv2d's three branch BatchNorms synchronise once converted: two ranks with 3 and 5
    /// samples compute, and backpropagate, what one block does over all 8.
    func testACConvBatchNormsSynchroniseOverTheRanks() throws {
        Random.manualSeed(21)
        let one = try ACConv2d(3, 4, kernelSize: 3, padding: (1, 1))
        let state = one.stateDict().map { ($0.key, try! $0.tensor.clone()) }
        let x = randn([8, 3, 6, 6], seed: 22, scale: 2), r = randn([8, 4, 6, 6], seed: 23)
        let y = try one.forward(x), dx = try one.backward(r)
        let ranks = ThreadRanks(2), cut = [0, 3, 8]
        let out = try ranks.run { k -> ([Double], [Double], [Double], [String]) in
            let net = try Sequential(named: [("ac", try ACConv2d(3, 4, kernelSize: 3, padding: (1, 1)))])
            try net.loadStateDict(state.map { ("ac." + $0.0, $0.1) }, strict: true)
            let (_, paths) = try SyncBatchNorm.convert(net, collective: ranks.collective(k))
            let ac = net.module(at: "ac") as! ACConv2d
            let yk = try net.forward(try self.rows(x, cut[k], cut[k + 1]))
            let dk = try net.backward(try self.rows(r, cut[k], cut[k + 1]))
            return (yk.toArray(), dk.toArray(), ac.squareBN.runningVar.toArray(), paths)
        }
        XCTAssertEqual(out[0].3, ["ac.square_bn", "ac.ver_bn", "ac.hor_bn"])
        for (a, b) in zip(y.toArray(), out[0].0 + out[1].0) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        for (a, b) in zip(dx.toArray(), out[0].1 + out[1].1) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        for (a, b) in zip(one.squareBN.runningVar.toArray(), out[1].2) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        // unconverted, each rank normalises its own part: the outputs differ
        let local = try ACConv2d(3, 4, kernelSize: 3, padding: (1, 1))
        try local.loadStateDict(state, strict: true)
        let part = try local.forward(try rows(x, 0, 3)).toArray()
        XCTAssertGreaterThan(zip(part, out[0].0).map { abs($0 - $1) }.max() ?? 0, 1e-3)
        // attach re-points the converted ones only
        let net = try Sequential(named: [("ac", try ACConv2d(3, 4, kernelSize: 3, padding: (1, 1)))])
        SyncBatchNorm.attach(net, LocalCollective())
        XCTAssertNil((net.module(at: "ac") as! ACConv2d).squareBN.collective, "attach does not synchronise what convert did not")
        _ = try SyncBatchNorm.convert(net, collective: nil)
        XCTAssertNil((net.module(at: "ac") as! ACConv2d).verBN.collective)
    }
}
