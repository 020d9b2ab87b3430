import Foundation

/// The state Slurm gives one array task.
public struct SlurmTaskState: Equatable, Sendable {
    /// The array job's id (the number sbatch printed).
    public var job: String
    public var index: Int
    /// PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
    public var state: String
    /// `exit:signal` as Slurm writes it.
    public var exitCode: String

    public init(job: String, index: Int, state: String, exitCode: String = "0:0") {
        self.job = job; self.index = index; self.state = state; self.exitCode = exitCode
    }

    static let active: Set<String> = ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED",
                                      "REQUEUE_HOLD", "REQUEUE_FED", "SIGNALING", "STAGE_OUT", "STOPPED"]
    /// Queued or running: not to be submitted again.
    public var isActive: Bool { Self.active.contains(state) }
}

/// Parsing what Slurm's commands print about array jobs.
public enum SlurmStatus {
    /// The indices of an ArrayTaskId: `7`, `2-5%2`, `1,3,5-9:2`, `[0-3]`.
    public static func indices(_ spec: String) -> [Int] {
        var s = Substring(spec)
        if let pct = s.firstIndex(of: "%") { s = s[..<pct] }
        s = s.drop { $0 == "[" }
        if s.last == "]" { s = s.dropLast() }
        var out: [Int] = []
        for part in s.split(separator: ",") {
            var step = 1
            var range = part
            if let colon = part.firstIndex(of: ":") {
                step = Int(part[part.index(after: colon)...]) ?? 1
                range = part[..<colon]
            }
            let ends = range.split(separator: "-", maxSplits: 1)
            guard let a = ends.first.flatMap({ Int($0) }) else { continue }
            let b = ends.count == 2 ? Int(ends[1]) ?? a : a
            guard b >= a, step >= 1, b - a <= Grid.maxPoints else { continue }
            out += Array(stride(from: a, through: b, by: step))
        }
        return out
    }

    /// `scontrol -o show job ID`: one line per job record; an array's pending remainder is one
    /// record with a range in ArrayTaskId. Records of other jobs are ignored.
    public static func parseScontrol(_ text: String, job: String) -> [SlurmTaskState] {
        var out: [SlurmTaskState] = []
        for line in text.split(separator: "\n") {
            var f: [Substring: Substring] = [:]
            for token in line.split(separator: " ") {
                guard let eq = token.firstIndex(of: "=") else { continue }
                let key = token[..<eq]
                if f[key] == nil { f[key] = token[token.index(after: eq)...] }
            }
            guard let array = f["ArrayJobId"], array == job, let tasks = f["ArrayTaskId"], let state = f["JobState"] else { continue }
            for i in indices(String(tasks)) {
                out.append(SlurmTaskState(job: job, index: i, state: String(state), exitCode: String(f["ExitCode"] ?? "0:0")))
            }
        }
        return out
    }

    /// `sacct -n -P -X -j ID -o JobID,State,ExitCode`: `ID_4|COMPLETED|0:0`,
    /// `ID_[5-7%2]|PENDING|0:0`, `ID_2|CANCELLED by 0|0:0`.
    public static func parseSacct(_ text: String, job: String) -> [SlurmTaskState] {
        var out: [SlurmTaskState] = []
        for line in text.split(separator: "\n") {
            let cols = line.split(separator: "|", omittingEmptySubsequences: false)
            guard cols.count >= 3, cols[0].hasPrefix(job + "_") else { continue }
            let state = String(cols[1].split(separator: " ").first ?? "")
            for i in indices(String(cols[0].dropFirst(job.count + 1))) {
                out.append(SlurmTaskState(job: job, index: i, state: state, exitCode: String(cols[2])))
            }
        }
        return out
    }
}
