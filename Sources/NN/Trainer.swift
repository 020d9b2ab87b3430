import Foundation
import Tensor

/// What `Trainer.evaluate` measures: top-1 and top-5 accuracy (fractions) and the mean
/// cross-entropy over every sample of the source.
public struct Evaluation: Sendable {
    public var top1: Double
    public var top5: Double
    public var loss: Double
    public var samples: Int
}

/// One optimisation step, as reported to step callbacks.
public struct StepReport: Sendable {
    public var epoch: Int          // 1-based
    public var step: Int           // 1-based within the epoch
    public var steps: Int          // steps in the epoch
    public var loss: Double
    public var lr: Double
    public var samples: Int        // samples seen so far in the epoch
    public var seconds: Double     // since the epoch started
    public var meanLoss: Double    // over the epoch's samples so far
    public var top1: Double        // over the epoch's samples so far
}

/// One finished epoch.
public struct EpochReport: Sendable {
    public var epoch: Int          // 1-based
    public var lr: Double
    public var trainLoss: Double
    public var trainTop1: Double
    public var seconds: Double
    public var imagesPerSecond: Double
    public var eval: Evaluation?
    /// The steps run when training stopped inside the epoch; nil for a whole epoch.
    public var partialSteps: Int? = nil

    public init(epoch: Int, lr: Double, trainLoss: Double, trainTop1: Double, seconds: Double, imagesPerSecond: Double,
                eval: Evaluation?, partialSteps: Int? = nil) {
        self.epoch = epoch; self.lr = lr; self.trainLoss = trainLoss; self.trainTop1 = trainTop1; self.seconds = seconds
        self.imagesPerSecond = imagesPerSecond; self.eval = eval; self.partialSteps = partialSteps
    }

    /// The epoch as far as `step` got (training stopped there).
    public init(partial step: StepReport) {
        self.init(epoch: step.epoch, lr: step.lr, trainLoss: step.meanLoss, trainTop1: step.top1, seconds: step.seconds,
                  imagesPerSecond: step.seconds > 0 ? Double(step.samples) / step.seconds : 0, eval: nil,
                  partialSteps: step.step)
    }
}

/// Supervised training of a classifier with cross-entropy (optionally distilled from a
/// teacher, `distillation`): the loop behind `train.fit`.
/// The learning rate of each epoch comes from the schedule (a pure function of the
/// epoch), so a run resumed from a checkpoint at epoch e continues exactly.
///
/// However `fit` ends — done, stopped or failed (an error thrown by a callback or a step, an
/// interrupt) — every module of the model gets back the mode it had before, and so does the
/// teacher's; the error propagates unchanged. The optimizer's state (momentum, Adam's
/// moments) then holds exactly the steps whose update was applied: a step fails before its
/// update (forward, backward, `beforeStep`) or after it (`onStep`, `onEpoch`), never inside
/// it, so a further `fit` with the same optimizer continues from the weights as they are.
public final class Trainer {
    public let model: any Module
    public let optimizer: any Optimizer
    public let schedule: Schedule
    public let baseLR: Double
    /// ε of the cross-entropy's label smoothing (`CrossEntropy.compute`), in [0, 1].
    public var labelSmoothing = 0.0
    /// Trains with every BatchNorm in evaluation mode (ACConv blocks' too): running
    /// statistics normalise and stay as they are, γ and β still learn — fine-tuning a
    /// pruned net on small batches, or on data whose statistics should not replace the
    /// trained ones.
    public var freezeBatchNorm = false
    /// Knowledge distillation: the loss becomes `Distillation.loss` against the teacher's
    /// logits on the same batch (the teacher run in evaluation mode, nothing cached). The
    /// reported losses are that total loss. With `dataParallel`, every rank runs the teacher
    /// on its own shard, after rank 1's teacher weights are broadcast.
    public var distillation: Distillation?
    /// Runs after each backward (and the ranks' gradient sum), before the optimizer's step:
    /// the place to change gradients (Network Slimming's L1 subgradient on BN scales, a
    /// mask keeping pruned filters at zero). May throw to stop.
    public var beforeStep: ((StepReport) throws -> Void)?
    /// Data-parallel training: every rank runs `fit` on its shard of each batch (a
    /// sharded loader, see `Loader.sharded`) and the gradients are summed over the ranks
    /// after backward. Reported losses, accuracies and sample counts are then global.
    /// Before training the ranks check that they agree on the epochs, the model and (each
    /// epoch) the number of batches; float buffers are made rank 1's at the end of every
    /// epoch, before the evaluation (`DataParallel.broadcastBuffers`).
    public var dataParallel: DataParallel?

    /// Puts every BatchNorm below `model` in evaluation mode, those inside ACConv blocks too.
    static func freezeBatchNorms(_ model: any Module) {
        for (_, m) in model.namedModules() {
            if let bn = m as? BatchNorm { bn.training = false }
            if let block = m as? ACConv2d { for (_, bn) in block.norms { bn.training = false } }
        }
    }

    /// `baseLR` is the rate the schedule scales (default: the optimizer's current `lr`).
    public init(model: any Module, optimizer: any Optimizer, schedule: Schedule = .constant, baseLR: Double? = nil) {
        self.model = model
        self.optimizer = optimizer
        self.schedule = schedule
        self.baseLR = baseLR ?? optimizer.lr
    }

    /// Trains epochs `from + 1 ... epochs` (1-based; `from` = epochs already done).
    /// `onStep` and `onEpoch` may throw to stop (the error propagates); `onEpoch` runs
    /// after the optional evaluation, so it can write a checkpoint.
    @discardableResult
    public func fit(_ source: BatchSource, epochs: Int, from: Int = 0, evalSource: BatchSource? = nil,
                    onStep: (StepReport) throws -> Void = { _ in },
                    onEpoch: (EpochReport) throws -> Void = { _ in }) throws -> [EpochReport] {
        guard epochs >= 0, from >= 0 else { throw TensorError("fit: epochs must be non-negative") }
        let restoreModes = model.modeRestorer()
        defer { restoreModes() }
        try checkTeacher()
        let params = model.namedParameters().map(\.parameter)
        if let dp = dataParallel {
            try dp.checkSame([("the first epoch", from + 1), ("the number of epochs", epochs)], "fit",
                             hint: " (every rank must train the same epochs)")
            try dp.checkAgreement("fit")
            try dp.broadcastState()
            try broadcastTeacher(dp)
        }
        var reports: [EpochReport] = []
        for e in stride(from: from, to: epochs, by: 1) {
            if let dp = dataParallel {
                // every step is a collective: a rank with fewer batches would leave the others waiting
                if e > from { try dp.checkAgreement("fit") }   // a callback may have pruned
                try dp.checkSame([("the number of batches per epoch", source.batchCount)], "fit",
                                 hint: " (every rank must load the same dataset: each takes its share of every batch)")
            }
            let lr = schedule.lr(base: baseLR, t: e)
            optimizer.lr = lr
            model.train()
            if freezeBatchNorm { Self.freezeBatchNorms(model) }
            let convolutions = model.namedModules().compactMap { $0.module as? Conv2d }   // per epoch: a callback may prune
            let next = try source.batches(epoch: e)
            let start = DispatchTime.now().uptimeNanoseconds
            var lossSum = 0.0, correct = 0, seen = 0, step = 0
            while let (x, y) = try next() {
                step += 1
                model.zeroGrad()
                let soft = try teacherLogits(x)   // first: the student's forward and backward stay together
                let logits = try model.forward(x)
                var (loss, grad) = try stepLoss(logits: logits, targets: y, teacherLogits: soft)
                var n = x.shape.first ?? 0
                var right = try Metrics.correct(logits: logits, targets: y, k: 1)
                if let dp = dataParallel {
                    (loss, n, right, grad) = try Trainer.globalStep(dp, loss: loss, n: n, correct: right, grad: grad)
                }
                guard loss.isFinite else {
                    throw TensorError("fit: loss became \(loss) at epoch \(e + 1), step \(step) (a learning rate too high, or non-finite inputs or weights?)")
                }
                try Trainer.backward(model, grad, input: x, convolutions: convolutions)
                try dataParallel?.reduceGradients()
                try beforeStep?(StepReport(epoch: e + 1, step: step, steps: source.batchCount, loss: loss, lr: lr,
                                           samples: seen + n, seconds: Trainer.seconds(since: start),
                                           meanLoss: (lossSum + loss * Double(n)) / Double(max(seen + n, 1)),
                                           top1: Double(correct + right) / Double(max(seen + n, 1))))
                try optimizer.step(params)
                lossSum += loss * Double(n)
                correct += right
                seen += n
                try onStep(StepReport(epoch: e + 1, step: step, steps: source.batchCount, loss: loss, lr: lr,
                                      samples: seen, seconds: Trainer.seconds(since: start),
                                      meanLoss: lossSum / Double(max(seen, 1)), top1: Double(correct) / Double(max(seen, 1))))
            }
            guard seen > 0 else {
                throw TensorError("fit: epoch \(e + 1) saw no training samples (an empty dataset, or drop_last with fewer samples than one batch)")
            }
            // plain BatchNorm's running statistics followed each rank's samples: make them rank 1's
            try dataParallel?.broadcastBuffers()
            let secs = Trainer.seconds(since: start)
            var report = EpochReport(epoch: e + 1, lr: lr, trainLoss: seen > 0 ? lossSum / Double(seen) : .nan,
                                     trainTop1: seen > 0 ? Double(correct) / Double(seen) : .nan, seconds: secs,
                                     imagesPerSecond: secs > 0 ? Double(seen) / secs : 0, eval: nil)
            if let evalSource { report.eval = try Trainer.evaluate(model, evalSource, collective: dataParallel?.collective) }
            reports.append(report)
            try onEpoch(report)
        }
        return reports
    }

    /// One data-parallel step's global numbers: the mean loss, sample and correct counts
    /// over all ranks, and this rank's loss gradient scaled by its share of the samples,
    /// so that the summed parameter gradients are those of the global mean loss.
    static func globalStep(_ dp: DataParallel, loss: Double, n: Int, correct: Int, grad: Tensor) throws
        -> (Double, Int, Int, Tensor) {
        let s = try dp.collective.allreduceSum([Double(n), loss * Double(n), Double(correct)])
        let total = max(s[0], 1)
        let g = try grad.contiguous(), share = Float(Double(n) / total), count = g.numel
        g.withFloats { p in for i in 0..<count { p[i] *= share } }
        return (s[1] / total, Int(s[0]), Int(s[2]), g)
    }

    /// Top-1, top-5 and mean loss of `model` over one pass of `source`, in eval mode
    /// (restoring each module's previous mode), without caching for backward. With a collective,
    /// `source` is this rank's shard and the numbers are summed over the ranks.
    public static func evaluate(_ model: any Module, _ source: BatchSource, epoch: Int = 0,
                                collective: (any Collective)? = nil) throws -> Evaluation {
        let restore = model.enterEvalMode()   // each module's own mode back, however it ends
        defer { restore() }
        return try GradMode.withoutGrad {
            let next = try source.batches(epoch: epoch)
            var lossSum = 0.0, top1 = 0, top5 = 0, seen = 0
            while let (x, y) = try next() {
                let logits = try model.forward(x)
                let (loss, _) = try CrossEntropy.compute(logits: logits, targets: y)
                let n = x.shape.first ?? 0
                lossSum += loss * Double(n)
                top1 += try Metrics.correct(logits: logits, targets: y, k: 1)
                top5 += try Metrics.correct(logits: logits, targets: y, k: 5)
                seen += n
            }
            if let c = collective {
                let s = try c.allreduceSum([lossSum, Double(top1), Double(top5), Double(seen)])
                (lossSum, top1, top5, seen) = (s[0], Int(s[1]), Int(s[2]), Int(s[3]))
            }
            guard seen > 0 else { throw TensorError("evaluate: the loader gave no samples") }
            return Evaluation(top1: Double(top1) / Double(seen), top5: Double(top5) / Double(seen),
                              loss: lossSum / Double(seen), samples: seen)
        }
    }

    /// Input gradients a training step skipped (tests check it ran; a plain counter).
    nonisolated(unsafe) static var skippedInputGradients = 0

    /// A training step's backward, whose ∂L/∂input nobody reads: a convolution that reads
    /// the batch itself (the first one) skips its input gradient for the step, as autograd
    /// does for an input that needs none — a third of that layer's backward.
    static func backward(_ model: any Module, _ grad: Tensor, input x: Tensor, convolutions: [Conv2d]) throws {
        let first = convolutions.filter { $0.computeInputGradient && $0.cache === x }
        for c in first { c.computeInputGradient = false }
        defer { for c in first { c.computeInputGradient = true } }
        skippedInputGradients &+= first.count
        _ = try model.backward(grad)
    }

    static func seconds(since t0: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }
}
