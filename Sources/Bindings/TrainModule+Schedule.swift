import CLua
import LuaHost
import NN
import Tensor

/// A schedule as a Lua object.
public final class ScheduleBox: CustomStringConvertible {
    public let schedule: Schedule
    init(_ s: Schedule) { schedule = s }
    public var description: String { schedule.description }
}

extension TrainModule {
    /// The schedule at stack slot `i` (for train.fit).
    public static func checkSchedule(_ L: Lua, _ i: Int32) throws -> Schedule {
        try scheduleType.check(L, i).schedule
    }

    static func schedule(_ name: String, _ keys: Set<String>, doc: String, _ make: @escaping (Lua, LuaOptions) throws -> Schedule) -> LuaFunction {
        LuaFunction(name, doc: doc) { L in
            let o = try LuaOptions(L, 1)
            try o.checkKnown(keys, "schedule." + name)
            let s = try make(L, o)
            try s.validate()
            scheduleType.push(L, ScheduleBox(s))
            return 1
        }
    }

    static let scheduleConstructors: [LuaFunction] = [
        schedule("constant", [], doc: """
        train.schedule.constant() -> schedule
        The base learning rate throughout.
        Example:
          local s = train.schedule.constant()
        """) { _, _ in .constant },
        schedule("step", ["step_size", "gamma"], doc: """
        train.schedule.step{step_size = n, gamma = 0.1} -> schedule
        StepLR: base · gamma^floor((epoch − 1) / step_size).
        Example:
          local s = train.schedule.step{step_size = 30}
        """) { L, o in .step(size: try required(o, "step_size", 1, o.integer), gamma: try o.number("gamma", 0.1)) },
        schedule("multistep", ["milestones", "gamma"], doc: """
        train.schedule.multistep{milestones = {m1, m2, ...}, gamma = 0.1} -> schedule
        MultiStepLR: multiplied by gamma after each milestone (a count of completed epochs, as in
        PyTorch: milestones = {100, 150} decays from epoch 101 and again from epoch 151).
        Example:
          local s = train.schedule.multistep{milestones = {100, 150}, gamma = 0.1}
        """) { L, o in
            guard o.push("milestones") == LUA_TTABLE else {
                let t = L.typeName(-1); L.pop()
                throw LuaError.argument(1, "field 'milestones': table expected, got \(t)")
            }
            defer { L.pop() }
            let m: [Double]
            do { m = try L.checkNumbers(L.absIndex(-1), "milestones") } catch let LuaError.argument(_, message) {
                throw LuaError.argument(1, "field 'milestones': \(message)")
            }
            guard m.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e12 }) else {
                throw LuaError.argument(1, "field 'milestones': epochs must be integers")
            }
            return .multistep(milestones: m.map { Int($0) }, gamma: try o.number("gamma", 0.1))
        },
        schedule("exponential", ["gamma"], doc: """
        train.schedule.exponential{gamma = g} -> schedule
        ExponentialLR: base · gamma^(epoch − 1).
        Example:
          local s = train.schedule.exponential{gamma = 0.95}
        """) { L, o in .exponential(gamma: try required(o, "gamma", 1, o.number)) },
        schedule("cosine", ["t_max", "eta_min"], doc: """
        train.schedule.cosine{t_max = n, eta_min = 0} -> schedule
        CosineAnnealingLR: eta_min + (base − eta_min)(1 + cos(π (epoch − 1) / t_max)) / 2.
        Example:
          local s = train.schedule.cosine{t_max = 200}
        """) { L, o in .cosine(tMax: try required(o, "t_max", 1, o.integer), etaMin: try o.number("eta_min", 0)) },
        schedule("linear", ["start_factor", "end_factor", "total"], doc: """
        train.schedule.linear{start_factor = 1/3, end_factor = 1, total = 5} -> schedule
        LinearLR: the factor goes linearly from start_factor to end_factor over `total` epochs.
        Example:
          local s = train.schedule.linear{start_factor = 0.1, total = 10}
        """) { L, o in
            .linear(start: try o.number("start_factor", 1.0 / 3), end: try o.number("end_factor", 1), total: try o.integer("total", 5))
        },
        schedule("warmup", ["epochs", "start_factor", "after"], doc: """
        train.schedule.warmup{epochs = n, start_factor = 1/3, after = schedule} -> schedule
        Linear warm-up from start_factor · base over `epochs` epochs, then `after` (default constant)
        starting from its own first epoch, as SequentialLR(LinearLR, after, milestones = {epochs}).
        Example:
          local s = train.schedule.warmup{epochs = 5, start_factor = 0.1, after = train.schedule.cosine{t_max = 195}}
        """) { L, o in
            var after = Schedule.constant
            if o.push("after") != LUA_TNIL {
                guard let box = try scheduleType.get(L, -1) else {
                    let t = L.typeName(-1); L.pop()
                    throw LuaError.argument(1, "field 'after': train.Schedule expected, got \(t)")
                }
                after = box.schedule
            }
            L.pop()
            // validation, lr and printing recurse through the chain: its depth is bounded
            var depth = 1, inner = after
            while case let .warmup(_, _, then) = inner { depth += 1; inner = then }
            guard depth <= Schedule.maxWarmups else {
                throw o.invalid("after", "a chain of at most \(Schedule.maxWarmups) warmups, this would be \(depth)")
            }
            return .warmup(epochs: try required(o, "epochs", 1, o.integer), start: try o.number("start_factor", 1.0 / 3), then: after)
        },
    ]

    static let scheduleMethods: [LuaFunction] = [
        LuaFunction("lr", doc: """
        sched:lr(base, epoch) -> lr
        The learning rate during epoch `epoch` (1-based: epoch 1 is the first) for a base rate,
        equal to PyTorch's scheduler after epoch − 1 steps.
        Example:
          for epoch = 1, 200 do opt:lr(sched:lr(opt:base_lr(), epoch)) end   -- then train the epoch
        """) { L in
            let s = try checkSchedule(L, 1)
            let base = try L.checkNumber(2), epoch = try L.checkInteger(3)
            guard epoch >= 1 else { throw LuaError.argument(3, "epoch must be at least 1, got \(epoch)") }
            L.push(s.lr(base: base, t: epoch - 1))
            return 1
        },
        LuaFunction("lrs", doc: """
        sched:lrs(base, n) -> {lr1, ..., lrn}
        The learning rates of epochs 1..n (for plotting).
        Example:
          local curve = sched:lrs(0.1, 200)
        """) { L in
            let s = try checkSchedule(L, 1)
            let base = try L.checkNumber(2), n = try L.checkInteger(3)
            guard n >= 0 && n <= 10_000_000 else { throw LuaError.argument(3, "count must be in 0..10000000") }
            L.push(array: (0..<n).map { s.lr(base: base, t: $0) })
            return 1
        },
    ]
}
