import Tensor

/// An optimizer updates parameters in place from their accumulated gradients.
/// Parameters without a gradient, or with `requiresGrad == false`, are skipped (as
/// PyTorch skips parameters whose grad is None). Per-parameter state (momentum,
/// moments) is kept by parameter identity; a parameter whose shape changed (pruning
/// surgery) starts with fresh state.
public protocol Optimizer: AnyObject, CustomStringConvertible {
    /// The learning rate of the next step (schedules set it each epoch).
    var lr: Double { get set }
    /// One update of every parameter that has a gradient.
    func step(_ params: [Parameter]) throws
    /// The state of `params` as named tensors for a checkpoint: "<index>.<buffer>"
    /// (e.g. "3.momentum_buffer", "3.exp_avg", "3.step"), index = position in `params`.
    func state(_ params: [Parameter]) throws -> [(String, Tensor)]
    /// Restores state saved by `state` for the same parameter list.
    func loadState(_ state: [String: Tensor], _ params: [Parameter]) throws
    /// Keeps only the entries `index` along `dim` of `p`'s state (momentum, moments):
    /// pruning surgery calls it before it slices the parameter, so training goes on with
    /// the surviving channels' state.
    func sliceState(_ p: Parameter, dim: Int, index: Tensor) throws
    /// Sets the entries `rows` along `dim` of `p`'s state (momentum, moments) to zero: soft
    /// pruning (`plan:mask`) calls it as it zeroes the same entries of the parameter, so a
    /// step does not move them off zero with momentum gathered before.
    func zeroState(_ p: Parameter, dim: Int, rows: [Int]) throws
}

/// Per-parameter buffers keyed by identity. A slot holds its parameter weakly: one
/// optimizer reused for net after net (a loop over ratios) does not keep every dropped
/// net's parameters and moments alive, and a new parameter at a freed one's address finds
/// no stale state (the slot's parameter is gone, not it).
final class OptimizerState {
    final class Slot {
        weak var param: Parameter?
        var buffers: [String: Tensor] = [:]
        var step = 0
        init(_ p: Parameter) { param = p }
    }
    private var slots: [ObjectIdentifier: Slot] = [:]
    /// Slots of freed parameters are dropped when the table reaches this size.
    private var sweepAt = 8

    /// The slot of `p`; reset when a buffer no longer matches the parameter's shape.
    func slot(_ p: Parameter) -> Slot {
        if let s = existing(p), s.buffers.values.allSatisfy({ $0.shape == p.value.shape }) { return s }
        if slots.count >= sweepAt {
            slots = slots.filter { $0.value.param != nil }
            sweepAt = max(8, 2 * slots.count)
        }
        let s = Slot(p)
        slots[ObjectIdentifier(p)] = s
        return s
    }

    func existing(_ p: Parameter) -> Slot? {
        guard let s = slots[ObjectIdentifier(p)], s.param === p else { return nil }
        return s
    }

    /// Slots of parameters still alive (tests).
    var liveSlots: Int { slots.values.filter { $0.param != nil }.count }

    /// Slices every buffer of `p`'s slot along `dim` (see `Optimizer.sliceState`).
    func slice(_ p: Parameter, dim: Int, index: Tensor) throws {
        guard let s = existing(p) else { return }
        for (k, t) in s.buffers where t.dim > dim { s.buffers[k] = try t.indexSelect(dim, index).contiguous() }
    }

    /// Zeroes entries `rows` along `dim` of every buffer of `p`'s slot (see `Optimizer.zeroState`).
    func zero(_ p: Parameter, dim: Int, rows: [Int]) throws {
        guard let s = existing(p) else { return }
        for t in s.buffers.values where t.dim > dim { try t.zeroSlices(dim, rows) }
    }

    func export(_ params: [Parameter]) throws -> [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        for (i, p) in params.enumerated() {
            guard let s = existing(p) else { continue }
            for (k, t) in s.buffers.sorted(by: { $0.key < $1.key }) { out.append(("\(i).\(k)", try t.clone())) }
            out.append(("\(i).step", try Tensor.int64(shape: [], values: [Int64(s.step)])))
        }
        return out
    }

    /// Replaces the state from `export`'s entries. A parameter with a step count must
    /// have every buffer in `required` once it has stepped (a checkpoint missing one would
    /// silently restart that parameter's momentum); the step count must be a
    /// non-negative integer (a negative one makes Adam's bias correction NaN).
    func load(_ state: [String: Tensor], _ params: [Parameter], buffers names: [String], required: [String],
              op: String) throws {
        var fresh: [ObjectIdentifier: Slot] = [:]
        for (i, p) in params.enumerated() {
            guard let st = state["\(i).step"] else {
                if let k = names.first(where: { state["\(i).\($0)"] != nil }) {
                    throw TensorError("\(op): state '\(i).\(k)' has no step count '\(i).step'")
                }
                continue
            }
            let s = Slot(p)
            let step = st.numel == 1 ? try st.item() : .nan
            guard step.isFinite, step >= 0, step == step.rounded(), step < 9e15 else {
                throw TensorError("\(op): state '\(i).step' must be a non-negative whole number, got \(st.numel == 1 ? "\(step)" : "shape \(shapeString(st.shape))")")
            }
            s.step = Int(step)
            for name in names {
                guard let t = state["\(i).\(name)"] else { continue }
                guard t.shape == p.value.shape else {
                    throw TensorError("\(op): state '\(i).\(name)' has shape \(shapeString(t.shape)), parameter \(i + 1) has \(shapeString(p.value.shape))")
                }
                s.buffers[name] = try t.toFloat().clone()
            }
            for name in required where s.step > 0 && state["\(i).\(name)"] == nil {
                throw TensorError("\(op): state '\(i).\(name)' is missing (parameter \(i + 1) has taken \(s.step) steps)")
            }
            fresh[ObjectIdentifier(p)] = s
        }
        slots = fresh
    }
}

/// Runs `body(value, grad, count)` on contiguous float32 memory of a parameter and its
/// gradient, writing back if the value is a non-contiguous view.
func withParameter(_ p: Parameter, _ op: String, _ body: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) throws -> Void) throws {
    guard let g0 = p.grad else { return }
    guard g0.shape == p.value.shape else {
        throw TensorError("\(op): gradient of shape \(shapeString(g0.shape)) for a parameter of shape \(shapeString(p.value.shape))")
    }
    guard p.value.dtype == .float32 else { throw TensorError("\(op): parameters must be float32") }
    let g = try g0.toFloat().contiguous()
    let v = p.value.isContiguous ? p.value : try p.value.clone()
    try g.withFloats { try body(v.ptr, $0, v.numel) }
    if v !== p.value { try p.value.copy(from: v) }
}

/// A float32 buffer shaped like the parameter, zeros.
func zerosLike(_ p: Parameter) throws -> Tensor { try Tensor(zeros: p.value.shape) }

/// Splits 0..<n into the same chunks every time and runs them in parallel.
@inline(__always)
func elementwise(_ n: Int, _ body: (Int, Int) -> Void) {
    Parallel.ranges(n, grain: 1 << 16, body)
}
