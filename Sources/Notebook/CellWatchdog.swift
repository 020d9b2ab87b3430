import CLua
import CLuaShim
import Dispatch
import Foundation

/// Interrupts a cell that runs past its timeout. A timer on another thread calls
/// `topiary_interrupt_sticky`, which only arms Lua hooks and sets the flag native kernels
/// poll (both async-safe). The hook raises "interrupted!" in the running Lua code — in the
/// main state and in any Lua thread a callback (a loader transform) runs on — and, being
/// sticky, raises again after every `pcall` that catches it, so the cell stops whatever it
/// runs. A cell blocked in a child process (`os.execute("sleep 20")`, `io.popen`) runs no
/// Lua until the child ends: if the cell has not stopped after a grace period, the
/// process's descendants are killed. A lock and a generation number keep a late timer from
/// interrupting the next cell.
final class CellWatchdog: @unchecked Sendable {
    /// Seconds between the interrupt and killing child processes.
    static let grace = 0.5
    private let state: OpaquePointer
    private let lock = NSLock()
    private var generation = 0
    private var armed: Int? = nil
    private var fired = false

    init(state: OpaquePointer) { self.state = state }

    /// Starts the timer for one cell (no timer when `seconds` is nil).
    func arm(_ seconds: Double?) {
        lock.lock()
        generation += 1
        fired = false
        armed = seconds == nil ? nil : generation
        let g = generation
        lock.unlock()
        guard let seconds else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            guard fire(g) else { return }
            DispatchQueue.global().asyncAfter(deadline: .now() + CellWatchdog.grace) { [self] in
                killChildren(g)
            }
        }
    }

    /// Interrupts the cell of generation `g` if it still runs; true if it did.
    private func fire(_ g: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard armed == g else { return false }
        fired = true
        topiary_interrupt_sticky(state)
        return true
    }

    /// Kills the child processes while the cell of generation `g` is still running, until
    /// it stops (a child may have started more).
    private func killChildren(_ g: Int) {
        lock.lock()
        let running = armed == g
        lock.unlock()
        guard running else { return }
        ChildProcesses.killDescendants()
        DispatchQueue.global().asyncAfter(deadline: .now() + CellWatchdog.grace) { [self] in killChildren(g) }
    }

    /// Stops the timer; true if it fired. Clears the hooks and flag it set.
    func disarm() -> Bool {
        lock.lock()
        let f = fired
        armed = nil
        fired = false
        lock.unlock()
        if f {
            lua_sethook(state, nil, 0, 0)
            topiary_clear_interrupt()
        }
        return f
    }
}
