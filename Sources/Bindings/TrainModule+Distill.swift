import CLua
import LuaHost
import NN
import Tensor

/// Knowledge distillation from Lua: `train.distill_loss`, and the `teacher =` and
/// `distill =` options of `train.fit`.
extension TrainModule {
    static let distillKeys = ["alpha", "temperature"]

    static let distillLoss = LuaFunction("distill_loss", doc: """
    train.distill_loss(logits, teacher_logits, targets, {alpha = 0.9, temperature = 4, label_smoothing = 0}) -> loss, grad
    Knowledge distillation's loss (Hinton et al. 2015), as train.fit{teacher =, distill =} trains with:
    alpha·T²·KL(softmax(teacher_logits/T) ‖ softmax(logits/T)) + (1 − alpha)·CE(logits, targets), the KL
    averaged over the N rows (PyTorch: F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1),
    reduction = "batchmean") * T * T) and CE as train.cross_entropy (label_smoothing applies to it alone).
    Returns the loss and its gradient with respect to `logits` (N×C). alpha = 0 is train.cross_entropy
    exactly; alpha = 1 is the soft term alone (the targets are still checked).
    Example:
      local teacher = net:clone()
      local loss, grad = train.distill_loss(net:forward(x), teacher:forward(x), labels, {alpha = 0.9, temperature = 4})
    """) { L in
        let logits = try L.checkTensor(1), soft = try L.checkTensor(2), targets = try L.checkTensor(3)
        let o = try LuaOptions(L, 4)
        try o.checkKnown(Set(distillKeys + ["label_smoothing"]), "distill_loss")
        let (alpha, temperature) = try distillNumbers(o.number, { o.invalid($0, $1) })
        let smoothing = try checkSmoothing(o)
        let (loss, grad) = try Distillation.loss(logits: logits, teacherLogits: soft, targets: targets, alpha: alpha,
                                                 temperature: temperature, labelSmoothing: smoothing)
        L.push(loss); L.push(grad)
        return 2
    }

    /// `label_smoothing` of an option table: ε in [0, 1] (1: uniform targets, as PyTorch allows).
    static func checkSmoothing(_ o: LuaOptions) throws -> Double {
        let eps = try o.number("label_smoothing", 0)
        guard eps >= 0 && eps <= 1 else {
            throw o.invalid("label_smoothing", "must be in [0, 1], got \(eps.isNaN ? "nan" : "\(eps)")")
        }
        return eps
    }

    /// alpha (default 0.9) and temperature (default 4), range-checked; `invalid` makes the
    /// error naming the field.
    static func distillNumbers(_ number: (String) throws -> Double?, _ invalid: (String, String) -> LuaError) throws
        -> (alpha: Double, temperature: Double) {
        let alpha = try number("alpha") ?? 0.9, temperature = try number("temperature") ?? 4
        guard alpha >= 0 && alpha <= 1 else {
            throw invalid("alpha", "must be in [0, 1] (the soft term's weight; 1 − alpha weighs the cross-entropy), got \(alpha.isNaN ? "nan" : "\(alpha)")")
        }
        guard temperature > 0 && temperature.isFinite else {
            throw invalid("temperature", "must be a finite number > 0 (e.g. 4), got \(temperature.isNaN ? "nan" : "\(temperature)")")
        }
        return (alpha, temperature)
    }

    /// The `teacher =` and `distill = {alpha =, temperature =}` options of train.fit (argument
    /// 3), or nil without a teacher. Errors name the field: `field 'distill.alpha': ...`.
    static func fitDistillation(_ L: Lua, _ o: LuaOptions) throws -> Distillation? {
        let teacher = try o.object("teacher", NNModule.moduleType)
        let t = o.push("distill")
        defer { L.pop() }
        guard t != LUA_TNIL else {
            return try teacher.map { try Distillation(teacher: $0) }
        }
        guard t == LUA_TTABLE else {
            throw o.invalid("distill", "table expected (e.g. distill = {alpha = 0.9, temperature = 4}), got \(L.typeName(-1))")
        }
        guard let teacher else {
            throw o.invalid("distill", "needs teacher = net (the network to distill from, e.g. the unpruned one: net:clone() before pruning)")
        }
        let i = L.absIndex(-1)
        var unknown: [String] = []
        L.forEachPair(i) {
            let k = L.toString(-2)
            if k == nil || !distillKeys.contains(k!) { unknown.append(k.map { "'\($0)'" } ?? "a \(L.typeName(-2)) key") }
        }
        if let k = unknown.sorted().first {
            throw o.invalid("distill", "unknown option \(k) (allowed: \(distillKeys.joined(separator: ", ")))")
        }
        let (alpha, temperature) = try distillNumbers({ key in
            L.rawField(i, key)
            defer { L.pop() }
            if L.isNoneOrNil(-1) { return nil }
            guard let v = L.toNumber(-1) else { throw o.invalid("distill." + key, "number expected, got \(L.typeName(-1))") }
            return v
        }, { o.invalid("distill." + $0, $1) })
        return try Distillation(teacher: teacher, alpha: alpha, temperature: temperature)
    }
}
