import XCTest
@testable import Tensor

/// Shapes past the element limit are errors before any allocation; big buffers come
/// zeroed from the huge-page path and are counted.
final class LimitsTests: XCTestCase {
    func message(_ f: () throws -> Any) -> String {
        do { _ = try f(); return "" } catch { return "\(error)" }
    }

    func testHugeShapesAreRefused() {
        XCTAssertTrue(message { try Tensor.zeros([1 << 20, 1 << 20]) }.contains("zeros: shape [1048576, 1048576] is too large"))
        XCTAssertTrue(message { try Tensor.zeros([Int.max, 2]) }.contains("too large"))   // would overflow
        XCTAssertTrue(message { try Tensor.zeros([-1]) }.contains("non-negative"))
        XCTAssertEqual(message { try Tensor.zeros([0, Int.max]) }, "")                  // empty is fine
        let col = Tensor(shape: [1, 1], values: [1])
        XCTAssertTrue(message { try col.expand([1 << 20, 1 << 20]) }.contains("expand: shape"))
        let a = try! Tensor.zeros([1 << 17, 1]), b = try! Tensor.zeros([1, 1 << 17])
        XCTAssertTrue(message { try a.add(b) }.contains("add: shape [131072, 131072] is too large"))
        XCTAssertTrue(message { try Tensor.arange(0, 1e300) }.contains("too many"))
    }

    func testBigStorageIsZeroedAndCounted() throws {
        let before = Storage.liveBytes
        do {
            let t = try Tensor.zeros([3, 1 << 20])          // 12 MB: the mapped path
            XCTAssertEqual(Storage.liveBytes - before, 12 << 20)
            XCTAssertEqual(try t.sum().toFloats(), [0])
            t.fill(2)
            XCTAssertEqual(try t.sum().toFloats(), [Float(6 << 20)])
        }
        XCTAssertEqual(Storage.liveBytes, before)
    }

    func testRecycledBigBuffersComeBackZeroed() throws {
        for _ in 0..<3 {
            let t = Tensor(uninitialized: [2 << 20])     // 8 MB: mapped, then kept for reuse
            t.fill(7)
        }
        let z = try Tensor.zeros([2 << 20])
        XCTAssertEqual(try z.sum().toFloats(), [0])
        XCTAssertEqual(try z.norm(.infinity).toFloats(), [0])
    }
}
