import ArgumentParser
import Foundation
import Sweep

/// `topiary sweep run|submit|status|task|collect`: a notebook over a parameter grid.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a notebook over a parameter grid: on local cores or as a Slurm job array, then collect the results.",
        discussion: """
        A sweep file is Lua calling sweep{notebook = "nb.lua", grid = {name = {values...}, ...}, out = "runs/x"}.

        Task i is point i of the grid: parameter names sorted, the last one varying fastest, \
        each name's values in the order listed. Each task runs `topiary notebook run nb.lua -p name=value ...` \
        with its outputs, log.txt and task.json (parameters, reported values, status) in \
        OUT/name=value,.../. Notebooks report results with report{top1 = ..., macs = ...}.
        """,
        subcommands: [SweepRun.self, SweepSubmit.self, SweepStatusCommand.self, SweepTask.self, SweepCollect.self])
}

/// This process's executable, which tasks run.
func ownExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// The sweep file every sweep subcommand takes, and its loading: an error ends the
/// process with `sweep: …`.
struct SweepFileArgument: ParsableArguments {
    @Argument(help: "The sweep file (.lua).") var file: String

    func spec() -> SweepSpec {
        do { return try SweepFile.load(file) } catch { fail(error, "sweep") }
    }

    /// The sweep and its grid points.
    func grid() -> (SweepSpec, [GridPoint]) {
        let s = spec()
        do { return (s, try Grid.expand(s.grid, file: s.file)) } catch { fail(error, "sweep") }
    }
}

struct SweepRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the sweep's tasks on this machine; finished tasks are skipped, failed ones run again.",
        discussion: """
        Exits 0 when every task has finished ok; 1 when a task failed, or when tasks were running in \
        another process (another `sweep run`, a Slurm task: their folders' locks are held), which are \
        left to it and listed.

        Ctrl-C (SIGINT), SIGTERM or SIGHUP stops the running tasks, with the commands they started, \
        and the sweep; a second one kills them outright. A task whose sweep was killed (SIGKILL) stops \
        itself. `sweep run` again resumes.
        """)

    @OptionGroup var sweep: SweepFileArgument
    @Option(name: .customShort("j"), help: "Tasks at once (default 1, at most \(LocalRunner.maxJobs)).") var jobs = 1

    func validate() throws {
        if jobs < 1 { throw ValidationError("-j must be at least 1") }
        if jobs > LocalRunner.maxJobs { throw ValidationError("-j must be at most \(LocalRunner.maxJobs)") }
    }

    func run() throws {
        let spec = sweep.spec()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let launcher = TaskLauncher(executable: ownExecutable(), threads: max(1, cores / jobs))
        let tty = isatty(2) != 0
        let start = Date()
        let summary: LocalRunner.Summary
        do {
            summary = try LocalRunner(spec: spec, launcher: launcher, jobs: jobs).run { p, point, outcome in
                var line = String(format: "sweep: [%d/%d] %d ok, %d failed, %d running, %d finished before",
                                  p.done, p.total, p.ok, p.failed, p.running, p.skipped)
                if p.elsewhere > 0 { line += ", \(p.elsewhere) running elsewhere" }
                line += String(format: " (%.0f s)", Date().timeIntervalSince(start))
                switch (point, outcome) {
                case let (point?, .ran(record)?): line += "; \(point.name): \(record.status.rawValue)"
                case let (point?, .runningElsewhere?): line += "; \(point.name): running in another process"
                default: break
                }
                if tty { FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8)) }
                else if point != nil || p.done == 0 && p.running == 0 { noteLine(line) }
            }
        } catch { if tty { noteLine("") }; fail(error, "sweep") }
        if tty { noteLine("") }
        let p = summary.progress
        var counts = "\(p.ok) ran ok, \(p.failed) failed, \(p.skipped) had finished before"
        if p.elsewhere > 0 { counts += ", \(p.elsewhere) running in another process" }
        noteLine("sweep: \(p.total) tasks: \(counts); results in \(spec.out)/")
        if !summary.failures.isEmpty {
            noteLine("sweep: failed tasks (they run again next time):")
            for f in summary.failures { noteLine("  \(f.point.index) \(f.point.name): exit \(f.exitCode), log \(f.log)") }
        }
        if !summary.elsewhere.isEmpty {
            noteLine("sweep: tasks running in another process (their folders' locks are held), left to it; `topiary sweep status \(sweep.file)` follows them, `sweep run` again runs any that failed:")
            for e in summary.elsewhere { noteLine("  \(e.index) \(e.name)") }
        }
        if !summary.failures.isEmpty || !summary.elsewhere.isEmpty { throw ExitCode(1) }
    }
}

struct SweepSubmit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit the unfinished tasks as one Slurm job array (sbatch); prints the job id.",
        discussion: "Tasks that finished, or that an earlier submission still has queued or running, are left out.")

    @OptionGroup var sweep: SweepFileArgument
    @Flag(help: "Submit to Slurm (the only scheduler so far).") var slurm = false
    @Option(help: "Slurm partition.") var partition: String?
    @Option(help: "Time limit per task (Slurm's format, e.g. 30:00 or 1-00:00:00).") var time: String?
    @Option(help: "CPUs per task (also TOPIARY_THREADS).") var cpus: Int?
    @Option(help: "Memory per task (e.g. 4G).") var mem: String?
    @Option(help: "At most this many tasks at once (--array=...%max).") var max: Int?

    func validate() throws { if !slurm { throw ValidationError("choose the scheduler: --slurm") } }

    func run() throws {
        let (spec, points) = sweep.grid()
        var o = spec.slurm
        if let partition { o.partition = partition }
        if let time { o.time = time }
        if let cpus { o.cpus = cpus }
        if let mem { o.mem = mem }
        if let max { o.maxRunning = max }
        do {
            let waiting = { noteLine("sweep: another `sweep submit` of \(spec.out) is under way; waiting for it to finish") }
            guard let job = try Slurm.submit(spec, points: points, options: o, executable: ownExecutable(), waiting: waiting) else {
                noteLine("sweep: nothing to submit: every task of \(spec.out) has finished or is queued (see `topiary sweep status \(sweep.file)`)")
                return
            }
            noteLine("sweep: submitted \(job.indices.count) of \(points.count) tasks as Slurm job \(job.id) (script \(job.script))")
            print(job.id)
        } catch { fail(error, "sweep") }
    }
}

struct SweepStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Each task's state, from its folder and from Slurm (scontrol; sacct for jobs scontrol has forgotten).")

    @OptionGroup var sweep: SweepFileArgument
    @Flag(help: "List every task, not only those that are not ok.") var all = false

    func run() throws {
        let (spec, points) = sweep.grid()
        do {
            let overview = try SweepOverview.gather(spec, points: points)
            let jobs = overview.jobs
            for note in overview.notes { noteLine("sweep: " + note) }
            print("sweep \(spec.out): \(SweepStatus.summary(overview.tasks))" + (jobs.isEmpty ? "" : " (Slurm jobs \(jobs.map(\.id).joined(separator: ", ")))"))
            for s in overview.tasks where all || s.state != "ok" {
                var line = "  \(s.point.index) \(s.point.name): \(s.state)"
                if let d = s.detail { line += ", \(d)" }
                if let l = s.log, s.state != "ok" || all { line += ", log \(l)" }
                print(line)
            }
        } catch { fail(error, "sweep") }
    }
}

struct SweepTask: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Run one grid point (what each Slurm array task does); exits 1 if its notebook fails.")

    @OptionGroup var sweep: SweepFileArgument
    @Option(help: "The grid point (0-based, as $SLURM_ARRAY_TASK_ID).") var index: Int
    @Option(help: "The grid's fingerprint when the job was submitted (sweep submit writes it): the task refuses to run if the grid changed since.")
    var grid: String?

    func run() throws {
        let (spec, points) = sweep.grid()
        do {
            if let grid, grid != spec.gridFingerprint(points) {
                throw SweepError("\(sweep.file): the sweep's grid, notebook or out changed since this job was submitted, so index \(index) may name another point now (\(points.indices.contains(index) ? points[index].name : "none")); run `topiary sweep submit` again for the new grid (finished points are not run twice)")
            }
            guard points.indices.contains(index) else { throw SweepError("\(sweep.file): no grid point \(index): the grid has \(points.count) points (0 to \(points.count - 1))") }
            let env = ProcessInfo.processInfo.environment
            let job = env["SLURM_ARRAY_JOB_ID"].map { "\($0)_\(env["SLURM_ARRAY_TASK_ID"] ?? String(index))" }
            let point = points[index]
            let r: TaskRecord
            switch try TaskLauncher(executable: ownExecutable()).run(spec, point, slurmJob: job) {
            case .ran(let record): r = record
            case .finished:
                print("sweep: task \(index) (\(point.name)) had finished; left as it is")
                return
            case .runningElsewhere:
                print("sweep: task \(index) (\(point.name)) is running in another process (its folder's lock is held); left as it is")
                return
            }
            let log = TaskFolder(out: spec.out, point: point).log
            print("sweep: task \(index) (\(point.name)): \(r.status.rawValue), exit \(r.exitCode), \(String(format: "%.1f", r.seconds)) s, log \(log)")
            if r.status != .ok { throw ExitCode(1) }
        } catch let e as ExitCode { throw e } catch { fail(error, "sweep") }
    }
}

struct SweepCollect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "One table of every task's parameters and reported values (OUT/results.md, .csv) and a chart (OUT/results.svg).",
        discussion: """
        The chart draws y against x for the tasks that finished ok, one line per value of `by` (points with equal x \
        averaged); without one, an earlier results.svg is removed. Each row's status is the one `sweep status` gives. Defaults: the sweep \
        file's plot = {x = ..., y = ..., by = ...}, else y = the first numeric reported value, x = the first \
        numeric grid parameter, by = the first other grid parameter.
        """)

    @OptionGroup var sweep: SweepFileArgument
    @Option(help: "Column on the chart's x axis.") var x: String?
    @Option(help: "Column on the chart's y axis.") var y: String?
    @Option(help: "One line per value of this column.") var by: String?
    @Flag(name: .shortAndLong, help: "Do not print the table.") var quiet = false

    func run() throws {
        let (spec, points) = sweep.grid()
        do {
            let overview = try SweepOverview.gather(spec, points: points)
            for note in overview.notes { noteLine("sweep: " + note) }
            let table = try ResultTable.collect(spec, points: points, status: overview.tasks)
            var choice = spec.plot
            if let x { choice.x = x }
            if let y { choice.y = y }
            if let by { choice.by = by }
            let resolved = try table.resolve(choice, grid: spec.grid.map(\.name))
            let chart = try resolved.flatMap { try table.chart($0) }
            let files = try table.write(out: spec.out, chart: chart)
            if !quiet { print(table.markdown, terminator: "") }
            noteLine("sweep: \(points.count) tasks collected; wrote \(files.joined(separator: ", "))" + (chart == nil ? " (no chart: no finished task has numbers to draw)" : ""))
        } catch { fail(error, "sweep") }
    }
}
