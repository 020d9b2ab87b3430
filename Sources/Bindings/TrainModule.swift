import CLua
import LuaHost
import NN
import Tensor

/// The `train` Lua module: the loss, optimizers and learning-rate schedules (the
/// training loop, `train.fit` / `train.evaluate`, builds on these).
/// ```lua
/// local loss, grad = train.cross_entropy(logits, y, {label_smoothing = 0.1})
/// local opt = train.sgd{lr = 0.1, momentum = 0.9, weight_decay = 5e-4, nesterov = true}
/// local sched = train.schedule.warmup{epochs = 5, after = train.schedule.cosine{t_max = 195}}
/// ```
public enum TrainModule {
    public static let optimizerType = LuaType<OptimizerBox>("train.Optimizer")
    public static let scheduleType = LuaType<ScheduleBox>("train.Schedule")

    public static let library = LuaLibrary(name: "train") { L in
        optimizerType.register(L, methods: optimizerMethods, metamethods: [
            optimizerType.tostring { "train.Optimizer " + $0.optimizer.description },
        ])
        scheduleType.register(L, methods: scheduleMethods, metamethods: [
            scheduleType.tostring { "train.Schedule " + $0.description },
        ])
        L.newTable()
        for f in [crossEntropy, distillLoss, cached] + optimizerConstructors + fitFunctions { L.push(f); L.setField(-2, f.name) }
        L.newTable()
        for f in scheduleConstructors { L.push(f); L.setField(-2, f.name) }
        // Also in package.loaded, so argument errors name "train.schedule.step".
        L.rawField(clua_registryindex(), "_LOADED")
        L.pushValue(-2)
        L.setField(-2, "train.schedule")
        L.pop()
        L.setField(-2, "schedule")
    }

    static let crossEntropy = LuaFunction("cross_entropy", doc: """
    train.cross_entropy(logits, targets, {label_smoothing = 0, reduction = "mean"|"sum"}) -> loss, grad
    Cross-entropy of N×C logits against N class ids (0-based, int64 or float) or N×C probabilities,
    as torch.nn.functional.cross_entropy; returns the loss (a number) and its gradient with respect
    to the logits (N×C).
    Example:
      local loss, grad = train.cross_entropy(tensor.new{{1, 2, 3}}, tensor.new{2})
    """) { L in
        let logits = try L.checkTensor(1), targets = try L.checkTensor(2)
        let o = try LuaOptions(L, 3)
        try o.checkKnown(["label_smoothing", "reduction"], "cross_entropy")
        let reduction = CrossEntropy.Reduction(rawValue: try o.choice("reduction", ["mean", "sum"], "mean"))!
        let (loss, grad) = try CrossEntropy.compute(logits: logits, targets: targets,
                                                    labelSmoothing: try o.number("label_smoothing", 0),
                                                    reduction: reduction)
        L.push(loss); L.push(grad)
        return 2
    }

    /// A required option: `field 'step_size': number expected, got nil`.
    static func required<T>(_ o: LuaOptions, _ key: String, _ arg: Int, _ read: (String) throws -> T?) throws -> T {
        guard let v = try read(key) else { throw LuaError.argument(arg, "field '\(key)': number expected, got nil") }
        return v
    }
}
