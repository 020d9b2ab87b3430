import Foundation

/// Where a sweep stands, as `sweep status` and `sweep collect` show it: each task's status
/// from its folder and from Slurm's word on the jobs submitted for this grid.
public struct SweepOverview {
    public var tasks: [TaskStatus]
    /// The jobs submitted for this grid, oldest first (jobs of an earlier grid are left out).
    public var jobs: [SubmittedJob]
    /// What was left out, and why: jobs of an earlier grid; Slurm's view when `scontrol` is
    /// missing (the states are then the task folders' own).
    public var notes: [String]

    /// The overview of `points`. Jobs recorded for another grid fingerprint are ignored, since
    /// their indices name other points now. Without `scontrol` on PATH, the tasks' folders
    /// alone say where they stand, with a note.
    public static func gather(_ spec: SweepSpec, points: [GridPoint]) throws -> SweepOverview {
        let all = try SubmittedJob.read(out: spec.out)
        let jobs = SubmittedJob.of(all, grid: spec.gridFingerprint(points))
        var notes: [String] = []
        let earlier = all.filter { job in !jobs.contains { $0.id == job.id } }.map(\.id)
        if !earlier.isEmpty {
            notes.append("Slurm job\(earlier.count == 1 ? "" : "s") \(earlier.joined(separator: ", ")) \(earlier.count == 1 ? "was" : "were") submitted for an earlier grid (the sweep's grid, notebook or out changed since): left out, their indices name other points now")
        }
        var slurm: [Int: SlurmTaskState] = [:]
        if !jobs.isEmpty {
            if Slurm.which("scontrol") == nil {
                notes.append("scontrol is not on PATH, so Slurm's word on job\(jobs.count == 1 ? "" : "s") \(jobs.map(\.id).joined(separator: ", ")) is left out: the states are the task folders' own (queued tasks show as missing)")
            } else {
                slurm = try Slurm.query(jobs)
            }
        }
        return SweepOverview(tasks: try SweepStatus.compute(spec, points: points, slurm: slurm), jobs: jobs, notes: notes)
    }
}
