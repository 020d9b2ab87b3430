import Foundation
import XCTest
@testable import Tensor

/// AtomicFile: a failing writer leaves the old file and no temporary behind.
final class AtomicFileTests: XCTestCase {
    func testFailureMidWriteKeepsTheOldFile() throws {
        let dir = NSTemporaryDirectory() + "atomic-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/f.npy"
        try AtomicFile.write(path, bytes: Array("old".utf8), op: "t")
        XCTAssertThrowsError(try AtomicFile.write(path, op: "t") { w in
            try w.write(Array(repeating: 7, count: 3 << 20))
            throw TensorError("disk full (simulated)")
        })
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("old".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["f.npy"])
        XCTAssertThrowsError(try AtomicFile.write("a\0b", bytes: [], op: "t"))
    }
}
