import CLua
import CLuaShim
import Data
import Dist
import Foundation
import LuaHost
import NN
import Tensor

extension TrainModule {
    static let fitFunctions: [LuaFunction] = [fit, evaluate]

    static let fit = LuaFunction("fit", doc: """
    train.fit(net, loader, {epochs =, optimizer =, schedule =, eval =, label_smoothing =, teacher =,
              distill =, freeze_bn =, before_step =, on_step =, on_epoch =, checkpoint =, resume =, progress =,
              log =, distributed =}) -> history
    Trains `net` with cross-entropy; `label_smoothing = ε` in [0, 1] smooths its targets as
    torch's CrossEntropyLoss(label_smoothing = ε) (default 0). `teacher = base` distills from
    the network `base` (Hinton et al. 2015; e.g. the unpruned net, copied by net:clone() before
    pruning): the loss is alpha·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1 − alpha)·CE(s, y), s the
    student's logits, t the teacher's on the same batch, the KL averaged over the batch as
    PyTorch's F.kl_div(..., reduction = "batchmean") and label_smoothing applying to the CE term
    (train.distill_loss is that loss alone). `distill = {alpha = 0.9, temperature = 4}` (those
    are the defaults) sets alpha in [0, 1] (0: plain cross-entropy) and T > 0. The teacher runs
    in eval mode without caching for backward (each of its modules gets its mode back), is never
    updated, must give logits of the student's shape and must not be, or share a module with,
    `net`. With a teacher the reported losses (history, callbacks, epoch lines) are that total
    loss; eval's loss stays the cross-entropy. However fit ends (done, stopped by a callback, an
    error in a callback or a batch, Ctrl-C), every module of `net` and of the teacher is left in
    the mode it had before the call, and an error is raised again unchanged. The optimizer keeps
    the state (momentum) of every step whose update was applied: an error in on_step comes after
    its step's update, one in the forward, backward or before_step before it; a second train.fit
    with the same optimizer continues from there.
    `freeze_bn = true` trains with every BatchNorm in eval mode: running statistics normalise and
    stay as they are, γ and β still learn (fine-tuning on small batches, or on data whose
    statistics should not replace the trained ones); otherwise fit puts every module in train mode.
    The schedule sets the learning rate of each epoch (default: constant). `eval` is a loader
    evaluated after every epoch. `before_step` runs after each backward, before the optimizer's
    step, with the step's table: there gradients can be changed (Network Slimming's sparsity on
    BN scales, below; a mask keeping zeroed filters at zero). Callbacks on_step and on_epoch get
    a table (epoch, step, loss, lr, ... / epoch, loss, top1, lr, seconds, images_per_s, eval)
    and may return false to stop; stopped by on_step, the history ends with the epoch so far
    (partial = true, steps = the steps it ran, loss and top1 over them). `checkpoint` is a path
    written atomically after every epoch (weights, optimizer state, epoch); with `resume = true`
    training continues from it when it exists. On a terminal a progress bar shows images/s and
    ETA (`progress = false`: never, `true`: always); one line per epoch is printed after it.
    `log = false` prints nothing (no lines; no bar unless `progress = true`); the history and
    the callbacks still see every epoch. `distributed = true` (under `mpirun -np K topiary run
    script.lua`) trains data-parallel: each rank takes its share of every batch (`loader`'s
    batch size is per rank; K ranks × batch B train as one process × batch K·B), rank 1's
    weights are broadcast first, gradients are summed after backward, and only rank 1 prints and
    writes the checkpoint. The ranks must agree on the model (every state tensor's name and
    shape), the epochs and the number of batches per epoch (checked first: the same error on
    every rank); a teacher must be the same network on every rank (its weights too are made rank
    1's) and each rank runs it on its own share of the batch. With resume = true rank 1's
    checkpoint, sent to every rank, decides. Losses and accuracies reported are over all ranks;
    callbacks run on every rank, and a callback returning false on any rank stops them all. A
    plain BatchNorm's running statistics are made rank 1's at the end of every epoch (before
    eval and the checkpoint); nn.sync_batchnorm computes BatchNorm over all ranks, as one
    process would. Without mpirun it is one rank.
    Returns {epochs = {...per-epoch tables...}}.
    Example:
      local hist = train.fit(net, loader, {epochs = 2, optimizer = train.sgd{lr = 0.1, momentum = 0.9},
                                           eval = test_loader})
      print(hist.epochs[2].eval.top1)
      -- fine-tune a pruned net, distilled from the unpruned one
      local base = net:clone()
      prune.plan(net, {criterion = "l1", ratio = 0.5, calib = loader}):apply()
      train.fit(net, loader, {epochs = 2, optimizer = train.sgd{lr = 0.01, momentum = 0.9}, teacher = base,
                              distill = {alpha = 0.9, temperature = 4}, label_smoothing = 0.1})
      -- Network Slimming: an L1 penalty λ·Σ|γ| on every BN scale, then prune by bn_scale
      local gammas = {}
      for _, m in ipairs(net:named_modules()) do
        if m.module.type == "BatchNorm2d" then gammas[#gammas + 1] = m.module:parameters()[1] end   -- weight
      end
      train.fit(net, loader, {optimizer = train.sgd{lr = 0.1}, before_step = function()
        for _, p in ipairs(gammas) do p.grad:copy(p.grad + p.value:sign() * 1e-4) end
      end})
    """) { L in
        let model = try NNModule.checkModule(L, 1)
        var loader = try DataModule.checkLoader(L, 2)
        let o = try LuaOptions(L, 3)
        try o.checkKnown(["epochs", "optimizer", "schedule", "eval", "label_smoothing", "teacher", "distill", "freeze_bn", "before_step",
                          "on_step", "on_epoch", "checkpoint", "resume", "progress", "log", "distributed"], "fit")
        let epochs = try o.integer("epochs", 1)
        guard epochs >= 0 else { throw LuaError.argument(3, "field 'epochs': must be non-negative, got \(epochs)") }
        guard let box = try o.object("optimizer", optimizerType) else {
            throw LuaError.argument(3, "field 'optimizer': train.Optimizer expected, got nil (e.g. optimizer = train.sgd{lr = 0.1})")
        }
        var schedule = try o.object("schedule", scheduleType)?.schedule ?? Schedule.constant
        var evalLoader = try o.object("eval", DataModule.loaderType)
        let onStep = try callback(L, o, "on_step"), onEpoch = try callback(L, o, "on_epoch")
        let beforeStep = try callback(L, o, "before_step")
        defer { onStep?.release(L); onEpoch?.release(L); beforeStep?.release(L) }
        let checkpoint = try o.path("checkpoint")
        let resume = try o.bool("resume", false)
        guard !resume || checkpoint != nil else {
            throw o.invalid("resume", "true needs checkpoint = path (the file to resume from and to write each epoch)")
        }
        let smoothing = try checkSmoothing(o)
        let distillation = try fitDistillation(L, o)
        let log = try o.bool("log", true)
        var progress = try o.bool("progress", log && L.output.isTerminal && ProcessInfo.processInfo.environment["CI"] == nil)
        var main = true
        var dataParallel: DataParallel? = nil, world: Communicator? = nil
        if try o.bool("distributed", false) {
            let w = try DistModule.world(L)
            world = w
            main = w.rank == 0
            progress = progress && main
            loader = try loader.sharded(rank: w.rank, of: w.size, even: true)
            evalLoader = try evalLoader?.sharded(rank: w.rank, of: w.size, even: false)
            SyncBatchNorm.attach(model, w)
            dataParallel = DataParallel(model: model, collective: w)
        }

        let trainer = Trainer(model: model, optimizer: box.optimizer, schedule: schedule, baseLR: box.baseLR)
        trainer.dataParallel = dataParallel
        trainer.labelSmoothing = smoothing
        trainer.freezeBatchNorm = try o.bool("freeze_bn", false)
        trainer.distillation = distillation
        if let f = beforeStep {
            trainer.beforeStep = { s in try f.call(on: L, nresults: 0, { _ in pushStep(L, s); return 1 }) { _ in } }
        }
        var start = 0
        if resume, let path = checkpoint {
            var done: Int? = nil
            if let dp = dataParallel, let world {
                // rank 1's checkpoint, sent to every rank, into the same model on every rank
                try dp.checkAgreement("fit")
                done = try Checkpoint.restoreShared(path, model: model, optimizer: box.optimizer, world: world)
            } else if path.exists {
                done = try Checkpoint.restore(path, model: model, optimizer: box.optimizer)
            }
            if let done {
                start = done
                if main && log { L.write("resuming from \(path) after epoch \(start)\n") }
            }
        }
        /// A callback's "stop": with several ranks, any rank's stops every rank after the same
        /// step (a stop on one rank alone, say a time budget, would leave the others waiting).
        func stops(_ mine: Bool) throws -> Bool { try dataParallel?.collective.anyRank(mine) ?? mine }
        let bar = ProgressBar(enabled: progress, output: L.output)
        var history: [EpochReport] = []
        do {
            try trainer.fit(loader, epochs: epochs, from: start, evalSource: evalLoader, onStep: { s in
                bar.update(s, epochs: epochs, batchSize: loader.batchSize)
                if let f = onStep, try stops(!proceed(L, f, { pushStep(L, s) })) {
                    history.append(EpochReport(partial: s))   // the history keeps the steps that ran
                    throw StopTraining()
                }
            }, onEpoch: { e in
                bar.finish()
                history.append(e)
                if main && log { L.write(epochLine(e, epochs: epochs) + "\n") }
                if main, let path = checkpoint {
                    try Checkpoint.save(path, model: model, optimizer: box.optimizer, epoch: e.epoch)
                }
                if let f = onEpoch, try stops(!proceed(L, f, { pushEpoch(L, e) })) { throw StopTraining() }
            })
        } catch is StopTraining {
            bar.finish()
            try dataParallel?.broadcastBuffers()   // stopped within an epoch: rank 1's buffers, as at an epoch's end
        } catch {
            bar.finish()
            throw error
        }
        L.newTable()
        L.newTable()
        for (i, e) in history.enumerated() { pushEpoch(L, e); L.setIndex(-2, i + 1) }
        L.setField(-2, "epochs")
        return 1
    }

    static let evaluate = LuaFunction("evaluate", doc: """
    train.evaluate(net, loader) -> {top1 =, top5 =, loss =, samples =}
    Accuracy (fractions in [0, 1]) and mean cross-entropy of `net` over one pass of `loader`, in
    eval mode (the previous mode is restored).
    Example:
      local r = train.evaluate(net, test_loader)
      print(string.format("top-1 %.2f %%", 100 * r.top1))
    """) { L in
        let model = try NNModule.checkModule(L, 1)
        let loader = try DataModule.checkLoader(L, 2)
        let r = try Trainer.evaluate(model, loader)
        pushEval(L, r)
        return 1
    }

    struct StopTraining: Error {}

    /// The function in option `key` as a callback, or nil.
    static func callback(_ L: Lua, _ o: LuaOptions, _ key: String) throws -> LuaCallback? {
        let t = o.push(key)
        defer { L.pop() }
        if t == LUA_TNIL { return nil }
        guard t == LUA_TFUNCTION else { throw LuaError.argument(3, "field '\(key)': function expected, got \(L.typeName(-1))") }
        return LuaCallback(L, -1, what: "train.fit " + key)
    }

    /// Calls a callback with one table argument; false if it returned false (stop training).
    static func proceed(_ L: Lua, _ f: LuaCallback, _ pushArg: () -> Void) throws -> Bool {
        try f.call(on: L, nresults: 1, { _ in pushArg(); return 1 }) { L in
            !(L.type(-1) == LUA_TBOOLEAN && !L.toBool(-1))
        }
    }

    static func epochLine(_ e: EpochReport, epochs: Int) -> String {
        var s = String(format: "epoch %d/%d  loss %.4f  top1 %.2f%%  lr %.4g  %.1fs  %.0f img/s",
                       e.epoch, epochs, e.trainLoss, 100 * e.trainTop1, e.lr, e.seconds, e.imagesPerSecond)
        if let v = e.eval {
            s += String(format: "  | eval loss %.4f  top1 %.2f%%  top5 %.2f%%", v.loss, 100 * v.top1, 100 * v.top5)
        }
        return s
    }

    static func pushStep(_ L: Lua, _ s: StepReport) {
        L.pushRecord(["epoch": s.epoch, "step": s.step, "steps": s.steps, "loss": s.loss, "lr": s.lr,
                      "samples": s.samples])
    }

    static func pushEval(_ L: Lua, _ r: Evaluation) {
        L.pushRecord(["top1": r.top1, "top5": r.top5, "loss": r.loss, "samples": r.samples])
    }

    static func pushEpoch(_ L: Lua, _ e: EpochReport) {
        L.pushRecord(["epoch": e.epoch, "loss": e.trainLoss, "top1": e.trainTop1, "lr": e.lr, "seconds": e.seconds,
                      "images_per_s": e.imagesPerSecond])
        if let v = e.eval { pushEval(L, v); L.setField(-2, "eval") }
        if let steps = e.partialSteps { L.push(steps); L.setField(-2, "steps"); L.push(true); L.setField(-2, "partial") }
    }
}
