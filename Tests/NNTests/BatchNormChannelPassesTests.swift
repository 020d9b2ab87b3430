import XCTest
@testable import Kernels
@testable import NN
@testable import Tensor

/// Training BatchNorm one channel at a time (`BatchNormKernel.perChannelPasses`: the
/// statistics then the channel's output, the gradient sums then its ∂L/∂x) against the
/// two passes over the whole map: outputs, input gradients, parameter gradients and running
/// statistics bit for bit — with and without the fused ReLU, odd channel counts, no affine
/// parameters, no running statistics, planes above and below the per-channel passes'
/// 256 values, BatchNorm1d, on 1 and 2 threads; a synchronised BatchNorm keeps the two passes.
final class BatchNormChannelPassesTests: XCTestCase {
    override func tearDown() { BatchNormKernel.perChannelPasses = true }

    /// Everything one training forward and backward produce, keyed by what it is.
    func step(_ make: () throws -> Sequential, input: [Int], perChannel: Bool, threads: Int) throws -> [String: [UInt32]] {
        let before = Parallel.threads
        defer { Parallel.threads = before }
        Parallel.threads = threads
        BatchNormKernel.perChannelPasses = perChannel
        Random.manualSeed(8)
        let net = try make()
        try randomizeBatchNorms(net)
        net.train()
        let x = try Tensor.randn(input)
        let y = try net.forward(x)
        let dx = try net.backward(try Tensor.randn(y.shape))
        var out = ["y": try y.toFloats(), "dx": try dx.toFloats()]
        for p in net.namedParameters() { out["grad " + p.name] = try p.parameter.gradBuffer().toFloats() }
        for b in net.namedBuffers() { out["buffer " + b.name] = try b.tensor.toFloat().toFloats() }
        XCTAssertGreaterThan(out["dx"]!.map(abs).max() ?? 0, 0, "a zero input gradient proves nothing")
        return out.mapValues { $0.map(\.bitPattern) }
    }

    func assertBitEqual(_ make: () throws -> Sequential, input: [Int], _ what: String) throws {
        for threads in [1, 2] {
            var runs = BatchNormKernel.perChannelRuns
            let a = try step(make, input: input, perChannel: false, threads: threads)
            XCTAssertEqual(BatchNormKernel.perChannelRuns, runs, "\(what): the reference ran per channel")
            runs = BatchNormKernel.perChannelRuns
            let b = try step(make, input: input, perChannel: true, threads: threads)
            XCTAssertGreaterThan(BatchNormKernel.perChannelRuns, runs, "\(what): nothing ran per channel")
            XCTAssertEqual(Set(a.keys), Set(b.keys), what)
            for (k, v) in a { XCTAssertEqual(v, b[k], "\(what), \(threads) threads: \(k)") }
        }
    }

    func testResNetStepIsBitEqual() throws {
        try assertBitEqual({ try Zoo.resnetCifar(depth: 8, classes: 10) }, input: [3, 3, 16, 16], "resnet8")
    }

    func testOddChannelsAndVariantsAreBitEqual() throws {
        try assertBitEqual({
            try Sequential([
                try Conv2d(3, 11, kernelSize: (3, 3), padding: (1, 1)), try BatchNorm2d(11), ReLU(),          // fused pair
                try Conv2d(11, 5, kernelSize: (3, 3), padding: (1, 1)), try BatchNorm2d(5, affine: false),   // alone
                try Conv2d(5, 7, kernelSize: (1, 1)), try BatchNorm2d(7, momentum: nil, trackRunningStats: false), ReLU(),
                Flatten(), try Linear(7 * 17 * 17, 13), try BatchNorm1d(13), ReLU(), try Linear(13, 3),
            ])
        }, input: [3, 3, 17, 17], "odd channels")
    }

    /// A synchronised BatchNorm over a collective still runs the two passes (its sums are
    /// combined over the ranks in between): one rank of a world of one gives the local result.
    func testSynchronisedBatchNormKeepsTwoPasses() throws {
        XCTAssertFalse(try BatchNorm2d(4).synchronizesBatchStatistics)
        let sync = try SyncBatchNorm(4)
        XCTAssertFalse(sync.synchronizesBatchStatistics, "no collective: local statistics")
        sync.collective = LocalCollective()
        XCTAssertTrue(sync.synchronizesBatchStatistics)
    }
}
