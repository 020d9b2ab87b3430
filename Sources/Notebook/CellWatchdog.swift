import CLua
import CLuaShim
import Dispatch
import Foundation

/// Interrupts a cell that runs past its timeout. A timer on another thread calls
/// `topiary_interrupt`, which only arms a Lua hook and sets the flag native kernels poll
/// (both async-safe); the hook raises "interrupted!" in the running Lua code. A lock and a
/// generation number keep a late timer from interrupting the next cell.
final class CellWatchdog: @unchecked Sendable {
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
            lock.lock()
            defer { lock.unlock() }
            if armed == g {
                fired = true
                topiary_interrupt(state)
            }
        }
    }

    /// Stops the timer; true if it fired. Clears a hook and flag that fired too late to
    /// stop anything.
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
