import Foundation
import XCTest
@testable import Sweep

/// `sweep submit` and `sweep status` against stand-ins for sbatch and scontrol (`FakeSlurm`).
final class SubmitTests: XCTestCase {
    func spec(_ out: String, seeds: [Int]) -> SweepSpec {
        SweepSpec(file: "s.lua", notebook: "nb.lua", grid: [("seed", seeds.map { .int($0) })], out: out)
    }

    /// After the grid is edited, the jobs submitted for the old grid say nothing about the new
    /// grid's points (their indices named other points), and the new points are submitted.
    func testJobsOfAnEarlierGridAreLeftOut() throws {
        let slurm = try FakeSlurm(self)
        let out = try temporaryFolder(self) + "/runs"
        let old = spec(out, seeds: [1, 2, 3])
        let oldPoints = try Grid.expand(old.grid)
        let job = try XCTUnwrap(try Slurm.submit(old, points: oldPoints, options: SlurmOptions(), executable: "/bin/true"))
        XCTAssertEqual(job.indices, [0, 1, 2])
        XCTAssertEqual(job.grid, old.gridFingerprint(oldPoints))
        var overview = try SweepOverview.gather(old, points: oldPoints)
        XCTAssertEqual(overview.tasks.map(\.state), ["PENDING", "PENDING", "PENDING"])
        XCTAssertEqual(overview.jobs.map(\.id), [job.id])
        XCTAssertEqual(overview.notes, [])

        let new = spec(out, seeds: [4, 5])
        let newPoints = try Grid.expand(new.grid)
        overview = try SweepOverview.gather(new, points: newPoints)
        XCTAssertEqual(overview.tasks.map(\.state), ["missing", "missing"], "job \(job.id)'s indices 0 and 1 were seeds 1 and 2")
        XCTAssertEqual(overview.jobs.map(\.id), [])
        XCTAssertTrue(overview.notes.first?.contains("Slurm job \(job.id) was submitted for an earlier grid") ?? false, "\(overview.notes)")
        let job2 = try XCTUnwrap(try Slurm.submit(new, points: newPoints, options: SlurmOptions(), executable: "/bin/true"),
                                 "the new grid's points are not queued")
        XCTAssertEqual(job2.indices, [0, 1])
        XCTAssertEqual(slurm.calls.count, 2)
        XCTAssertEqual(try SubmittedJob.read(out: out).map(\.grid), [old.gridFingerprint(oldPoints), new.gridFingerprint(newPoints)])
        XCTAssertEqual(try SweepOverview.gather(old, points: oldPoints).jobs.map(\.id), [job.id], "each grid sees its own jobs")
    }

    /// Two submissions at once take turns: the second waits, sees the first's job queued, and
    /// submits nothing; jobs.json keeps the one job.
    func testConcurrentSubmissionsTakeTurns() throws {
        let slurm = try FakeSlurm(self, delay: 1)
        let out = try temporaryFolder(self) + "/runs"
        let s = spec(out, seeds: [1, 2, 3])
        let points = try Grid.expand(s.grid)
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var jobs: [SubmittedJob?] = [], errors: [Error] = [], waited = 0
        }
        let r = Results()
        let group = DispatchGroup()
        for _ in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let job = try Slurm.submit(s, points: points, options: SlurmOptions(), executable: "/bin/true",
                                               waiting: { r.lock.lock(); r.waited += 1; r.lock.unlock() })
                    r.lock.lock(); r.jobs.append(job); r.lock.unlock()
                } catch { r.lock.lock(); r.errors.append(error); r.lock.unlock() }
            }
        }
        group.wait()
        XCTAssertEqual(r.errors.count, 0, "\(r.errors)")
        XCTAssertEqual(r.jobs.compactMap { $0 }.count, 1, "one of the two submitted")
        XCTAssertEqual(r.waited, 1, "the other waited")
        XCTAssertEqual(slurm.calls.count, 1, "sbatch ran once: \(slurm.calls)")
        XCTAssertEqual(try SubmittedJob.read(out: out).map(\.indices), [[0, 1, 2]])
    }

    /// A jobs.json written before jobs kept their grid: the fingerprint is read from the script.
    func testAnOlderRecordTakesTheGridFromItsScript() throws {
        let out = try temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: out + "/.slurm", withIntermediateDirectories: true)
        try write(out + "/.slurm/submit-1.sbatch", "#!/bin/bash\nexec '/x/topiary' sweep task '/w/s.lua' --index \"$SLURM_ARRAY_TASK_ID\" --grid 00ff00ff00ff00ff\n")
        try write(out + "/.slurm/jobs.json", #"{"jobs": [{"id": "7", "indices": "0-2", "script": "\#(out)/.slurm/submit-1.sbatch"}, {"id": "8", "indices": "1", "script": ""}]}"#)
        let jobs = try SubmittedJob.read(out: out)
        XCTAssertEqual(jobs.map(\.grid), ["00ff00ff00ff00ff", nil])
        XCTAssertEqual(SubmittedJob.of(jobs, grid: "1234").map(\.id), ["8"], "a job of unknown grid is kept")
    }

    /// Without scontrol, status says so and shows what the task folders say.
    func testStatusWithoutScontrolFallsBackToTheFolders() throws {
        let out = try temporaryFolder(self)
        let s = spec(out, seeds: [1, 2])
        let points = try Grid.expand(s.grid)
        let f = TaskFolder(out: out, point: points[0])
        try FileManager.default.createDirectory(atPath: f.path, withIntermediateDirectories: true)
        try TaskRecord(point: points[0], report: .object([]), status: .ok, exitCode: 0, seconds: 0).write(f)
        try FileManager.default.createDirectory(atPath: out + "/.slurm", withIntermediateDirectories: true)
        try SubmittedJob.write([SubmittedJob(id: "9", indices: [0, 1], script: "", grid: s.gridFingerprint(points))], out: out)
        _ = try FakeSlurm(self, scontrol: false)
        let overview = try SweepOverview.gather(s, points: points)
        XCTAssertEqual(overview.tasks.map(\.state), ["ok", "missing"])
        XCTAssertEqual(overview.notes.count, 1)
        XCTAssertTrue(overview.notes[0].hasPrefix("scontrol is not on PATH"), overview.notes[0])
    }
}
