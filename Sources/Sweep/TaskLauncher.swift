import Foundation

/// Runs one grid point: `topiary notebook run --out=FOLDER -p name=value ... -- NB` as a child
/// process with its output in the folder's `log.txt`, then writes `task.json`.
public struct TaskLauncher: Sendable {
    /// The `topiary` binary the tasks run (this process's own executable).
    public var executable: String
    /// TOPIARY_THREADS for each task, unless the environment already sets it.
    public var threads: Int?

    public init(executable: String, threads: Int? = nil) {
        self.executable = executable
        self.threads = threads
    }

    /// The command line of `point`'s notebook run (without the executable). The folder is
    /// joined to its option (`--out=DIR`) and the notebook comes after `--`, so paths that
    /// start with `-` are not read as options.
    public static func arguments(_ spec: SweepSpec, _ point: GridPoint) -> [String] {
        var args = ["notebook", "run", "--out=" + TaskFolder(out: spec.out, point: point).path]
        for p in point.params { args += ["-p", "\(p.name)=\(p.value.luaLiteral)"] }
        if let t = spec.timeout { args += ["--timeout", String(t)] }
        return args + ["--", spec.notebook]
    }

    /// Runs `point` unless its record says it finished; a failed or unfinished task's old
    /// record and report are removed first. Returns the new record, or nil if it was done or
    /// another process is running it: the task holds a lock on its folder's `.lock` while it
    /// runs (released however the process ends), so two sweeps over one grid never run a
    /// task twice at once.
    public func run(_ spec: SweepSpec, _ point: GridPoint, slurmJob: String? = nil) throws -> TaskRecord? {
        if try TaskState.of(point, out: spec.out) == .ok { return nil }
        let folder = TaskFolder(out: spec.out, point: point)
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: folder.path, withIntermediateDirectories: true) }
        catch { throw SweepError("\(folder.path): cannot create the task folder: \((error as NSError).localizedDescription)") }
        guard let lock = try TaskLock(folder) else { return nil }
        defer { lock.release() }
        if try TaskState.of(point, out: spec.out) == .ok { return nil }   // finished while we waited for the lock
        unlink(folder.record)
        unlink(folder.report)
        var env = ProcessInfo.processInfo.environment
        env["TOPIARY_REPORT"] = absolute(folder.report)
        env["TOPIARY_TASK_DIR"] = absolute(folder.path)
        if let threads, env["TOPIARY_THREADS"] == nil { env["TOPIARY_THREADS"] = String(threads) }
        let start = Date()
        let code = try Spawn.run(executable, Self.arguments(spec, point), environment: env, output: folder.log)
        let record = TaskRecord(point: point, report: TaskRecord.readReport(folder), status: code == 0 ? .ok : .failed,
                                exitCode: code, seconds: Date().timeIntervalSince(start), slurmJob: slurmJob)
        try record.write(folder)
        return record
    }

    func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

/// The lock a running task holds on its folder (`flock` on `.lock`).
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

    func release() { flock(fd, LOCK_UN); close(fd) }
}

/// Starting a child process with its standard output and error in a file. A SIGTERM or
/// SIGHUP to this process (`forwardSignals`) is passed on to the running children and stops
/// the sweep: killing `sweep run` leaves no task running on.
enum Spawn {
    /// The running children's pids (0: free slot), read by the signal handler.
    static let children: UnsafeMutablePointer<pid_t> = {
        let p = UnsafeMutablePointer<pid_t>.allocate(capacity: slots)
        p.initialize(repeating: 0, count: slots)
        return p
    }()
    static let slots = 256   // the handler's loop bound too
    /// The signal that asked the sweep to stop (0: none).
    nonisolated(unsafe) static var stopSignal: Int32 = 0
    static let slotLock = NSLock()

    /// Installs the handlers that pass SIGTERM and SIGHUP on to the children and stop the sweep.
    static func forwardSignals() {
        _ = children   // made before any handler can read it
        for sig in [SIGTERM, SIGHUP] {
            signal(sig) { s in
                Spawn.stopSignal = s
                let c = Spawn.children
                for i in 0..<256 where c[i] > 0 { kill(c[i], s) }
            }
        }
    }

    static func track(_ pid: pid_t) -> Int? {
        slotLock.lock(); defer { slotLock.unlock() }
        guard let i = (0..<slots).first(where: { children[$0] == 0 }) else { return nil }
        children[i] = pid
        return i
    }

    static func untrack(_ slot: Int?) {
        guard let slot else { return }
        slotLock.lock(); children[slot] = 0; slotLock.unlock()
    }

    /// Runs `executable args` with `environment`, stdin from /dev/null and stdout/stderr
    /// to `output` (truncated); waits and returns the exit status (128 + signal if killed).
    static func run(_ executable: String, _ args: [String], environment: [String: String], output: String) throws -> Int32 {
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SweepError("\(output): cannot write the log: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fd, 1)
        posix_spawn_file_actions_adddup2(&actions, fd, 2)
        let argv = ([executable] + args).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv { free(p) }; for p in envp { free(p) } }
        var pid: pid_t = 0
        guard stopSignal == 0 else { throw SweepError("stopped by signal \(stopSignal) before \(executable) started") }
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard rc == 0 else { throw SweepError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        let slot = track(pid)
        defer { untrack(slot) }
        if stopSignal != 0 { kill(pid, stopSignal) }   // the signal came between the check and the spawn
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw SweepError("waiting for \(executable): \(String(cString: strerror(errno)))") }
        }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}
