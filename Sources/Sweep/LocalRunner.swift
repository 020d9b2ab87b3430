import Foundation

/// `topiary sweep run`: the grid's tasks on this machine, `jobs` at a time. Resumable:
/// tasks whose record says ok are skipped; failed and unfinished ones run again. A SIGINT
/// (Ctrl-C), SIGTERM or SIGHUP stops the running tasks, with what they started, and the
/// sweep (`Spawn.forwardSignals`); if the sweep is killed outright, its tasks stop themselves
/// (`TaskChild`).
public struct LocalRunner {
    /// Counts: `skipped` had finished before (or finished elsewhere meanwhile), `elsewhere`
    /// were running in another process (another `sweep run`, a Slurm task) and were left to it.
    public struct Progress: Sendable {
        public var total = 0, skipped = 0, ok = 0, failed = 0, running = 0, elsewhere = 0
        public var done: Int { skipped + ok + failed + elsewhere }
    }

    /// The outcome: how many ran, the failed tasks with their log paths, and the tasks left
    /// to another process. Every task finished ok when both lists are empty.
    public struct Summary: Sendable {
        public var progress: Progress
        public var failures: [(point: GridPoint, exitCode: Int32, log: String)]
        public var elsewhere: [GridPoint]
    }

    public let spec: SweepSpec
    public let launcher: TaskLauncher
    public let jobs: Int

    /// At most this many tasks run at once (`jobs` is capped to it).
    public static let maxJobs = Spawn.slots

    public init(spec: SweepSpec, launcher: TaskLauncher, jobs: Int) {
        self.spec = spec
        self.launcher = launcher
        self.jobs = min(max(1, jobs), Self.maxJobs)
    }

    /// The points that still need to run (resume: finished ones are left out).
    public static func pending(_ points: [GridPoint], out: String) throws -> [GridPoint] {
        try points.filter { try TaskState.of($0, out: out) != .ok }
    }

    /// What the worker threads share (under `lock`).
    final class Shared: @unchecked Sendable {
        let lock = NSLock()
        var progress: Progress
        var failures: [(point: GridPoint, exitCode: Int32, log: String)] = []
        var elsewhere: [GridPoint] = []
        var errors: [Error] = []
        var next = 0
        init(_ p: Progress) { progress = p }
    }

    /// Runs every pending point; `report` is called (serially) whenever a task starts or ends,
    /// with the point that just finished and what became of it.
    public func run(report: @escaping (Progress, GridPoint?, TaskLauncher.Outcome?) -> Void) throws -> Summary {
        let points = try Grid.expand(spec.grid, file: spec.file)
        let todo = try Self.pending(points, out: spec.out)
        let s = Shared(Progress(total: points.count, skipped: points.count - todo.count))
        let (spec, launcher) = (self.spec, self.launcher)
        report(s.progress, nil, nil)
        Spawn.forwardSignals()
        let group = DispatchGroup()
        for _ in 0..<min(jobs, todo.count) {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while true {
                    s.lock.lock()
                    guard s.next < todo.count, s.errors.isEmpty, Spawn.stopSignal == 0 else { s.lock.unlock(); return }
                    let point = todo[s.next]
                    s.next += 1
                    s.progress.running += 1
                    report(s.progress, nil, nil)
                    s.lock.unlock()
                    do {
                        let outcome = try launcher.run(spec, point)
                        s.lock.lock()
                        s.progress.running -= 1
                        switch outcome {
                        case .ran(let r):
                            if r.status == .ok { s.progress.ok += 1 } else {
                                s.progress.failed += 1
                                s.failures.append((point, r.exitCode, TaskFolder(out: spec.out, point: point).log))
                            }
                        case .finished: s.progress.skipped += 1
                        case .runningElsewhere:
                            s.progress.elsewhere += 1
                            s.elsewhere.append(point)
                        }
                        report(s.progress, point, outcome)
                        s.lock.unlock()
                    } catch {
                        s.lock.lock()
                        s.progress.running -= 1
                        s.errors.append(error)
                        s.lock.unlock()
                        return
                    }
                }
            }
        }
        group.wait()
        if Spawn.stopSignal != 0 {
            throw SweepError("stopped by signal \(Spawn.stopSignal) (\(Spawn.name(Spawn.stopSignal))): the running tasks were stopped; `sweep run` again resumes")
        }
        if let e = s.errors.first { throw e }
        return Summary(progress: s.progress, failures: s.failures.sorted { $0.point.index < $1.point.index },
                       elsewhere: s.elsewhere.sorted { $0.index < $1.index })
    }
}
