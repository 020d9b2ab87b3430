import Kernels
import Tensor

/// A module that can write its input gradient straight behind the ReLU that produced its
/// input: `backward(g, adding: r, gatedBy: y)` equals the ReLU's backward (output `y`) of
/// `backward(g) + r`, bit for bit, with that ReLU's own pass (two reads and a write of the
/// map) folded into the input gradient's output pass (`ConvEpilogue.gate`). A ResNet
/// block's first convolution writes the previous block's gradient this way
/// (`Sequential.backward`: a block's closing ReLU, `ReLUEnding`, leaves its mask to the
/// next block).
public protocol InputGradientGating: Module {
    /// (∂L/∂input + `extra`) where `gate` > 0, else 0; parameter gradients as `backward`.
    func backward(_ gradOutput: Tensor, adding extra: Tensor?, gatedBy gate: Tensor) throws -> Tensor
}

/// A module whose output is the output of a ReLU it ends with (a residual block's closing
/// ReLU): the module after it may apply that ReLU's mask while writing its own input
/// gradient (`InputGradientGating`), and this module's backward then starts behind the ReLU.
public protocol ReLUEnding: Module {
    /// The closing ReLU's output from the last forward with gradients, nil when there is none
    /// (no forward, no ReLU, or a ReLU whose backward must run: a gradient observer or a
    /// forward hook may see it).
    var closingGate: Tensor? { get }
    /// Whether `closingGate` is there, without making it (it may be a mask to expand,
    /// `ReLU.gateOutput`).
    var hasClosingGate: Bool { get }
    /// The paths below this module (relative, dot-joined) whose reported gradient changes when
    /// the closing ReLU's backward is skipped: the ReLU's own, and the children that end with it.
    var closingPaths: [String] { get }
    /// `backward` for `gradOutput` already gated by `closingGate` (the ReLU's backward is
    /// skipped), plus `extra`, and gated by `gate` (as `InputGradientGating`) when given.
    func backward(gatedGradient gradOutput: Tensor, adding extra: Tensor?, gatedBy gate: Tensor?) throws -> Tensor
}

/// Whether backward passes leave a residual block's closing ReLU to the next block's input
/// gradient (`ReLUEnding`, `InputGradientGating`; `topiary bench --ab gate-behind-relu`).
/// Bit-equal either way.
public enum GateBehindReLU {
    nonisolated(unsafe) public static var enabled = true

    /// Closing ReLUs whose backward was left to the next module since the process started (tests).
    nonisolated(unsafe) static var skipped = 0

    /// `r` where `gate` > 0, else 0 (a new tensor): the ReLU's backward after the fact, for
    /// modules that cannot fold it into their own output pass.
    static func apply(_ r: Tensor, _ gate: Tensor, _ op: String) throws -> Tensor {
        guard r.shape == gate.shape else {
            throw TensorError("\(op): gradient \(shapeString(r.shape)) and ReLU output \(shapeString(gate.shape)) differ")
        }
        let g = try r.toFloat().contiguous(), y = try gate.toFloat().contiguous()
        let out = try Tensor(uninitialized: r.shape)
        g.withFloats { gp in y.withFloats { yp in ReLUGate.applyParallel(gp, gate: yp, count: out.numel, into: out.ptr) } }
        return out
    }

    /// `r` + `extra`, then gated by `gate`, each when given: what a module that could not
    /// do them in its own backward applies after it.
    static func finish(_ r: Tensor, adding extra: Tensor?, gatedBy gate: Tensor?, _ op: String) throws -> Tensor {
        var r = r
        if let extra { r = try addSameShape(r, extra, op, ("input", "added")) }
        if let gate { r = try apply(r, gate, op) }
        return r
    }

    /// `closingPaths` of a child `name` of a container, as paths relative to the container.
    static func paths(_ name: String, _ module: ReLUEnding) -> [String] {
        let below = module.closingPaths.map { name.isEmpty ? $0 : name + "." + $0 }
        return name.isEmpty ? below : [name] + below
    }

    /// The closing gate of `module` (the child `name` of the module being run backward) when
    /// the input gradient of `next` (the child after it) may apply it: fusion on, `next` can,
    /// no forward hook, and no gradient observer that needs one of the gradients it hides.
    static func gate(of module: any Module, named name: String, before next: any Module) -> (ReLUEnding, Tensor)? {
        guard enabled, next is InputGradientGating, ForwardHooks.isEmpty, let e = module as? ReLUEnding,
              let y = e.closingGate else { return nil }
        if let t = Tracer.current, t.hidesGradient(paths(name, e)) { return nil }
        return (e, y)
    }
}
