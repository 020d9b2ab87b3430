import XCTest
@testable import Sweep

/// The sbatch script's text, and parsing what scontrol and sacct print.
final class SlurmTests: XCTestCase {
    func testRanges() {
        XCTAssertEqual(SlurmScript.ranges([0, 1, 2, 3]), "0-3")
        XCTAssertEqual(SlurmScript.ranges([9, 0, 1, 5, 7, 8, 3]), "0-1,3,5,7-9")
        XCTAssertEqual(SlurmScript.ranges([4]), "4")
        XCTAssertEqual(SlurmStatus.indices("0-1,3,5,7-9"), [0, 1, 3, 5, 7, 8, 9])
        XCTAssertEqual(SlurmStatus.indices("2-5%2"), [2, 3, 4, 5])
        XCTAssertEqual(SlurmStatus.indices("[1-7:3]"), [1, 4, 7])
        XCTAssertEqual(SlurmStatus.indices("junk"), [])
    }

    func testScriptText() throws {
        var o = SlurmOptions()
        o.partition = "debug"; o.time = "10:00"; o.cpus = 2; o.mem = "4G"; o.maxRunning = 3
        let text = try SlurmScript.text(indices: [0, 1, 2, 5], options: o, jobName: "topiary-sweep", executable: "/opt/top iary",
                                        sweepFile: "/w/it's.lua", grid: "0123abcd", logs: "/w/runs/.slurm", workdir: "/w")
        XCTAssertEqual(text, """
            #!/bin/bash
            #SBATCH --job-name=topiary-sweep
            #SBATCH --array=0-2,5%3
            #SBATCH --output=/w/runs/.slurm/%A_%a.log
            #SBATCH --chdir=/w
            #SBATCH --ntasks=1
            #SBATCH --partition=debug
            #SBATCH --time=10:00
            #SBATCH --cpus-per-task=2
            #SBATCH --mem=4G
            # Written by `topiary sweep submit`: array task i runs grid point i of the sweep
            # (parameter names sorted, the last varying fastest). Its outputs go to the point's
            # folder under the sweep's out; this log holds only what `sweep task` itself prints.
            # --grid: the grid as submitted; a task whose sweep file has a changed grid since fails.
            export TOPIARY_THREADS="${SLURM_CPUS_PER_TASK:-1}"
            exec '/opt/top iary' sweep task '/w/it'\\''s.lua' --index "$SLURM_ARRAY_TASK_ID" --grid 0123abcd

            """)
        o.partition = "a b"
        XCTAssertThrowsError(try SlurmScript.text(indices: [0], options: o, jobName: "j", executable: "t", sweepFile: "s", grid: "ab", logs: "/l", workdir: "/w")) {
            XCTAssertTrue("\($0)".contains("slurm partition 'a b' cannot go into an #SBATCH line"), "\($0)")
        }
        XCTAssertThrowsError(try SlurmScript.text(indices: [], options: SlurmOptions(), jobName: "j", executable: "t", sweepFile: "s", grid: "ab", logs: "/l", workdir: "/w"))
    }

    /// The fingerprint a task checks: the same for the same grid however it is listed;
    /// another for an added value, a renamed notebook or another out folder.
    func testGridFingerprint() throws {
        let grid: [(name: String, values: [SweepValue])] = [("ratio", [.double(0.3), .double(0.5)]), ("criterion", [.string("l1")])]
        let spec = SweepSpec(file: "s.lua", notebook: "nb.lua", grid: grid, out: "runs")
        let f = spec.gridFingerprint(try Grid.expand(grid))
        XCTAssertEqual(f.count, 16)
        XCTAssertEqual(f, spec.gridFingerprint(try Grid.expand(grid.reversed())))
        let more: [(name: String, values: [SweepValue])] = [("ratio", [.double(0.3), .double(0.5), .double(0.7)]), ("criterion", [.string("l1")])]
        XCTAssertNotEqual(f, spec.gridFingerprint(try Grid.expand(more)))
        var other = spec
        other.notebook = "nb2.lua"
        XCTAssertNotEqual(f, other.gridFingerprint(try Grid.expand(grid)))
        other = spec
        other.out = "runs2"
        XCTAssertNotEqual(f, other.gridFingerprint(try Grid.expand(grid)))
        XCTAssertThrowsError(try SlurmScript.text(indices: [0], options: SlurmOptions(), jobName: "j", executable: "t", sweepFile: "s",
                                                  grid: "x y", logs: "/l", workdir: "/w")) {
            XCTAssertTrue("\($0)".contains("is not hexadecimal"), "\($0)")
        }
    }

    func testScontrolRecords() {
        let text = """
            JobId=2 ArrayJobId=1 ArrayTaskId=0 ArrayTaskThrottle=2 JobName=j.sh JobState=COMPLETED Reason=None ExitCode=0:0 StdOut=/tmp/out-1_0.log
            JobId=4 ArrayJobId=1 ArrayTaskId=2 JobName=j.sh JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0
            JobId=5 ArrayJobId=1 ArrayTaskId=3 JobName=j.sh JobState=RUNNING Reason=None ExitCode=0:0
            JobId=1 ArrayJobId=1 ArrayTaskId=4-6%2 JobName=j.sh JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0
            JobId=9 ArrayJobId=8 ArrayTaskId=0 JobState=RUNNING ExitCode=0:0

            """
        let s = SlurmStatus.parseScontrol(text, job: "1")
        XCTAssertEqual(s.map(\.index), [0, 2, 3, 4, 5, 6])
        XCTAssertEqual(s.map(\.state), ["COMPLETED", "FAILED", "RUNNING", "PENDING", "PENDING", "PENDING"])
        XCTAssertEqual(s[1].exitCode, "3:0")
        XCTAssertEqual(s.map(\.isActive), [false, false, true, true, true, true])
        XCTAssertEqual(SlurmStatus.parseScontrol("slurm_load_jobs error: Invalid job id specified", job: "1"), [])
    }

    func testSacctLines() {
        let s = SlurmStatus.parseSacct("12_0|COMPLETED|0:0\n12_[2-3%1]|PENDING|0:0\n12_1|CANCELLED by 0|0:15\n13_0|FAILED|1:0\n", job: "12")
        XCTAssertEqual(s.map(\.index), [0, 2, 3, 1])
        XCTAssertEqual(s.map(\.state), ["COMPLETED", "PENDING", "PENDING", "CANCELLED"])
    }

    func testStatusCombinesRecordsAndSlurm() throws {
        let out = try temporaryFolder(self)
        let spec = SweepSpec(file: "s.lua", notebook: "nb.lua", grid: [("seed", (0..<5).map { .int($0) })], out: out)
        let points = try Grid.expand(spec.grid)
        for (i, st) in [(0, TaskRecord.Status.ok), (1, .failed), (2, .failed)] {
            let f = TaskFolder(out: out, point: points[i])
            try FileManager.default.createDirectory(atPath: f.path, withIntermediateDirectories: true)
            try TaskRecord(point: points[i], report: .object([]), status: st, exitCode: st == .ok ? 0 : 1, seconds: 0).write(f)
        }
        let slurm: [Int: SlurmTaskState] = [0: .init(job: "7", index: 0, state: "COMPLETED"), 2: .init(job: "7", index: 2, state: "PENDING"),
                                            3: .init(job: "7", index: 3, state: "TIMEOUT", exitCode: "0:15")]
        let s = try SweepStatus.compute(spec, points: points, slurm: slurm)
        XCTAssertEqual(s.map(\.state), ["ok", "failed", "PENDING", "failed", "missing"])
        XCTAssertEqual(s.map(\.needsSubmission), [false, true, false, true, true])
        XCTAssertEqual(s[3].detail, "Slurm: TIMEOUT (exit 0:15), no task record")
        XCTAssertEqual(s[3].log, out + "/.slurm/7_3.log")
        XCTAssertEqual(SweepStatus.summary(s), "5 tasks: 1 ok, 2 failed, 1 PENDING, 1 missing")
    }
}
