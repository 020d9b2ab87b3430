import Foundation

/// Runs one grid point: `topiary notebook run NB --out FOLDER -p name=value ...` as a child
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

    /// The command line of `point`'s notebook run (without the executable).
    public static func arguments(_ spec: SweepSpec, _ point: GridPoint) -> [String] {
        var args = ["notebook", "run", spec.notebook, "--out", TaskFolder(out: spec.out, point: point).path]
        for p in point.params { args += ["-p", "\(p.name)=\(p.value.luaLiteral)"] }
        if let t = spec.timeout { args += ["--timeout", String(t)] }
        return args
    }

    /// Runs `point` unless its record says it finished; a failed or unfinished task's old
    /// record and report are removed first. Returns the new record, or nil if it was done.
    public func run(_ spec: SweepSpec, _ point: GridPoint, slurmJob: String? = nil) throws -> TaskRecord? {
        if try TaskState.of(point, out: spec.out) == .ok { return nil }
        let folder = TaskFolder(out: spec.out, point: point)
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: folder.path, withIntermediateDirectories: true) }
        catch { throw SweepError("\(folder.path): cannot create the task folder: \((error as NSError).localizedDescription)") }
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

/// Starting a child process with its standard output and error in a file.
enum Spawn {
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
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard rc == 0 else { throw SweepError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw SweepError("waiting for \(executable): \(String(cString: strerror(errno)))") }
        }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}
