import XCTest
import Text
@testable import Sweep

/// The results table (Markdown, CSV) and its chart.
final class CollectTests: XCTestCase {
    func testTableAndChart() throws {
        let out = try temporaryFolder(self)
        let spec = SweepSpec(file: "s.lua", notebook: "nb.lua",
                             grid: [("criterion", [.string("l1"), .string("a,\"b\"")]), ("ratio", [.double(0.3), .double(0.5)])], out: out)
        let points = try Grid.expand(spec.grid)
        for p in points.prefix(3) {
            let f = TaskFolder(out: out, point: p)
            try FileManager.default.createDirectory(atPath: f.path, withIntermediateDirectories: true)
            let ratio = p.params[1].value.number!
            try TaskRecord(point: p, report: .object([("top1", .double(1 - ratio)), ("macs", .int(Int((100 * (1 - ratio)).rounded())))]),
                           status: .ok, exitCode: 0, seconds: 0).write(f)
        }
        let t = try ResultTable.collect(spec, points: points)
        XCTAssertEqual(t.columns, ["index", "criterion", "ratio", "top1", "macs", "status"])
        XCTAssertEqual(t.rows.count, 4)
        XCTAssertEqual(t.csv, "index,criterion,ratio,top1,macs,status\r\n0,l1,0.3,0.7,70,ok\r\n1,l1,0.5,0.5,50,ok\r\n"
                       + "2,\"a,\"\"b\"\"\",0.3,0.7,70,ok\r\n3,\"a,\"\"b\"\"\",0.5,,,missing\r\n")
        XCTAssertTrue(t.markdown.hasPrefix("| index | criterion | ratio | top1 | macs | status |\n| ---: | --- | ---: | ---: | ---: | --- |\n| 0 | l1 | 0.3 | 0.7 | 70 | ok |\n"), t.markdown)
        let choice = try XCTUnwrap(try t.resolve(PlotChoice(), grid: ["criterion", "ratio"]))
        XCTAssertEqual(choice, PlotChoice(x: "ratio", y: "top1", by: "criterion"))
        let chart = try XCTUnwrap(try t.chart(PlotChoice(x: "macs", y: "top1", by: "criterion")))
        XCTAssertEqual(chart.series.map(\.label), ["criterion=l1", "criterion=a,\"b\""])
        XCTAssertEqual(chart.series[0].x, [50, 70])
        XCTAssertEqual(chart.series[0].y, [0.5, 0.7])
        XCTAssertTrue(chart.svg().contains("<svg"))
        XCTAssertThrowsError(try t.resolve(PlotChoice(x: "nope"), grid: [])) { XCTAssertTrue("\($0)".contains("plot x = 'nope' is not a column")) }
        let files = try t.write(out: out, chart: chart)
        XCTAssertEqual(files.map { ($0 as NSString).lastPathComponent }, ["results.md", "results.csv", "results.svg"])
    }

    func testEqualXIsAveraged() throws {
        let t = ResultTable(columns: ["index", "seed", "ratio", "top1", "status"],
                            rows: [[.int(0), .int(1), .double(0.5), .double(0.8), .string("ok")],
                                   [.int(1), .int(2), .double(0.5), .double(0.6), .string("ok")],
                                   [.int(2), .int(1), .double(0.3), .double(0.9), .string("ok")]])
        let c = try XCTUnwrap(try t.chart(PlotChoice(x: "ratio", y: "top1", by: nil)))
        XCTAssertEqual(c.series.count, 1)
        XCTAssertEqual(c.series[0].x, [0.3, 0.5])
        XCTAssertEqual(c.series[0].y[1], 0.7, accuracy: 1e-12)
    }

    /// Failed and running tasks' values are in the table but not on the chart (they are partial).
    func testOnlyFinishedTasksAreDrawn() throws {
        let t = ResultTable(columns: ["index", "ratio", "top1", "status"],
                            rows: [[.int(0), .double(0.5), .double(0.8), .string("ok")],
                                   [.int(1), .double(0.5), .double(0.1), .string("failed (exit 1)")],
                                   [.int(2), .double(0.3), .double(0.9), .string("ok")],
                                   [.int(3), .double(0.7), .double(0.2), .string("RUNNING")]])
        let c = try XCTUnwrap(try t.chart(PlotChoice(x: "ratio", y: "top1", by: nil)))
        XCTAssertEqual(c.series[0].x, [0.3, 0.5])
        XCTAssertEqual(c.series[0].y, [0.9, 0.8])
        let failedOnly = ResultTable(columns: ["index", "ratio", "top1", "status"], rows: [[.int(0), .double(0.5), .double(0.1), .string("failed (exit 1)")]])
        XCTAssertNil(try failedOnly.resolve(PlotChoice(), grid: ["ratio"]), "nothing finished: no chart")
    }

    /// A task that is running (its folder's lock is held) is RUNNING in the table, as in
    /// `sweep status`, with what it reported so far.
    func testARunningTaskIsRunning() throws {
        let out = try temporaryFolder(self)
        let spec = SweepSpec(file: "s.lua", notebook: "nb.lua", grid: [("seed", [.int(1), .int(2)])], out: out)
        let points = try Grid.expand(spec.grid)
        let f = TaskFolder(out: out, point: points[0])
        try FileManager.default.createDirectory(atPath: f.path, withIntermediateDirectories: true)
        try write(f.report, #"{"top1": 0.25}"#)
        let lock = try XCTUnwrap(try TaskLock(f))
        defer { lock.release() }
        XCTAssertEqual(try SweepStatus.compute(spec, points: points, slurm: [:]).map(\.state), ["RUNNING", "missing"])
        let t = try ResultTable.collect(spec, points: points)
        XCTAssertEqual(t.csv, "index,seed,top1,status\r\n0,1,0.25,RUNNING\r\n1,2,,missing\r\n")
    }

    /// When nothing can be drawn, the chart of an earlier collect is removed.
    func testNoChartRemovesTheOldOne() throws {
        let out = try temporaryFolder(self)
        let t = ResultTable(columns: ["index", "ratio", "top1", "status"], rows: [[.int(0), .double(0.5), .double(0.8), .string("ok")]])
        let chart = try XCTUnwrap(try t.chart(PlotChoice(x: "ratio", y: "top1")))
        XCTAssertEqual(try t.write(out: out, chart: chart).count, 3)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/results.svg"))
        XCTAssertEqual(try t.write(out: out, chart: nil), [out + "/results.md", out + "/results.csv"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/results.svg"), "a stale chart stays")
        XCTAssertEqual(try t.write(out: out, chart: nil).count, 2, "no chart to remove is fine")
    }
}
