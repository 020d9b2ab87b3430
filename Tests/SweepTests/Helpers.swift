import Foundation
import XCTest

/// A fresh temporary folder for one test, removed at the end.
func temporaryFolder(_ test: XCTestCase) throws -> String {
    let dir = NSTemporaryDirectory() + "sweep-test-\(getpid())-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

func write(_ path: String, _ text: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

/// A notebook whose parameters cell assigns criterion, ratio and seed.
let notebookText = """
-- %% Parameters tags=["parameters"]
criterion = "l1"
ratio = 0.5
seed = 1
-- %%
report{top1 = ratio}

"""
