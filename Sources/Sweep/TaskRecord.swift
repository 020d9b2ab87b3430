import Foundation
import Tensor
import Text

/// A task's folder under the sweep's `out`, named after its grid point:
/// - `task.json`: the record of the finished run (parameters, reported values, status),
///   written atomically once the notebook has exited;
/// - `report.json`: the values the notebook reported so far with `report{...}`;
/// - `log.txt`: the notebook run's standard output and error;
/// - `NB.out.md` and `NB.out/`: the notebook's recorded outputs.
public struct TaskFolder: Sendable {
    public let path: String
    public init(out: String, point: GridPoint) { path = out + "/" + point.name }
    public var record: String { path + "/task.json" }
    public var report: String { path + "/report.json" }
    public var log: String { path + "/log.txt" }
}

/// What `task.json` holds.
public struct TaskRecord: Equatable {
    public enum Status: String, Sendable { case ok, failed }
    public var index: Int
    public var name: String
    public var params: JSON
    public var report: JSON
    public var status: Status
    /// The exit status, or 128 + signal for a killed run.
    public var exitCode: Int32
    public var seconds: Double
    /// The Slurm array job and task (`1234_7`) when run by Slurm.
    public var slurmJob: String?

    public init(point: GridPoint, report: JSON, status: Status, exitCode: Int32, seconds: Double, slurmJob: String? = nil) {
        index = point.index
        name = point.name
        params = .object(point.params.map { ($0.name, $0.value.json) })
        self.report = report
        self.status = status
        self.exitCode = exitCode
        self.seconds = seconds
        self.slurmJob = slurmJob
    }

    public var json: JSON {
        var o: [(String, JSON)] = [("index", .int(index)), ("name", .string(name)), ("params", params), ("report", report),
                                   ("status", .string(status.rawValue)), ("exit_code", .int(Int(exitCode))), ("seconds", .double(seconds))]
        if let slurmJob { o.append(("slurm_job", .string(slurmJob))) }
        return .object(o)
    }

    public init(json j: JSON, file: String) throws {
        guard let index = j["index"]?.int, let name = j["name"]?.string, let params = j["params"], params.object != nil,
              let status = j["status"]?.string.flatMap(Status.init(rawValue:)) else {
            throw SweepError("\(file): not a task record (needs index, name, params and status)")
        }
        self.index = index
        self.name = name
        self.params = params
        report = j["report"] ?? .object([])
        self.status = status
        exitCode = Int32(clamping: j["exit_code"]?.int ?? 0)
        seconds = j["seconds"]?.double ?? 0
        slurmJob = j["slurm_job"]?.string
    }

    /// Reads `task.json` (nil when there is none).
    public static func read(_ folder: TaskFolder) throws -> TaskRecord? {
        guard let data = FileManager.default.contents(atPath: folder.record) else { return nil }
        do { return try TaskRecord(json: JSON.parse(data), file: folder.record) }
        catch let e as SweepError { throw e }
        catch { throw SweepError("\(folder.record): \(error)") }
    }

    /// Writes `task.json` atomically.
    public func write(_ folder: TaskFolder) throws {
        do { try AtomicFile.write(folder.record, bytes: Array((json.indented(2) + "\n").utf8), op: "sweep") }
        catch { throw SweepError("\(error)") }
    }

    /// Reads a `report.json` written by `report{...}` (an empty object when there is none).
    public static func readReport(_ folder: TaskFolder) -> JSON {
        guard let data = FileManager.default.contents(atPath: folder.report),
              let j = try? JSON.parse(data), j.object != nil else { return .object([]) }
        return j
    }
}

/// Where each task stands, as far as its folder tells.
public enum TaskState: Equatable, Sendable {
    /// Finished with status ok: skipped by `run`, never resubmitted.
    case ok
    /// Ran and failed (its record says so).
    case failed(exitCode: Int32)
    /// No record yet: never run, still running, or killed before it could write one.
    case missing

    /// The state of `point`'s folder. A record whose parameters differ from the point's
    /// (a folder from another grid) is an error rather than a finished task.
    public static func of(_ point: GridPoint, out: String) throws -> TaskState {
        let folder = TaskFolder(out: out, point: point)
        guard let r = try TaskRecord.read(folder) else { return .missing }
        guard r.params == .object(point.params.map { ($0.name, $0.value.json) }) else {
            throw SweepError("\(folder.record): this task's record holds other parameters (\(r.params.text)) than grid point \(point.index) (\(point.name)); move the folder away")
        }
        return r.status == .ok ? .ok : .failed(exitCode: r.exitCode)
    }
}
