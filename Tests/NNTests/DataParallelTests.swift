import XCTest
@testable import NN
@testable import Tensor

/// Data-parallel training on `ThreadRanks` (K ranks in one process): the ranks must agree
/// on the model and the steps before the first collective that would pair them wrongly, and
/// end every epoch with the same model (plain BatchNorm's buffers included).
final class DataParallelTests: XCTestCase {
    /// Each rank's error message ("" when it succeeded). The models are built before (their
    /// initialisation draws from the global generator, which is not for several threads).
    func messages(_ ranks: ThreadRanks, _ body: @escaping (Int) throws -> Void) throws -> [String] {
        try ranks.run { r -> String in
            do { try body(r); return "" } catch { return "\(error)" }
        }
    }

    func testModelsWithEqualTotalsButOtherShapesDisagreeOnEveryRank() throws {
        let ranks = ThreadRanks(2)
        let models = [Sequential([try Linear(2, 4, bias: false), try Linear(4, 2, bias: false)]),
                      Sequential([try Linear(2, 2, bias: false), try Linear(2, 6, bias: false)])]
        let errors = try messages(ranks) { r in
            try DataParallel(model: models[r], collective: ranks.collective(r)).checkAgreement("fit")
        }
        XCTAssertEqual(errors[0], errors[1])
        XCTAssertTrue(errors[0].hasPrefix("fit: ranks disagree on the model's state tensor 1: rank 1 has '0.weight' [4, 2], rank 2 has '0.weight' [2, 2]"), errors[0])
    }

    func testAFrozenParameterOnOneRankDisagrees() throws {
        let ranks = ThreadRanks(2)
        let models = try (0..<2).map { _ in Sequential([try Linear(2, 2), try Linear(2, 2)]) }
        models[1].namedParameters()[2].parameter.requiresGrad = false
        let errors = try messages(ranks) { r in
            try DataParallel(model: models[r], collective: ranks.collective(r)).checkAgreement("fit")
        }
        XCTAssertEqual(errors[0], errors[1])
        XCTAssertTrue(errors[0].contains("state tensor 3: rank 1 has '1.weight' [2, 2], rank 2 has '1.weight' [2, 2] (requires_grad = false)"), errors[0])
    }

    func testTheSameModelAgrees() throws {
        let ranks = ThreadRanks(3)
        let models = try (0..<3).map { _ in Sequential([try Linear(2, 4), try BatchNorm1d(4), try Linear(4, 2)]) }
        let errors = try messages(ranks) { r in
            try DataParallel(model: models[r], collective: ranks.collective(r)).checkAgreement("fit")
        }
        XCTAssertEqual(errors, ["", "", ""])
    }

    /// Rank 1 has 2 batches per epoch, rank 2 has 3: fit stops on both before the first
    /// step (rank 1 used to finish and leave rank 2 waiting in the step's allreduce).
    func testDifferentBatchCountsAreAnErrorOnEveryRankBeforeTraining() throws {
        let ranks = ThreadRanks(2)
        let models = try (0..<2).map { _ in Sequential([try Linear(2, 2)]) }
        let out = try ranks.run { r -> (String, Int) in
            let model = models[r]
            let batches = BatchList((0..<(r == 0 ? 2 : 3)).map { _ in
                (randn([4, 2], seed: 3), try! Tensor.int64(shape: [4], values: [0, 1, 0, 1]))
            })
            let trainer = Trainer(model: model, optimizer: try SGD(lr: 0.1))
            trainer.dataParallel = DataParallel(model: model, collective: ranks.collective(r))
            var steps = 0
            do { try trainer.fit(batches, epochs: 1, onStep: { _ in steps += 1 }) } catch { return ("\(error)", steps) }
            return ("", steps)
        }
        XCTAssertEqual(out[0].0, out[1].0)
        XCTAssertTrue(out[0].0.hasPrefix("fit: ranks disagree on the number of batches per epoch: rank 1 has 2, rank 2 has 3"), out[0].0)
        XCTAssertEqual(out.map(\.1), [0, 0])
    }

    /// Plain BatchNorm: each rank's running statistics follow its own samples; fit makes
    /// them rank 1's at the end of every epoch.
    func testPlainBatchNormBuffersAreRankOnesAfterEveryEpoch() throws {
        let ranks = ThreadRanks(2)
        let models = try (0..<2).map { _ in Sequential([try Linear(3, 4), try BatchNorm1d(4), ReLU(), try Linear(4, 2)]) }
        let out = try ranks.run { r -> ([Double], [Double]) in
            let model = models[r]
            let labels = try Tensor.int64(shape: [6], values: [0, 1, 0, 1, 1, 0])
            // rank 2's samples are shifted: its batch statistics differ from rank 1's
            let batches = BatchList((0..<3).map { b in
                (try! randn([6, 3], seed: UInt64(10 * r + b)).add(try! Tensor(scalar: Float(3 * r))), labels)
            })
            let trainer = Trainer(model: model, optimizer: try SGD(lr: 0.1))
            trainer.dataParallel = DataParallel(model: model, collective: ranks.collective(r))
            try trainer.fit(batches, epochs: 2)   // no evaluation: GradMode is global, not per thread
            let bn = model.namedModules().compactMap { $0.module as? BatchNorm }[0]
            return (bn.runningMean.toArray(), bn.runningVar.toArray())
        }
        XCTAssertEqual(out[0].0, out[1].0, "running_mean")
        XCTAssertEqual(out[0].1, out[1].1, "running_var")
        XCTAssertNotEqual(out[0].0, [0, 0, 0, 0])
    }
}
