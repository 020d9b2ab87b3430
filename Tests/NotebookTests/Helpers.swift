import Foundation
import XCTest
@testable import Notebook

/// A temporary directory holding notebooks written by a test.
final class Scratch {
    let dir: String

    init() {
        dir = NSTemporaryDirectory() + "topiary-nb-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// Writes `text` to `name` in the directory; returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let path = dir + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: dir + "/" + name).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Runs a notebook as `topiary notebook run` does and writes its outputs.
@discardableResult
func runAndRecord(_ path: String, _ options: RunOptions = RunOptions()) throws -> RunRecord {
    let runner = try NotebookRunner(try NotebookParser.load(path), options: options)
    return try OutputStore.write(try runner.run(), notebook: runner.notebook, paths: OutputPaths(notebook: path))
}

/// Runs notebook text in memory.
func runText(_ text: String, _ options: RunOptions = RunOptions()) throws -> RunRecord {
    try NotebookRunner(try NotebookParser.parse(text, path: "nb.lua"), options: options).run()
}

/// The error a throwing expression raises, as text.
func errorText(_ body: () throws -> Any) -> String {
    do { _ = try body(); return "(no error)" } catch { return "\(error)" }
}
