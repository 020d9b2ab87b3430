import Foundation

/// Starting a task's process: standard output and error in a file, in a process group of
/// its own, holding its folder's lock, and tied to this process's life.
///
/// - The group: a SIGINT, SIGTERM or SIGHUP to this process (`forwardSignals`) is passed on
///   to each running task's whole group (the task and what it started, like
///   `os.execute("sleep 20")`) and stops the sweep; a second such signal kills the groups
///   (SIGKILL). Its own group also keeps a terminal's Ctrl-C from reaching the tasks twice:
///   it goes to the sweep, which passes it on. A SIGHUP that was ignored when the sweep
///   started (`nohup`) stays ignored.
/// - The lock: the task inherits the descriptor of its folder's `.lock`, so the lock lasts
///   as long as the task runs, whatever happens to this process (`TaskChild.adopt` keeps it
///   from the task's own children).
/// - Its life: the task inherits the read end of a pipe whose write end only this process
///   holds; when this process ends, even by SIGKILL, the task sees the pipe close and stops
///   its group (`TaskChild.adopt`), so no task runs on without its sweep.
enum Spawn {
    /// At most this many children are tracked for signals: `sweep run -j` is capped to it.
    static let slots = 256
    /// The running children's process groups (0: free slot), read by the signal handler.
    static let children: UnsafeMutablePointer<pid_t> = {
        let p = UnsafeMutablePointer<pid_t>.allocate(capacity: slots)
        p.initialize(repeating: 0, count: slots)
        return p
    }()
    /// The signal that asked the sweep to stop (0: none).
    nonisolated(unsafe) static var stopSignal: Int32 = 0
    static let slotLock = NSLock()

    /// The pipe each task watches (`TaskChild.adopt`): nobody writes to it, and the write
    /// end closes when this process ends. Both ends close on exec; a task gets a copy of the
    /// read end. Nil if no pipe could be made (the tasks then run unwatched). Made before
    /// the first task starts (`forwardSignals`, or the first `run`).
    static let lifeline: (read: Int32, write: Int32)? = {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }()

    /// The signal's name for messages: `SIGTERM`.
    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        case SIGKILL: "SIGKILL"
        default: "signal \(signal)"
        }
    }

    /// Installs the handlers that pass SIGINT, SIGTERM and SIGHUP on to the children's groups
    /// and stop the sweep (a second one sends SIGKILL). An ignored SIGHUP (`nohup`) is left ignored.
    static func forwardSignals() {
        _ = children   // made before any handler can read it
        _ = lifeline   // and before any task starts
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            if sig == SIGHUP {
                var old = sigaction()
                if sigaction(SIGHUP, nil, &old) == 0, unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == 1 { continue }   // SIG_IGN
            }
            signal(sig) { s in
                let again = Spawn.stopSignal != 0
                if !again { Spawn.stopSignal = s }
                let c = Spawn.children
                for i in 0..<Spawn.slots where c[i] > 0 { kill(-c[i], again ? SIGKILL : s) }
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

    /// Runs `executable args` with `environment` in a new process group, stdin from
    /// /dev/null and stdout/stderr to `output` (truncated); waits and returns the exit status
    /// (128 + signal if killed). `lock`, a descriptor holding a `flock`, is passed on as the
    /// child's descriptor named by TOPIARY_TASK_LOCK_FD; the lifeline's read end by
    /// TOPIARY_TASK_LIFELINE_FD.
    static func run(_ executable: String, _ args: [String], environment: [String: String], output: String, lock: Int32? = nil) throws -> Int32 {
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SweepError("\(output): cannot write the log: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // The child's descriptors 0, 1, 2, 3... are set in that order: each source is first
        // copied to 10 or above so that none is overwritten before it is copied.
        var env = environment
        var passed: [Int32] = []
        if let lock { env[TaskChild.lockVariable] = String(3 + passed.count); passed.append(lock) }
        if let lifeline { env[TaskChild.lifelineVariable] = String(3 + passed.count); passed.append(lifeline.read) }
        let high = ([fd] + passed).map { fcntl($0, F_DUPFD_CLOEXEC, 10) }
        defer { for h in high where h >= 0 { close(h) } }
        guard high.allSatisfy({ $0 >= 0 }) else { throw SweepError("cannot start \(executable): \(String(cString: strerror(errno)))") }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, high[0], 1)
        posix_spawn_file_actions_adddup2(&actions, high[0], 2)
        for (k, h) in high.dropFirst().enumerated() { posix_spawn_file_actions_adddup2(&actions, h, Int32(3 + k)) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, 0)   // a group of its own, named by its pid

        let argv = ([executable] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv { free(p) }; for p in envp { free(p) } }
        var pid: pid_t = 0
        guard stopSignal == 0 else { throw SweepError("stopped by \(name(stopSignal)) before \(executable) started") }
        let rc = posix_spawn(&pid, executable, &actions, &attr, argv, envp)
        guard rc == 0 else { throw SweepError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        let slot = track(pid)
        defer { untrack(slot) }
        if stopSignal != 0 { kill(-pid, stopSignal) }   // the signal came between the check and the spawn
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw SweepError("waiting for \(executable): \(String(cString: strerror(errno)))") }
        }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}
