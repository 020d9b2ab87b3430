import Foundation

/// The task's side of `Spawn.run`: what a `topiary` process started by a sweep does first.
public enum TaskChild {
    /// Names the inherited descriptor of the task folder's lock.
    static let lockVariable = "TOPIARY_TASK_LOCK_FD"
    /// Names the inherited read end of the sweep's lifeline pipe.
    static let lifelineVariable = "TOPIARY_TASK_LIFELINE_FD"

    /// Call once at start, before anything starts a child process. When this process is a
    /// sweep's task: the lock's descriptor is kept from the task's own children (the lock
    /// lasts as long as this process, not as long as a command it left behind), and a
    /// thread watches the lifeline: once the sweep that started this task has ended (the
    /// pipe reads end-of-file), it sends SIGTERM to this task's process group. Both
    /// variables are removed from the environment. Does nothing in other processes.
    public static func adopt() {
        if let fd = take(lockVariable) { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        guard let fd = take(lifelineVariable) else { return }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        Thread.detachNewThread {
            var byte: UInt8 = 0
            while true {
                let n = read(fd, &byte, 1)
                if n == 0 { break }                        // the sweep has ended
                if n < 0 && errno != EINTR { return }      // not a pipe we can watch
            }
            kill(0, SIGTERM)   // this task's group: the task and what it started
        }
    }

    /// The descriptor a variable names, if it is open; the variable is removed.
    static func take(_ name: String) -> Int32? {
        guard let s = getenv(name).map({ String(cString: $0) }) else { return nil }
        unsetenv(name)
        guard let fd = Int32(s), fd > 2, fcntl(fd, F_GETFD) >= 0 else { return nil }
        return fd
    }
}
