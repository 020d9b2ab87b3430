import Foundation

/// Where one task stands, from its folder and from Slurm.
public struct TaskStatus: Sendable {
    public let point: GridPoint
    /// ok, failed, missing, or Slurm's state (PENDING, RUNNING, ...) for a queued task.
    public let state: String
    /// Why it failed, for failed tasks: `exit 1`, `Slurm: TIMEOUT`.
    public let detail: String?
    /// The log to read: the task's log.txt, or Slurm's log when the task never wrote one.
    public let log: String?

    /// Neither finished nor queued or running.
    public var needsSubmission: Bool { state == "failed" || state == "missing" }
}

public enum SweepStatus {
    /// Each point's status. A finished record wins; then a queued or running Slurm task;
    /// then a failed record; then a Slurm task that ended without a record (killed,
    /// timed out: failed, with Slurm's log); then a task a local sweep is running (its
    /// folder's lock is held: RUNNING); else missing.
    public static func compute(_ spec: SweepSpec, points: [GridPoint], slurm: [Int: SlurmTaskState]) throws -> [TaskStatus] {
        try points.map { p in
            let folder = TaskFolder(out: spec.out, point: p)
            let local = try TaskState.of(p, out: spec.out)
            let s = slurm[p.index]
            if local == .ok { return TaskStatus(point: p, state: "ok", detail: nil, log: folder.log) }
            if let s, s.isActive { return TaskStatus(point: p, state: s.state, detail: "job \(s.job)_\(p.index)", log: nil) }
            if case .failed(let code) = local { return TaskStatus(point: p, state: "failed", detail: "exit \(code)", log: folder.log) }
            if let s {
                let log = SubmittedJob.folder(spec.out) + "/\(s.job)_\(p.index).log"
                return TaskStatus(point: p, state: "failed", detail: "Slurm: \(s.state) (exit \(s.exitCode)), no task record", log: log)
            }
            if TaskLock.isHeld(folder) { return TaskStatus(point: p, state: "RUNNING", detail: "here", log: folder.log) }
            return TaskStatus(point: p, state: "missing", detail: nil, log: nil)
        }
    }

    /// Counts by state, in a fixed order: `12 tasks: 9 ok, 1 failed, 2 PENDING`.
    public static func summary(_ status: [TaskStatus]) -> String {
        var counts: [String: Int] = [:]
        for s in status { counts[s.state, default: 0] += 1 }
        let order = ["ok", "failed", "RUNNING", "PENDING", "missing"]
        let keys = order.filter { counts[$0] != nil } + counts.keys.filter { !order.contains($0) }.sorted()
        return "\(status.count) tasks: " + keys.map { "\(counts[$0]!) \($0)" }.joined(separator: ", ")
    }
}
