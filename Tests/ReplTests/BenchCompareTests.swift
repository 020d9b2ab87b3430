import Foundation
import XCTest

/// `topiary bench --compare ANCHORS --ours OURS`: the ratio table against the best peer
/// per case and thread count, without timing anything.
final class BenchCompareTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("topiary-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func run(_ args: [String]) throws -> (out: String, err: String, status: Int32) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try topiaryBinary())
        p.arguments = ["bench"] + args
        p.currentDirectoryURL = dir
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self), p.terminationStatus)
    }

    /// `--ab` takes the plain switches and valued ones in their range (`tiles=N`); anything
    /// else is refused before a case runs, with the names it knows.
    func testABSwitchNames() throws {
        XCTAssertEqual(try run(["--list", "--ab", "tiles=256"]).status, 0)
        XCTAssertEqual(try run(["--list", "--ab", "place-maps"]).status, 0)
        for bad in ["tiles=7", "tiles=abc", "tiles", "tiles=", "nope"] {
            let r = try run(["--list", "--ab", bad])
            XCTAssertNotEqual(r.status, 0, bad)
            XCTAssertTrue(r.err.contains("unknown --ab switch '\(bad)'") && r.err.contains("tiles=N (N in 64…4096)"), r.err)
        }
    }

    func testRatioTableAgainstBestPeer() throws {
        let anchors = """
        {"case": "env", "impl": "bench_conv_fwd.py", "threads": null, "median_ms": null}
        {"case": "conv_fwd/a", "impl": "torch", "threads": 1, "median_ms": 10.0}
        {"case": "conv_fwd/a", "impl": "torch-channels_last", "threads": 1, "median_ms": 8.0}
        {"case": "conv_fwd/a", "impl": "torch-channels_last", "threads": 1, "median_ms": 6.0}
        {"case": "conv_fwd/a", "impl": "torch-channels_last", "threads": 1, "median_ms": 30.0}
        {"case": "conv_fwd/a", "impl": "torch", "threads": 2, "median_ms": 5.0}
        {"case": "conv_fwd/a", "impl": "topiary", "threads": 2, "median_ms": 0.1}
        | a table line from an earlier run |
        {"case": "infer/b", "impl": "torch", "threads": 2, "median_ms": 100}
        {"case": "infer/b", "impl": "torch", "threads": 2, "shape": [1, 3], "median_ms": 1}
        """
        let ours = """
        {"case": "conv_fwd/a", "impl": "topiary", "threads": 1, "median_ms": 4.0}
        {"case": "conv_fwd/a", "impl": "topiary", "threads": 2, "median_ms": 10.0}
        {"case": "infer/b", "impl": "topiary", "threads": 2, "median_ms": 50.0}
        {"case": "only/ours", "impl": "topiary", "threads": 1, "median_ms": 1.0}
        {"case": "infer/b", "impl": "topiary", "threads": 2, "shape": [1, 4], "median_ms": 1.0}
        """
        try anchors.write(to: dir.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        try ours.write(to: dir.appendingPathComponent("o.jsonl"), atomically: true, encoding: .utf8)
        let r = try run(["--compare", "a.jsonl", "--ours", "o.jsonl"])
        XCTAssertEqual(r.status, 0, r.err)
        // channels_last's median over its three runs is 8.0 < torch's 10.0: ratio 8 / 4
        XCTAssertTrue(r.out.contains("| conv_fwd/a | 1 | 4.000 | torch-channels_last | 8.000 | 2.00 |"), r.out)
        // at 2 threads only torch counts (our own earlier line is not a peer)
        XCTAssertTrue(r.out.contains("| conv_fwd/a | 2 | 10.0 | torch | 5.000 | 0.50 |"), r.out)
        XCTAssertTrue(r.out.contains("| infer/b | 2 | 50.0 | torch | 100.0 | 2.00 |"), r.out)
        XCTAssertTrue(r.out.contains("| only/ours | 1 | 1.000 | – | – | – |"), r.out)
        // another shape (batch) is no peer
        XCTAssertTrue(r.out.contains("| infer/b | 2 | 1.000 | – | – | – |"), r.out)
        XCTAssertTrue(r.out.contains("2 of 3 cases ≥ 1.00×; geometric mean 1.26×"), r.out)
    }

    func testErrors() throws {
        let missing = try run(["--compare", "nope.jsonl", "--ours", "nope.jsonl"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.err.contains("cannot read 'nope.jsonl'"), missing.err)
        let alone = try run(["--ours", "x.jsonl"])
        XCTAssertNotEqual(alone.status, 0)
        XCTAssertTrue(alone.err.contains("--ours needs --compare"), alone.err)
    }
}
