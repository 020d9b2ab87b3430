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

    /// What became of a task `run` was asked to run.
    public enum Outcome {
        /// It ran (ok or failed): its new record.
        case ran(TaskRecord)
        /// Its record says it finished ok (it may have finished elsewhere while this process
        /// waited for its lock): not run again.
        case finished
        /// Another process holds its folder's lock: the task is running there, and is left to it.
        case runningElsewhere
    }

    /// Runs `point` unless its record says it finished; a failed or unfinished task's old
    /// record and report are removed first. The task's process holds a lock on its folder's
    /// `.lock` while it runs (`TaskLock`: released however the process ends, and held even if
    /// this process is killed first), so two sweeps over one grid never run a task twice at
    /// once: a task whose lock another process holds is `runningElsewhere`.
    public func run(_ spec: SweepSpec, _ point: GridPoint, slurmJob: String? = nil) throws -> Outcome {
        if try TaskState.of(point, out: spec.out) == .ok { return .finished }
        let folder = TaskFolder(out: spec.out, point: point)
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: folder.path, withIntermediateDirectories: true) }
        catch { throw SweepError("\(folder.path): cannot create the task folder: \((error as NSError).localizedDescription)") }
        guard let lock = try TaskLock(folder) else { return .runningElsewhere }
        defer { lock.release() }
        if try TaskState.of(point, out: spec.out) == .ok { return .finished }   // finished while we waited for the lock
        unlink(folder.record)
        unlink(folder.report)
        var env = ProcessInfo.processInfo.environment
        env["TOPIARY_REPORT"] = absolute(folder.report)
        env["TOPIARY_TASK_DIR"] = absolute(folder.path)
        if let threads, env["TOPIARY_THREADS"] == nil { env["TOPIARY_THREADS"] = String(threads) }
        let start = Date()
        let code = try Spawn.run(executable, Self.arguments(spec, point), environment: env, output: folder.log, lock: lock.fd)
        let record = TaskRecord(point: point, report: TaskRecord.readReport(folder), status: code == 0 ? .ok : .failed,
                                exitCode: code, seconds: Date().timeIntervalSince(start), slurmJob: slurmJob)
        try record.write(folder)
        return .ran(record)
    }

    func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
