import Foundation

/// The lock `sweep submit` holds on `OUT/.slurm/submit.lock` (`flock`) from reading
/// `jobs.json` to writing it back: two submissions of one sweep take turns, so the second
/// sees the first's job instead of submitting the same tasks again and overwriting its record.
final class SubmitLock {
    let fd: Int32

    /// Takes the lock, waiting for another submission that holds it (`waiting` is called
    /// first, once). A file system without locks (ENOLCK, EOPNOTSUPP) goes on unlocked.
    init(folder: String, waiting: () -> Void) throws {
        let path = folder + "/submit.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SweepError("\(path): cannot open the submission lock: \(String(cString: strerror(errno)))") }
        var told = false
        while flock(fd, LOCK_EX | (told ? 0 : LOCK_NB)) != 0 {
            if errno == EINTR { continue }
            guard errno == EWOULDBLOCK, !told else { break }
            waiting()
            told = true
        }
    }

    deinit { close(fd) }
}
