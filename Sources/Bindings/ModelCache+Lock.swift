import Foundation
import LuaHost
import Tensor

extension ModelCache {
    /// An exclusive lock on one cache entry (`flock` on a hidden `.NAME.lock` beside it), held
    /// while a process reads or trains it: sweep tasks that start together with an empty cache
    /// train the network once — the others wait, then read the file the first one wrote.
    final class Lock {
        /// Entries this process holds: asking again from inside the training function would
        /// wait for itself.
        nonisolated(unsafe) private static var held: Set<FilePath> = []
        private let entry: FilePath
        private var fd: Int32 = -1

        /// Takes the lock of `entry`, calling `waiting` once if another process holds it, and
        /// polling Ctrl-C while it waits. Where no lock file can be made (a read-only cache
        /// directory) it goes on unlocked: reading needs no lock, and training will say
        /// why it cannot write.
        init(_ entry: FilePath, waiting: () -> Void) throws {
            self.entry = entry
            guard !Lock.held.contains(entry) else {
                throw LuaError.message("train.cached: the training function asked for the network it is training (\(entry)); it would wait for itself")
            }
            let lockPath = entry.parent + ("." + String(decoding: entry.lastComponent, as: UTF8.self) + ".lock")
            fd = lockPath.withCString { open($0, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
            guard fd >= 0 else { return }
            var told = false
            while flock(fd, LOCK_EX | LOCK_NB) != 0 {
                guard errno == EWOULDBLOCK || errno == EINTR else { close(fd); fd = -1; return }
                if !told { waiting(); told = true }
                do { try Interrupt.check("train.cached") } catch { close(fd); fd = -1; throw error }
                usleep(100_000)
            }
            Lock.held.insert(entry)
        }

        /// Releases the lock (the lock file stays, empty, for the next process).
        func release() {
            guard fd >= 0 else { return }
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
            Lock.held.remove(entry)
        }

        deinit { release() }
    }
}
