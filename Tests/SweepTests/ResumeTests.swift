import XCTest
import Text
@testable import Sweep

/// Which tasks run again: records decide; records from another grid are refused.
final class ResumeTests: XCTestCase {
    func testFinishedTasksAreSkippedAndFailedOnesRunAgain() throws {
        let out = try temporaryFolder(self)
        let points = try Grid.expand([("ratio", [.double(0.3), .double(0.5), .double(0.7)])])
        XCTAssertEqual(try LocalRunner.pending(points, out: out).map(\.index), [0, 1, 2])
        for (p, status) in [(points[0], TaskRecord.Status.ok), (points[1], .failed)] {
            let folder = TaskFolder(out: out, point: p)
            try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
            try TaskRecord(point: p, report: .object([("top1", .double(0.9))]), status: status, exitCode: status == .ok ? 0 : 1, seconds: 1).write(folder)
        }
        XCTAssertEqual(try TaskState.of(points[0], out: out), .ok)
        XCTAssertEqual(try TaskState.of(points[1], out: out), .failed(exitCode: 1))
        XCTAssertEqual(try TaskState.of(points[2], out: out), .missing)
        XCTAssertEqual(try LocalRunner.pending(points, out: out).map(\.index), [1, 2])
        let back = try TaskRecord.read(TaskFolder(out: out, point: points[0]))
        XCTAssertEqual(back?.report["top1"]?.double, 0.9)
        XCTAssertEqual(back?.params, .object([("ratio", .double(0.3))]))
    }

    func testARecordOfOtherParametersIsAnError() throws {
        let out = try temporaryFolder(self)
        let p = try Grid.expand([("ratio", [.double(0.5)])])[0]
        let folder = TaskFolder(out: out, point: p)
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        var r = TaskRecord(point: p, report: .object([]), status: .ok, exitCode: 0, seconds: 1)
        r.params = .object([("ratio", .string("0.5"))])
        try r.write(folder)
        XCTAssertThrowsError(try TaskState.of(p, out: out)) { XCTAssertTrue("\($0)".contains("holds other parameters"), "\($0)") }
        try write(folder.record, "{not json")
        XCTAssertThrowsError(try TaskState.of(p, out: out)) { XCTAssertTrue("\($0)".contains("task.json"), "\($0)") }
    }

    func testArgumentsOfATask() throws {
        var spec = SweepSpec(file: "s.lua", notebook: "nb.lua", grid: [("criterion", [.string("l1")]), ("ratio", [.double(0.5)])], out: "runs/x")
        spec.timeout = 30
        let p = try Grid.expand(spec.grid)[0]
        XCTAssertEqual(TaskLauncher.arguments(spec, p),
                       ["notebook", "run", "--out=runs/x/criterion=l1,ratio=0.5", "-p", "criterion=\"l1\"", "-p", "ratio=0.5", "--timeout", "30.0",
                        "--", "nb.lua"])
    }
}
