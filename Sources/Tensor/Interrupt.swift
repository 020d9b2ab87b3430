/// Ctrl-C for native code. The Lua host points `pending` at its signal flag; long
/// kernels call `Interrupt.check` between chunks of work so a researcher can stop them.
public enum Interrupt {
    nonisolated(unsafe) public static var pending: @Sendable () -> Bool = { false }

    /// Throws `TensorError("<op>: interrupted")` if Ctrl-C was pressed.
    @inlinable
    public static func check(_ op: String) throws {
        if pending() { throw TensorError("\(op): interrupted") }
    }
}
