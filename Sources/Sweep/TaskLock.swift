import Foundation

/// The lock a running task holds on its folder (`flock` on `.lock`). `TaskLauncher` takes it
/// and hands a copy of its descriptor to the task's process (`Spawn.run`): the lock is held
/// as long as either holds it, so it lasts as long as the task runs even if the sweep that
/// started it is killed, and ends with the task however it ends.
final class TaskLock {
    let fd: Int32

    /// The lock, or nil when another process holds it. A file system without locks (some
    /// network mounts: ENOLCK, EOPNOTSUPP) runs the task unlocked, as before locks existed.
    init?(_ folder: TaskFolder) throws {
        let path = folder.path + "/.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SweepError("\(path): cannot open the task's lock: \(String(cString: strerror(errno)))") }
        // a held lock is tried for a tenth of a second: `sweep status` takes it for an instant
        var tries = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            guard errno == EWOULDBLOCK else { break }
            tries += 1
            if tries > 20 { close(fd); return nil }
            usleep(5000)
        }
    }

    /// Whether another process holds `folder`'s lock (its task is running).
    static func isHeld(_ folder: TaskFolder) -> Bool {
        let fd = open(folder.path + "/.lock", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { flock(fd, LOCK_UN); return false }
        return errno == EWOULDBLOCK
    }

    /// Closes this process's descriptor (no LOCK_UN: that would unlock the task's copy too);
    /// the lock ends when the task's copy is closed as well.
    func release() { close(fd) }
}
