import Foundation
import Tensor

/// Learning-rate schedules as pure functions of the epoch, matching PyTorch's
/// schedulers. `t` counts completed epochs (PyTorch's `last_epoch`): t = 0 is the
/// first epoch, and `lr(base:, t:)` is the rate used during epoch t + 1.
public indirect enum Schedule: CustomStringConvertible, Sendable {
    /// The base rate throughout.
    case constant
    /// StepLR: base · γ^⌊t / size⌋.
    case step(size: Int, gamma: Double)
    /// MultiStepLR: base · γ^(number of milestones ≤ t).
    case multistep(milestones: [Int], gamma: Double)
    /// ExponentialLR: base · γ^t.
    case exponential(gamma: Double)
    /// CosineAnnealingLR (closed form): η_min + (base − η_min)(1 + cos(π t / T_max)) / 2.
    case cosine(tMax: Int, etaMin: Double)
    /// LinearLR: base · (start + (end − start) · min(t, total) / total).
    case linear(start: Double, end: Double, total: Int)
    /// Linear warm-up then another schedule, as SequentialLR(LinearLR(start, 1, epochs),
    /// then, milestones = [epochs]): for t < epochs base · (start + (1 − start) t / epochs),
    /// afterwards `then` at t − epochs.
    case warmup(epochs: Int, start: Double, then: Schedule)

    /// The learning rate during epoch t + 1 (t ≥ 0).
    public func lr(base: Double, t: Int) -> Double {
        let t = max(t, 0)
        switch self {
        case .constant: return base
        case let .step(size, gamma): return base * Foundation.pow(gamma, Double(t / size))
        case let .multistep(milestones, gamma):
            return base * Foundation.pow(gamma, Double(milestones.filter { $0 <= t }.count))
        case let .exponential(gamma): return base * Foundation.pow(gamma, Double(t))
        case let .cosine(tMax, etaMin):
            return etaMin + (base - etaMin) * (1 + Foundation.cos(Double.pi * Double(t) / Double(tMax))) / 2
        case let .linear(start, end, total):
            return base * (start + (end - start) * Double(min(t, total)) / Double(total))
        case let .warmup(epochs, start, then):
            if t < epochs { return base * (start + (1 - start) * Double(t) / Double(epochs)) }
            return then.lr(base: base, t: t - epochs)
        }
    }

    /// The most warmups one chain holds (`warmup` after `warmup` …): what reads a chain recurses.
    public static let maxWarmups = 16

    /// Checks the parameters (positive periods, finite factors), naming the schedule.
    public func validate() throws {
        func need(_ ok: Bool, _ m: String) throws { if !ok { throw TensorError("schedule.\(m)") } }
        switch self {
        case .constant: break
        case let .step(size, gamma):
            try need(size > 0, "step: step_size must be positive, got \(size)")
            try need(gamma.isFinite && gamma >= 0, "step: gamma must be a non-negative number")
        case let .multistep(milestones, gamma):
            try need(milestones.allSatisfy { $0 >= 0 },
                     "multistep: milestones must be non-negative epochs, got \(milestones)")
            try need(gamma.isFinite && gamma >= 0, "multistep: gamma must be a non-negative number")
        case let .exponential(gamma): try need(gamma.isFinite && gamma >= 0, "exponential: gamma must be a non-negative number")
        case let .cosine(tMax, etaMin):
            try need(tMax > 0, "cosine: t_max must be positive, got \(tMax)")
            try need(etaMin.isFinite && etaMin >= 0, "cosine: eta_min must be a non-negative number")
        case let .linear(start, end, total):
            try need(start > 0 && start <= 1, "linear: start_factor must be in (0, 1], got \(start)")
            try need(end >= 0 && end <= 1, "linear: end_factor must be in [0, 1], got \(end)")
            try need(total > 0, "linear: total must be positive, got \(total)")
        case let .warmup(epochs, start, then):
            try need(epochs > 0, "warmup: epochs must be positive, got \(epochs)")
            try need(start > 0 && start <= 1, "warmup: start_factor must be in (0, 1], got \(start)")
            try then.validate()
        }
    }

    public var description: String {
        switch self {
        case .constant: "constant"
        case let .step(size, gamma): "step{step_size = \(size), gamma = \(gamma)}"
        case let .multistep(m, gamma): "multistep{milestones = {\(m.map(String.init).joined(separator: ", "))}, gamma = \(gamma)}"
        case let .exponential(gamma): "exponential{gamma = \(gamma)}"
        case let .cosine(tMax, etaMin): "cosine{t_max = \(tMax), eta_min = \(etaMin)}"
        case let .linear(s, e, n): "linear{start_factor = \(s), end_factor = \(e), total = \(n)}"
        case let .warmup(n, s, then): "warmup{epochs = \(n), start_factor = \(s), after = \(then)}"
        }
    }
}
