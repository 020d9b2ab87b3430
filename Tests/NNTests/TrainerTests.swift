import XCTest
@testable import NN
@testable import Tensor

final class TrainerTests: XCTestCase {
    /// Two Gaussian blobs in 2-D, labels 0 and 1.
    func blobs(_ n: Int, seed: UInt64) -> (Tensor, Tensor) {
        var rng = Xoshiro256(seed: seed)
        let x = try! Tensor(uninitialized: [n, 2]), y = try! Tensor(uninitialized: [n], dtype: .int64)
        for i in 0..<n {
            let c = i % 2
            x.ptr[2 * i] = (c == 0 ? -2 : 2) + rng.nextNormal() * 0.5
            x.ptr[2 * i + 1] = (c == 0 ? 1 : -1) + rng.nextNormal() * 0.5
            y.iptr[i] = Int64(c)
        }
        return (x, y)
    }

    func testMetricsCountTopK() throws {
        let logits = try Tensor(shape: [3, 3], values: [0.1, 0.7, 0.2, 0.9, 0.05, 0.05, 0.3, 0.3, 0.4])
        let targets = try Tensor.int64(shape: [3], values: [1, 2, 0])
        XCTAssertEqual(try Metrics.correct(logits: logits, targets: targets, k: 1), 1)   // only row 0
        XCTAssertEqual(try Metrics.correct(logits: logits, targets: targets, k: 2), 2)   // row 2: 0.3 ties, lower id first
        XCTAssertThrowsError(try Metrics.correct(logits: logits, targets: try Tensor.int64(shape: [3], values: [0, 0, 3]), k: 1))
    }

    func testSeededTrainingRunLossFallsAndAccuracyRises() throws {
        Random.manualSeed(7)
        let model = Sequential([try Linear(2, 8), ReLU(), try Linear(8, 2)])
        let (x, y) = blobs(64, seed: 1)
        let batches = BatchList((0..<4).map { b in (try! x.narrow(0, b * 16, 16), try! y.narrow(0, b * 16, 16)) })
        let before = try Trainer.evaluate(model, batches)
        let trainer = Trainer(model: model, optimizer: try SGD(lr: 0.1, momentum: 0.9))
        var steps = 0
        let reports = try trainer.fit(batches, epochs: 5, evalSource: batches, onStep: { _ in steps += 1 })
        XCTAssertEqual(steps, 20)
        XCTAssertEqual(reports.count, 5)
        XCTAssertLessThan(reports.last!.trainLoss, reports.first!.trainLoss)
        let after = try XCTUnwrap(reports.last?.eval)
        XCTAssertLessThan(after.loss, before.loss * 0.5)
        XCTAssertGreaterThan(after.top1, 0.95)
        XCTAssertEqual(after.top5, 1)         // two classes: always within the top 5
        XCTAssertEqual(after.samples, 64)
    }

    /// fit skips the first convolution's input gradient (nobody reads it) and trains the
    /// same weights as steps that compute it; the layer computes it again afterwards.
    func testFitSkipsTheInputGradientOfTheFirstConvolution() throws {
        Random.manualSeed(5)
        func net() throws -> Sequential {
            Sequential([try Conv2d(2, 4, kernelSize: (3, 3), padding: (1, 1)), try BatchNorm2d(4), ReLU(),
                        try Conv2d(4, 4, kernelSize: (3, 3), padding: (1, 1)), ReLU(), Flatten(), try Linear(4 * 6 * 6, 3)])
        }
        let a = try net(), b = try net()
        try b.loadStateDict(a.stateDict().map { ($0.key, try $0.tensor.clone()) }, strict: true)
        let x = try Tensor.randn([8, 2, 6, 6]), y = try Tensor.int64(shape: [8], values: [0, 1, 2, 0, 1, 2, 0, 1])
        let skips = Trainer.skippedInputGradients
        try Trainer(model: a, optimizer: try SGD(lr: 0.1, momentum: 0.9)).fit(BatchList([(x, y), (x, y)]), epochs: 1)
        XCTAssertEqual(Trainer.skippedInputGradients - skips, 2, "one convolution, two steps")
        let convs = a.namedModules().compactMap { $0.module as? Conv2d }
        XCTAssertTrue(convs.allSatisfy(\.computeInputGradient), "restored after each step")
        // the same two steps by hand, every input gradient computed
        b.train()
        let sgd = try SGD(lr: 0.1, momentum: 0.9), params = b.namedParameters().map(\.parameter)
        for _ in 0..<2 {
            b.zeroGrad()
            let (_, g) = try CrossEntropy.compute(logits: try b.forward(x), targets: y)
            let dx = try b.backward(g)
            XCTAssertTrue(dx.toFloats().contains { $0 != 0 }, "by hand the input gradient is computed")
            try sgd.step(params)
        }
        for (p, q) in zip(a.stateDict(), b.stateDict()) {
            XCTAssertEqual(p.tensor.toFloats(), q.tensor.toFloats(), p.key)
        }
    }

    func testScheduleSetsTheLearningRatePerEpochAndResumeContinues() throws {
        Random.manualSeed(3)
        let model = Sequential([try Linear(2, 2)])
        let (x, y) = blobs(8, seed: 2)
        let data = BatchList([(x, y)])
        let trainer = Trainer(model: model, optimizer: try SGD(lr: 1), schedule: .step(size: 1, gamma: 0.5))
        let r = try trainer.fit(data, epochs: 4, from: 1)
        XCTAssertEqual(r.map(\.epoch), [2, 3, 4])
        XCTAssertEqual(r.map(\.lr), [0.5, 0.25, 0.125])
    }
}
