import Foundation
import Tensor
import Text

/// The array jobs a sweep submitted, in `OUT/.slurm/jobs.json` (oldest first).
public struct SubmittedJob: Equatable, Sendable {
    public var id: String
    public var indices: [Int]
    public var script: String

    static func folder(_ out: String) -> String { out + "/.slurm" }
    static func file(_ out: String) -> String { folder(out) + "/jobs.json" }

    public static func read(out: String) throws -> [SubmittedJob] {
        guard let data = FileManager.default.contents(atPath: file(out)) else { return [] }
        guard let j = try? JSON.parse(data), let jobs = j["jobs"]?.array else { throw SweepError("\(file(out)): not a list of submitted jobs") }
        return jobs.compactMap { j in
            guard let id = j["id"]?.string, let ix = j["indices"]?.string else { return nil }
            return SubmittedJob(id: id, indices: SlurmStatus.indices(ix), script: j["script"]?.string ?? "")
        }
    }

    static func write(_ jobs: [SubmittedJob], out: String) throws {
        let j = JSON.object([("jobs", .array(jobs.map { .object([("id", .string($0.id)), ("indices", .string(SlurmScript.ranges($0.indices))),
                                                                   ("script", .string($0.script))]) }))])
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

    /// Submits the points that are neither finished nor queued/running in an earlier job.
    /// Returns the new job's id and indices, or nil when there is nothing to submit.
    public static func submit(_ spec: SweepSpec, points: [GridPoint], options: SlurmOptions, executable: String) throws -> SubmittedJob? {
        let cwd = FileManager.default.currentDirectoryPath
        let abs = { (p: String) in p.hasPrefix("/") ? p : cwd + "/" + p }
        guard which("sbatch") != nil else {
            throw SweepError("sbatch is not on PATH: `sweep submit --slurm` needs Slurm's commands (on a machine without Slurm, use `topiary sweep run`)")
        }
        let jobs = try SubmittedJob.read(out: spec.out)
        let slurm = jobs.isEmpty ? [:] : try query(jobs)
        let status = try SweepStatus.compute(spec, points: points, slurm: slurm)
        let todo = status.filter { $0.needsSubmission }.map(\.point.index)
        guard !todo.isEmpty else { return nil }
        let folder = SubmittedJob.folder(spec.out)
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        catch { throw SweepError("\(folder): cannot create: \((error as NSError).localizedDescription)") }
        let text = try SlurmScript.text(indices: todo, options: options, jobName: "topiary-sweep",
                                        executable: executable, sweepFile: abs(spec.file), grid: spec.gridFingerprint(points),
                                        logs: abs(folder), workdir: cwd)
        let script = folder + "/submit-\(jobs.count + 1).sbatch"
        do { try AtomicFile.write(script, bytes: Array(text.utf8), op: "sweep submit") } catch { throw SweepError("\(error)") }
        let r = try command("sbatch", ["--parsable", script])
        let id = r.out.split(separator: "\n").first.map { String($0.split(separator: ";").first ?? "") } ?? ""
        guard r.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SweepError("sbatch \(script) failed (exit \(r.status)): \(r.err.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let job = SubmittedJob(id: id, indices: todo, script: script)
        try SubmittedJob.write(jobs + [job], out: spec.out)
        return job
    }
}
