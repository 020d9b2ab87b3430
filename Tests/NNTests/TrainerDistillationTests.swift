import XCTest
@testable import NN
@testable import Tensor

/// `Trainer.fit` with a teacher, and what fit leaves behind when it ends early.
final class TrainerDistillationTests: XCTestCase {
    /// The identity, running `hook` at every forward (an interrupt polled by a kernel, a failure).
    final class Probe: Module {
        let typeName = "Probe"
        var training = true
        var hook: () throws -> Void = {}
        func forward(_ input: Tensor) throws -> Tensor { try hook(); return input }
        func backward(_ gradOutput: Tensor) throws -> Tensor { gradOutput }
    }

    struct Boom: Error {}

    func convNet(classes: Int = 3) throws -> Sequential {
        Sequential([try Conv2d(2, 4, kernelSize: (3, 3), padding: (1, 1)), try BatchNorm2d(4), ReLU(), Flatten(),
                    try Linear(4 * 6 * 6, classes)])
    }

    func mlp() throws -> Sequential { Sequential([Flatten(), try Linear(72, 16), ReLU(), try Linear(16, 3)]) }

    func data(_ batches: Int = 3, seed: UInt64 = 4) throws -> BatchList {
        Random.manualSeed(seed)
        return BatchList(try (0..<batches).map { b in
            (try Tensor.randn([8, 2, 6, 6]), try Tensor.int64(shape: [8], values: (0..<8).map { Int64(($0 + b) % 3) }))
        })
    }

    func modes(_ m: any Module) -> [Bool] { m.namedModules().map(\.module.training) }

    func testDistillationMovesTheStudentTowardsTheTeacherAndLeavesTheTeacherAlone() throws {
        Random.manualSeed(1)
        let teacher = try convNet(), student = try mlp(), batches = try data()
        let teacherState = try teacher.stateDict().map { ($0.key, try $0.tensor.clone()) }
        teacher.train()
        teacher.children[2].module.training = false   // a mixed mode (its BatchNorm in training mode), given back as it was
        let teacherModes = modes(teacher)
        func divergence() throws -> Double {
            let restore = teacher.enterEvalMode()
            defer { restore() }
            return try GradMode.withoutGrad {
                try batches.list.reduce(0) { s, b in
                    s + (try Distillation.divergence(logits: student.forward(b.input), teacherLogits: teacher.forward(b.input), temperature: 2).loss)
                }
            }
        }
        let before = try divergence()
        // the first step's reported loss is the total distillation loss on batch 1
        let restore = teacher.enterEvalMode()
        let first = try GradMode.withoutGrad {
            try Distillation.loss(logits: student.forward(batches.list[0].input), teacherLogits: teacher.forward(batches.list[0].input),
                                  targets: batches.list[0].target, alpha: 1, temperature: 2, labelSmoothing: 0.1).loss
        }
        restore()
        XCTAssertEqual(modes(teacher), teacherModes)
        let trainer = Trainer(model: student, optimizer: try SGD(lr: 0.2, momentum: 0.9))
        trainer.distillation = try Distillation(teacher: teacher, alpha: 1, temperature: 2)
        trainer.labelSmoothing = 0.1
        var losses: [Double] = []
        let reports = try trainer.fit(batches, epochs: 10, onStep: { losses.append($0.loss) })
        XCTAssertNil((teacher.children[0].module as! Conv2d).cache, "nothing cached for backward")
        XCTAssertEqual(losses.first!, first, accuracy: 1e-6, "reported: the total loss")
        XCTAssertLessThan(reports.last!.trainLoss, reports.first!.trainLoss)
        XCTAssertLessThan(try divergence(), before * 0.5, "the student's outputs moved towards the teacher's")
        // the teacher: in eval mode for its forwards (running statistics untouched), never
        // updated, its modes given back
        for ((k, a), (_, b)) in zip(teacherState, teacher.stateDict()) { XCTAssertEqual(a.toFloats(), b.toFloats(), k) }
        XCTAssertTrue(teacher.namedParameters().allSatisfy { $0.parameter.grad == nil })
        XCTAssertEqual(modes(teacher), teacherModes)
    }

    /// alpha = 0: the same weights as plain cross-entropy, bit for bit.
    func testAlphaZeroTrainsExactlyAsCrossEntropy() throws {
        Random.manualSeed(2)
        let a = try convNet(), b = try convNet(), teacher = try convNet()
        try b.loadStateDict(a.stateDict().map { ($0.key, try $0.tensor.clone()) }, strict: true)
        let batches = try data()
        let plain = Trainer(model: a, optimizer: try SGD(lr: 0.1, momentum: 0.9))
        plain.labelSmoothing = 0.1
        try plain.fit(batches, epochs: 2)
        let distilled = Trainer(model: b, optimizer: try SGD(lr: 0.1, momentum: 0.9))
        distilled.labelSmoothing = 0.1
        distilled.distillation = try Distillation(teacher: teacher, alpha: 0, temperature: 4)
        try distilled.fit(batches, epochs: 2)
        for (p, q) in zip(a.stateDict(), b.stateDict()) { XCTAssertEqual(p.tensor.toFloats(), q.tensor.toFloats(), p.key) }
    }

    func testTheTeacherMustBeAnotherNetworkOfTheSameClasses() throws {
        Random.manualSeed(3)
        let student = try convNet(), batches = try data()
        student.eval()
        func fails(_ teacher: any Module, _ m: String) {
            let t = Trainer(model: student, optimizer: try! SGD(lr: 0.1))
            t.distillation = try! Distillation(teacher: teacher)
            XCTAssertThrowsError(try t.fit(batches, epochs: 1)) { XCTAssertTrue("\($0)".contains(m), "'\($0)' lacks '\(m)'") }
            XCTAssertEqual(modes(student), modes(student).map { _ in false }, "modes given back")
        }
        fails(student, "fit: the teacher is the network being trained")
        fails(Sequential([student.children[0].module, ReLU()]), "fit: the teacher shares its module '0' with the network being trained")
        fails(student.children[4].module, "fit: the teacher is part of the network being trained")
        fails(try convNet(classes: 4), "fit: the teacher's logits have shape [8, 4], the student's [8, 3]")
    }

    /// Ended by a callback's error, an interrupt or a bad batch: every module of the student
    /// and of the teacher has its mode from before, the error is the one raised, the
    /// optimizer holds the steps whose update was applied, and a second fit runs.
    func testModesComeBackWhenFitEndsEarly() throws {
        let saved = Interrupt.pending
        defer { Interrupt.pending = saved }
        Random.manualSeed(5)
        let probe = Probe()
        let student = Sequential([try Conv2d(2, 4, kernelSize: (3, 3), padding: (1, 1)), try BatchNorm2d(4), ReLU(), probe,
                                  Flatten(), try Linear(4 * 6 * 6, 3)])
        let teacher = try convNet()
        student.train(); (student.children[1].module as! BatchNorm2d).training = false   // a frozen BN
        teacher.eval(); teacher.children[2].module.training = true
        let studentModes = modes(student), teacherModes = modes(teacher)
        let good = try data()
        var bad = good.list
        bad[1].target = try Tensor.int64(shape: [8], values: [0, 1, 2, 7, 0, 1, 2, 0])
        let weight = student.namedParameters()[0].parameter
        for (i, expected) in ["Boom", "interrupted", "target 7 of sample 4", "teacher failed"].enumerated() {
            let sgd = try SGD(lr: 0.05, momentum: 0.9)
            let trainer = Trainer(model: student, optimizer: sgd)
            trainer.distillation = try Distillation(teacher: teacher, alpha: 0.5, temperature: 2)
            var source = good
            var onStep: (StepReport) throws -> Void = { _ in }
            switch i {
            case 0: onStep = { if $0.step == 2 { throw Boom() } }
            case 1: onStep = { if $0.step == 2 { Interrupt.pending = { true } } }
                    probe.hook = { try Interrupt.check("probe") }
            case 2: source = BatchList(bad)
            default:   // fails inside the teacher's forward
                let failing = Probe()
                failing.hook = { throw TensorError("teacher failed") }
                trainer.distillation = try Distillation(teacher: Sequential([teacher, failing]), alpha: 0.5)
            }
            XCTAssertThrowsError(try trainer.fit(source, epochs: 2, onStep: onStep)) { e in
                if i == 0 { XCTAssertTrue(e is Boom, "the callback's error, unchanged: \(e)") }
                XCTAssertTrue("\(e)".contains(expected), "case \(i): \(e)")
            }
            Interrupt.pending = saved
            probe.hook = {}
            XCTAssertEqual(modes(student), studentModes, "case \(i): the student's modes")
            XCTAssertEqual(modes(teacher), teacherModes, "case \(i): the teacher's modes")
            // the optimizer: steps that were applied (a callback's error comes after its step's
            // update; a bad batch before)
            XCTAssertEqual(sgd.state.existing(weight)?.step ?? 0, [2, 2, 1, 0][i], "case \(i): updates applied")
            // the same net trains again, and a finished fit gives the modes back too
            let again = Trainer(model: student, optimizer: sgd)
            again.distillation = try Distillation(teacher: teacher)
            XCTAssertEqual(try again.fit(good, epochs: 1).count, 1)
            XCTAssertEqual(modes(student), studentModes)
            XCTAssertEqual(modes(teacher), teacherModes)
        }
    }

    /// train.evaluate gives each module its own mode back (not the root's to all).
    func testEvaluateGivesEachModuleItsMode() throws {
        Random.manualSeed(6)
        let net = try convNet()
        net.train(); (net.children[1].module as! BatchNorm2d).training = false
        let before = modes(net)
        _ = try Trainer.evaluate(net, try data())
        XCTAssertEqual(modes(net), before)
    }
}
