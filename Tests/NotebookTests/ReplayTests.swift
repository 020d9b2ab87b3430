import XCTest
import Kernels
import Tensor
@testable import Notebook
import Text

/// Run → record → replay round trips, and what replay catches or forgives.
final class ReplayTests: XCTestCase {
    let notebook = """
        -- ---
        -- seed: 3
        -- tolerance: 1e-4
        -- ---
        -- %% [markdown]
        -- # Replay me

        -- %% Numbers
        x = tensor.randn(4)
        print(string.format("%.6f", x:sum()))
        print(x)
        -- %% Addresses and timings
        print({}, "took " .. os.clock() .. " s")
        -- %% A plot
        plot.hist(x, {bins = 4})
        -- %% Volatile tags=["ignore-output"]
        print(os.time())
        """

    func testARecordedNotebookReplays() throws {
        let s = Scratch()
        let path = s.write("nb.lua", notebook)
        let recorded = try runAndRecord(path)
        XCTAssertEqual(recorded.seed, 3)
        XCTAssertNotNil(s.read("nb.out.md"))
        XCTAssertNotNil(s.read("nb.out/outputs.json"))
        XCTAssertNotNil(s.read("nb.out/cell-4-1.svg"))
        XCTAssertEqual(try OutputStore.read(OutputPaths(notebook: path)).cells.map(\.outputs), recorded.cells.map(\.outputs))
        let report = try Replay.replay(path)
        XCTAssertTrue(report.passed, "\(report.differences.map(\.diff)) \(report.failure ?? "")")
        XCTAssertEqual(report.compared, 3)
        XCTAssertEqual(report.ignored, 1)
        XCTAssertEqual(s.read("nb.lua"), notebook, "the source is never modified")
    }

    /// The front matter's seed seeds Lua's math.random too: a notebook drawing from it replays,
    /// and another seed draws other numbers.
    func testTheSeedSeedsMathRandom() throws {
        let s = Scratch()
        let source = "-- ---\n-- seed: 5\n-- ---\n-- %% Draw\nprint(math.random(1, 1000000), math.random())\n"
        let path = s.write("rand.lua", source)
        let first = try runAndRecord(path)
        let report = try Replay.replay(path)
        XCTAssertTrue(report.passed, "\(report.differences.map(\.diff))")
        let other = s.write("other.lua", source.replacingOccurrences(of: "seed: 5", with: "seed: 6"))
        XCTAssertNotEqual(try runAndRecord(other).cells.map(\.outputs), first.cells.map(\.outputs))
    }

    /// A run records the threads it started with, and replay runs with them (sums over
    /// per-thread parts change with the count), restoring the process's count afterwards.
    func testReplayRunsWithTheRecordedThreadCount() throws {
        let s = Scratch()
        let path = s.write("nb.lua", """
            -- %% Threads
            print(tensor.get_num_threads())
            """)
        let before = Parallel.threads
        defer { Parallel.threads = before; BLAS.setThreads(before) }
        var options = RunOptions()
        options.threads = 3
        let recorded = try runAndRecord(path, options)
        XCTAssertEqual(recorded.threads, 3)
        XCTAssertEqual(recorded.cells[0].outputs.first?.text, "3\n")
        XCTAssertEqual(Parallel.threads, before, "the run restores the thread count")
        XCTAssertTrue(s.read("nb.out/outputs.json")?.contains("\"threads\": 3") ?? false)
        Parallel.threads = before == 1 ? 2 : 1
        let report = try Replay.replay(path)
        XCTAssertTrue(report.passed, "\(report.differences.map(\.diff))")
        XCTAssertEqual(report.record.threads, 3)
        XCTAssertEqual(Parallel.threads, before == 1 ? 2 : 1, "replay restores the thread count")
        // a record without the field (made before it was kept) replays with the process's count
        let json = try XCTUnwrap(s.read("nb.out/outputs.json"))
        s.write("nb.out/outputs.json", json.replacingOccurrences(of: "  \"threads\": 3,\n", with: ""))
        XCTAssertNil(try OutputStore.read(OutputPaths(notebook: path)).threads)
        XCTAssertFalse(try Replay.replay(path).passed, "without it the count printed differs")
        s.write("nb.out/outputs.json", json.replacingOccurrences(of: "\"threads\": 3", with: "\"threads\": 0"))
        XCTAssertThrowsError(try Replay.replay(path)) { XCTAssertTrue("\($0)".contains("thread count from 1 to 256"), "\($0)") }
    }

    /// Rewrites the first number of cell 2's recorded stdout.
    func tamper(_ s: Scratch, _ change: (Double) -> Double) throws -> (String, String) {
        let json = try XCTUnwrap(s.read("nb.out/outputs.json"))
        let record = try RunRecord(json: JSON.parse(json))
        let text = record.cells[1].outputs[0].text
        let first = String(text.prefix { $0 != "\n" })
        let value = try XCTUnwrap(Double(first))
        let changed = String(format: "%.6f", change(value))
        s.write("nb.out/outputs.json", json.replacingOccurrences(of: first, with: changed))
        return (first, changed)
    }

    func testANumberChangedBeyondTheToleranceFails() throws {
        let s = Scratch()
        let path = s.write("nb.lua", notebook)
        try runAndRecord(path)
        let (old, new) = try tamper(s) { $0 * 1.01 }   // 1% > 1e-4
        let report = try Replay.replay(path)
        XCTAssertFalse(report.passed)
        let d = try XCTUnwrap(report.differences.first)
        XCTAssertEqual(d.label, "cell 2 \"Numbers\" (nb.lua:8)")
        XCTAssertTrue(d.diff.hasPrefix("--- recorded (\(s.dir)/nb.out/outputs.json)\n+++ replay\n@@ -1,"), d.diff)
        XCTAssertTrue(d.diff.contains("\n-\(new)\n+\(old)\n"), d.diff)
        XCTAssertEqual(report.differences.count, 1, "the replay stops at the first difference")
    }

    /// The record names the OpenBLAS kernels the run used; a replay that differs on other
    /// ones says which were recorded and how to pin them, and one on the same kernels does not.
    func testTheOpenBLASKernelsAreRecordedAndNamedOnADifference() throws {
        let s = Scratch()
        let path = s.write("nb.lua", notebook)
        let recorded = try runAndRecord(path)
        XCTAssertEqual(recorded.blas, BLAS.coreName)
        XCTAssertEqual(try OutputStore.read(OutputPaths(notebook: path)).blas, BLAS.coreName)
        _ = try tamper(s) { $0 * 1.01 }
        let same = try XCTUnwrap(Replay.replay(path).differences.first)
        XCTAssertNil(same.note)
        let json = try XCTUnwrap(s.read("nb.out/outputs.json"))
        s.write("nb.out/outputs.json", json.replacingOccurrences(of: "\"blas\": \"\(BLAS.coreName)\"",
                                                                 with: "\"blas\": \"Elsewhere\""))
        let other = try XCTUnwrap(Replay.replay(path).differences.first)
        XCTAssertEqual(other.note, "recorded with OpenBLAS's Elsewhere kernels, replayed with its \(BLAS.coreName) ones, "
                       + "which round differently: OPENBLAS_CORETYPE=Elsewhere replays it exactly (where the CPU runs them)")
    }

    /// A recorded number beyond a double's range once read as infinity, which is within
    /// any relative tolerance of every number: it must match nothing but its own spelling.
    func testARecordedOverflowingNumberMatchesNothing() throws {
        let s = Scratch()
        let path = s.write("nb.lua", notebook)
        try runAndRecord(path)
        let json = try XCTUnwrap(s.read("nb.out/outputs.json"))
        let text = try RunRecord(json: JSON.parse(json)).cells[1].outputs[0].text
        let first = String(text.prefix { $0 != "\n" })
        s.write("nb.out/outputs.json", json.replacingOccurrences(of: first, with: "1e999999"))
        let report = try Replay.replay(path)
        XCTAssertFalse(report.passed, "1e999999 matched \(first)")
        XCTAssertTrue(report.differences.first?.diff.contains("-1e999999\n+\(first)\n") == true, "\(report.differences.map(\.diff))")
        XCTAssertFalse(Comparison(relative: 1e-4).equal("1e999999", "1e999998"))
        XCTAssertTrue(Comparison(relative: 1e-4).equal("x 1e999999", "x 1e999999"))
        XCTAssertFalse(Comparison(relative: 1e-4).equal("-1e999999", "-5"))
    }

    func testANumberChangedWithinTheToleranceIsAccepted() throws {
        let s = Scratch()
        let path = s.write("nb.lua", notebook)
        try runAndRecord(path)
        _ = try tamper(s) { $0 + max(abs($0), 1e-3) * 2e-5 }   // well inside 1e-4 relative
        let report = try Replay.replay(path)
        XCTAssertTrue(report.passed, "\(report.differences.map(\.diff))")
    }

    func testChangedTextAndChangedPlotsAreCaught() throws {
        let s = Scratch()
        let path = s.write("nb.lua", notebook)
        try runAndRecord(path)
        s.write("nb.lua", notebook.replacingOccurrences(of: "{bins = 4}", with: "{bins = 5}"))
        let report = try Replay.replay(path)
        let d = try XCTUnwrap(report.differences.first)
        XCTAssertEqual(d.label, "cell 4 \"A plot\" (nb.lua:14)")
        XCTAssertEqual(d.note, "its source changed since the outputs were recorded")
        XCTAssertTrue(d.diff.contains("-[image] plot.hist (1 series, 4 bins)\n+[image] plot.hist (1 series, 5 bins)"), d.diff)
    }

    /// Moves the first bar of the recorded histogram by `dy` pixels.
    func nudgeBar(_ s: Scratch, by dy: Double) throws {
        let svg = try XCTUnwrap(s.read("nb.out/cell-4-1.svg"))
        let series = try XCTUnwrap(svg.range(of: "<g class=\"series\""))
        let attr = try XCTUnwrap(svg.range(of: " y=\"", range: series.upperBound..<svg.endIndex))
        let end = try XCTUnwrap(svg[attr.upperBound...].firstIndex(of: "\""))
        let y = try XCTUnwrap(Double(svg[attr.upperBound..<end]))
        s.write("nb.out/cell-4-1.svg", svg.replacingCharacters(in: attr.upperBound..<end, with: String(format: "%.2f", y + dy)))
    }

    func testPlotsMatchWithinHalfAPixel() throws {
        let s = Scratch()
        let path = s.write("nb.lua", notebook)
        try runAndRecord(path)
        try nudgeBar(s, by: 0.01)
        XCTAssertTrue(try Replay.replay(path).passed, "a rounding flip is no difference")
        try runAndRecord(path)
        try nudgeBar(s, by: 3)
        let report = try Replay.replay(path)
        XCTAssertEqual(report.differences.first?.label, "cell 4 \"A plot\" (nb.lua:14)")
    }

    func testUpdateReRecords() throws {
        let s = Scratch()
        let path = s.write("nb.lua", notebook)
        try runAndRecord(path)
        s.write("nb.lua", notebook.replacingOccurrences(of: "{bins = 4}", with: "{bins = 5}"))
        var o = ReplayOptions()
        o.update = true
        let updated = try Replay.replay(path, options: o)
        XCTAssertEqual(updated.differences.count, 1)
        XCTAssertTrue(try Replay.replay(path).passed)
    }

    func testParametersAreRecordedAndReplayed() throws {
        let s = Scratch()
        let path = s.write("p.lua", "-- %% tags=[\"parameters\"]\nn = 2\n-- %%\nprint(n * 10)\n")
        var o = RunOptions()
        o.parameters = [ParameterOverride(name: "n", value: "5")]
        let r = try runAndRecord(path, o)
        XCTAssertEqual(r.cells[1].outputs[0].text, "50\n")
        XCTAssertTrue(try Replay.replay(path).passed, "replay applies the recorded parameters")
        var p = ReplayOptions()
        p.parameters = [ParameterOverride(name: "n", value: "6")]
        XCTAssertFalse(try Replay.replay(path, options: p).passed)
        p.parameters = [ParameterOverride(name: "m", value: "6")]
        XCTAssertEqual(errorText { try Replay.replay(path, options: p) },
                       "\(path):1: parameter 'm' is not assigned in the parameters cell (it sets: n)")
    }

    func testAMissingSidecarSaysHowToRecordOne() throws {
        let s = Scratch()
        let path = s.write("nb.lua", "print(1)\n")
        XCTAssertEqual(errorText { try Replay.replay(path) },
                       "\(path): no recorded outputs: \(s.dir)/nb.out/outputs.json does not exist; record them with `topiary notebook run \(path)`")
    }

    func testAnErrorFailsTheReplayEvenIfRecorded() throws {
        let s = Scratch()
        let path = s.write("nb.lua", "-- %% Bad\nerror('x')\n")
        try runAndRecord(path)
        let report = try Replay.replay(path)
        XCTAssertTrue(report.differences.isEmpty)
        XCTAssertEqual(report.failure?.hasPrefix("cell 1 \"Bad\" (nb.lua:1) failed:\nnb.lua:2: x"), true, report.failure ?? "")
    }

    func testAChangedNumberOfCellsNeedsAnUpdate() throws {
        let s = Scratch()
        let path = s.write("nb.lua", "-- %%\nprint(1)\n")
        try runAndRecord(path)
        s.write("nb.lua", "-- %%\nprint(1)\n-- %%\nprint(2)\n")
        XCTAssertTrue(errorText { try Replay.replay(path) }.contains("has 2 code cells but its outputs in"))
    }
}
