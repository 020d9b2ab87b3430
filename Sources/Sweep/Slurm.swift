import Foundation
import Tensor
import Text

/// The array jobs a sweep submitted, in `OUT/.slurm/jobs.json` (oldest first).
public struct SubmittedJob: Equatable, Sendable {
    public var id: String
    public var indices: [Int]
    public var script: String
    /// The grid's fingerprint when the job was submitted (`SweepSpec.gridFingerprint`): its
    /// indices name points of that grid only. Nil for a record that has none.
    public var grid: String?

    public init(id: String, indices: [Int], script: String, grid: String?) {
        self.id = id; self.indices = indices; self.script = script; self.grid = grid
    }

    static func folder(_ out: String) -> String { out + "/.slurm" }
    static func file(_ out: String) -> String { folder(out) + "/jobs.json" }

    /// Every job recorded under `out`. A record without `grid` (written before jobs kept it)
    /// takes the fingerprint its script passes to `sweep task --grid`.
    public static func read(out: String) throws -> [SubmittedJob] {
        guard let data = FileManager.default.contents(atPath: file(out)) else { return [] }
        guard let j = try? JSON.parse(data), let jobs = j["jobs"]?.array else { throw SweepError("\(file(out)): not a list of submitted jobs") }
        return jobs.compactMap { j in
            guard let id = j["id"]?.string, let ix = j["indices"]?.string else { return nil }
            let script = j["script"]?.string ?? ""
            return SubmittedJob(id: id, indices: SlurmStatus.indices(ix), script: script, grid: j["grid"]?.string ?? scriptGrid(script))
        }
    }

    /// The jobs submitted for the grid with fingerprint `grid`, oldest first; jobs whose grid
    /// is unknown are kept.
    public static func of(_ jobs: [SubmittedJob], grid: String) -> [SubmittedJob] {
        jobs.filter { $0.grid == nil || $0.grid == grid }
    }

    /// The `--grid` fingerprint in a job script (nil if it cannot be read).
    static func scriptGrid(_ script: String) -> String? {
        guard !script.isEmpty, let data = FileManager.default.contents(atPath: script),
              let r = String(decoding: data, as: UTF8.self).range(of: " --grid ") else { return nil }
        let hex = String(decoding: data, as: UTF8.self)[r.upperBound...].prefix { $0.isHexDigit }
        return hex.isEmpty ? nil : String(hex)
    }

    static func write(_ jobs: [SubmittedJob], out: String) throws {
        let j = JSON.object([("jobs", .array(jobs.map { job in
            var o: [(String, JSON)] = [("id", .string(job.id)), ("indices", .string(SlurmScript.ranges(job.indices))), ("script", .string(job.script))]
            if let g = job.grid { o.append(("grid", .string(g))) }
            return .object(o)
        }))])
        do { try AtomicFile.write(file(out), bytes: Array((j.indented(2) + "\n").utf8), op: "sweep submit") }
        catch { throw SweepError("\(error)") }
    }
}

/// Talking to Slurm through its commands (sbatch, scontrol, sacct).
public enum Slurm {
    /// The path of `name` on PATH.
    public static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if access(p, X_OK) == 0 { return p }
        }
        return nil
    }

    /// Runs a command; returns its exit status, standard output and standard error.
    static func command(_ name: String, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
        guard let exe = which(name) else {
            throw SweepError("\(name) is not on PATH: Slurm's commands are needed for this (on a machine without Slurm, run the sweep with `topiary sweep run`)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { throw SweepError("cannot start \(exe): \(error)") }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// What Slurm says about the tasks of `jobs`, by grid index; for an index in several
    /// jobs the latest job's word counts. scontrol first; sacct for jobs scontrol has forgotten.
    public static func query(_ jobs: [SubmittedJob]) throws -> [Int: SlurmTaskState] {
        var states: [Int: SlurmTaskState] = [:]
        for job in jobs {
            var found: [SlurmTaskState] = []
            let r = try command("scontrol", ["-o", "show", "job", job.id])
            if r.status == 0 { found = SlurmStatus.parseScontrol(r.out, job: job.id) }
            if found.isEmpty, which("sacct") != nil {
                let a = try command("sacct", ["-n", "-P", "-X", "-j", job.id, "-o", "JobID,State,ExitCode"])
                if a.status == 0 { found = SlurmStatus.parseSacct(a.out, job: job.id) }
            }
            for s in found where job.indices.contains(s.index) { states[s.index] = s }
        }
        return states
    }

    /// Submits the points that are neither finished nor queued/running in an earlier job of
    /// the same grid (jobs of an earlier grid are ignored: their indices name other points).
    /// Returns the new job's id and indices, or nil when there is nothing to submit. Two
    /// submissions of one sweep take turns (`SubmitLock`); `waiting` is called when this one
    /// has to wait for another.
    public static func submit(_ spec: SweepSpec, points: [GridPoint], options: SlurmOptions, executable: String,
                              waiting: () -> Void = {}) throws -> SubmittedJob? {
        let cwd = FileManager.default.currentDirectoryPath
        let abs = { (p: String) in p.hasPrefix("/") ? p : cwd + "/" + p }
        guard which("sbatch") != nil else {
            throw SweepError("sbatch is not on PATH: `sweep submit --slurm` needs Slurm's commands (on a machine without Slurm, use `topiary sweep run`)")
        }
        let folder = SubmittedJob.folder(spec.out)
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        catch { throw SweepError("\(folder): cannot create: \((error as NSError).localizedDescription)") }
        let lock = try SubmitLock(folder: folder, waiting: waiting)
        defer { withExtendedLifetime(lock) {} }
        let jobs = try SubmittedJob.read(out: spec.out)
        let grid = spec.gridFingerprint(points)
        let current = SubmittedJob.of(jobs, grid: grid)   // an earlier grid's indices name other points
        let slurm = current.isEmpty ? [:] : try query(current)
        let status = try SweepStatus.compute(spec, points: points, slurm: slurm)
        let todo = status.filter { $0.needsSubmission }.map(\.point.index)
        guard !todo.isEmpty else { return nil }
        let text = try SlurmScript.text(indices: todo, options: options, jobName: "topiary-sweep",
                                        executable: executable, sweepFile: abs(spec.file), grid: grid,
                                        logs: abs(folder), workdir: cwd)
        let script = folder + "/submit-\(jobs.count + 1).sbatch"
        do { try AtomicFile.write(script, bytes: Array(text.utf8), op: "sweep submit") } catch { throw SweepError("\(error)") }
        let r = try command("sbatch", ["--parsable", script])
        let id = r.out.split(separator: "\n").first.map { String($0.split(separator: ";").first ?? "") } ?? ""
        guard r.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SweepError("sbatch \(script) failed (exit \(r.status)): \(r.err.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let job = SubmittedJob(id: id, indices: todo, script: script, grid: grid)
        try SubmittedJob.write(jobs + [job], out: spec.out)
        return job
    }
}
