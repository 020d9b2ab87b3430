import XCTest
@testable import Notebook

/// A recorded run (nb.out/) is input: replay and export must not read files outside the
/// output directory through it, follow symbolic links, pass a planted script into HTML,
/// or accept a record of another format, version, or with negative tolerances.
final class RecordSafetyTests: XCTestCase {
    let notebook = "-- %%\nprint('hi')\n-- %%\nplot.line({1, 2, 3})\n"

    /// A scratch folder with the notebook recorded, and a "secret" beside the folder.
    func recorded() throws -> (Scratch, String) {
        let s = Scratch()
        let path = s.write("nb.lua", notebook)
        try runAndRecord(path)
        s.write("secret.txt", "<svg>SECRET</svg>")
        return (s, path)
    }

    /// Edits outputs.json as text.
    func edit(_ s: Scratch, _ change: (String) -> String) throws {
        let json = try XCTUnwrap(s.read("nb.out/outputs.json"))
        let changed = change(json)
        XCTAssertNotEqual(changed, json, "the edit applies")
        s.write("nb.out/outputs.json", changed)
    }

    func testAnImagePathOutsideTheOutputDirectoryIsRefused() throws {
        for name in ["../secret.txt", "../../secret.txt", "/etc/passwd", "..", "."] {
            let (s, path) = try recorded()
            try edit(s) { $0.replacingOccurrences(of: "\"cell-2-1.svg\"", with: "\"\(name)\"") }
            for e in [errorText { try Replay.replay(path) }, errorText { try Export.export(path, as: .html) },
                      errorText { try Export.export(path, as: .ipynb) }] {
                XCTAssertTrue(e.contains("which is not a file in"), "\(name): \(e)")
                XCTAssertFalse(e.contains("SECRET"), e)
            }
            XCTAssertNil(s.read("nb.html"))
        }
    }

    func testAnImageThatIsASymbolicLinkIsRefused() throws {
        let (s, path) = try recorded()
        try FileManager.default.removeItem(atPath: s.dir + "/nb.out/cell-2-1.svg")
        try FileManager.default.createSymbolicLink(atPath: s.dir + "/nb.out/cell-2-1.svg", withDestinationPath: s.dir + "/secret.txt")
        for e in [errorText { try Replay.replay(path) }, errorText { try Export.export(path, as: .html) }] {
            XCTAssertTrue(e.contains("is a symbolic link; refusing to read it"), e)
            XCTAssertFalse(e.contains("SECRET"), e)
        }
        // A directory in place of the file is refused too.
        try FileManager.default.removeItem(atPath: s.dir + "/nb.out/cell-2-1.svg")
        try FileManager.default.createDirectory(atPath: s.dir + "/nb.out/cell-2-1.svg", withIntermediateDirectories: false)
        XCTAssertTrue(errorText { try Replay.replay(path) }.contains("is not a regular file"))
    }

    func testAScriptInARecordedSVGDoesNotReachTheHTML() throws {
        let (s, path) = try recorded()
        let svg = try XCTUnwrap(s.read("nb.out/cell-2-1.svg"))
        s.write("nb.out/cell-2-1.svg", svg.replacingOccurrences(of: "</svg>", with: "<script>alert(1)</script><foreignObject><img src=x onerror=alert(2)></foreignObject></svg>"))
        try Export.export(path, as: .html)
        let html = try XCTUnwrap(s.read("nb.html"))
        XCTAssertFalse(html.contains("<script"), "no script element")
        XCTAssertFalse(html.contains("onerror"), "no event handler")
        XCTAssertTrue(html.contains("<img src=\"data:image/svg+xml;base64,"), "the plot is an image")
    }

    func testAnotherFormatOrVersionIsRefused() throws {
        let (s, path) = try recorded()
        try edit(s) { $0.replacingOccurrences(of: "\"version\": 1", with: "\"version\": 2") }
        var e = errorText { try Replay.replay(path) }
        XCTAssertTrue(e.contains("recorded outputs of version 2, which this topiary does not read"), e)
        XCTAssertTrue(errorText { try Export.export(path, as: .html) }.contains("version 2"))

        try runAndRecord(path)
        try edit(s) { $0.replacingOccurrences(of: "\"topiary-notebook-outputs\"", with: "\"something-else\"") }
        e = errorText { try Replay.replay(path) }
        XCTAssertTrue(e.contains("format is \"something-else\", expected \"topiary-notebook-outputs\""), e)
    }

    func testNegativeOrNonFiniteTolerancesAreRefused() throws {
        let (s, path) = try recorded()
        try edit(s) { $0.replacingOccurrences(of: "\"tolerance\": 1e-06", with: "\"tolerance\": -1") }
        var e = errorText { try Replay.replay(path) }
        XCTAssertTrue(e.contains("tolerance must be a number ≥ 0, got -1"), e)
        try runAndRecord(path)
        try edit(s) { $0.replacingOccurrences(of: "\"atol\": 0.0", with: "\"atol\": -0.5") }
        e = errorText { try Replay.replay(path) }
        XCTAssertTrue(e.contains("atol must be a number ≥ 0, got -0.5"), e)
        try runAndRecord(path)
        XCTAssertTrue(try Replay.replay(path).passed, "a fresh record replays")
    }
}
