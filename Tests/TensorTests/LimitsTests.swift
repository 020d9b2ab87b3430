import XCTest
#if canImport(Glibc)
import Glibc
#endif
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
        let col = try! Tensor(shape: [1, 1], values: [1])
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
            let t = try Tensor(uninitialized: [2 << 20])     // 8 MB: mapped, then kept for reuse
            t.fill(7)
        }
        let z = try Tensor.zeros([2 << 20])
        XCTAssertEqual(try z.sum().toFloats(), [0])
        XCTAssertEqual(try z.norm(.infinity).toFloats(), [0])
    }

    func testAllocationFailureIsAnError() throws {
        #if TOPIARY_ASAN
        throw XCTSkip("an address-space limit starves AddressSanitizer's shadow memory (Scripts/asan)")
        #endif
        // Past the storage bound: refused before allocating.
        XCTAssertTrue(message { try Storage(count: Int.max / 2) }.contains("cannot allocate"))
        XCTAssertTrue(message { try Storage(count: Storage.maxBytes / 4 + 1) }.contains("cannot allocate"))
        // Within the bound but more than the address space allows: malloc/mmap return
        // nothing and the error says so (no abort).
        var old = rlimit()
        getrlimit(Int32(RLIMIT_AS.rawValue), &old)
        var tight = old
        tight.rlim_cur = 8 << 30
        XCTAssertEqual(setrlimit(Int32(RLIMIT_AS.rawValue), &tight), 0)
        defer { _ = setrlimit(Int32(RLIMIT_AS.rawValue), &old) }
        let bytes = min(Storage.maxBytes, 10 << 30) / 4 * 4
        XCTAssertTrue(message { try Storage(count: bytes / 4) }.contains("cannot allocate \(bytes) bytes"))
        XCTAssertTrue(message { try Tensor.allocate([bytes / 4], zeroed: false) }.contains("cannot allocate"))
        XCTAssertTrue(message { try Storage(count: 9 << 28, dtype: .int64) }.contains("cannot allocate"))
    }

    func testArangeCountsExactlyAndRefusesTheWrongDirection() throws {
        XCTAssertEqual(try Tensor.arange(Int.max - 2, Int.max).shape, [2])
        XCTAssertEqual(try Tensor.arange(Int.min, Int.min + 3, 2).shape, [2])
        XCTAssertEqual(try Tensor.arange(5, 5).shape, [0])
        XCTAssertEqual(try Tensor.arange(0, 10, 3).toFloats(), [0, 3, 6, 9])
        XCTAssertEqual(try Tensor.arange(10, 0, -4).toFloats(), [10, 6, 2])
        XCTAssertTrue(message { try Tensor.arange(0, 5, -1) }.contains("wrong sign"))
        XCTAssertTrue(message { try Tensor.arange(0.0, -5.0, 0.5) }.contains("wrong sign"))
        XCTAssertTrue(message { try Tensor.arange(Int.min, Int.max) }.contains("too many"))
    }
}
