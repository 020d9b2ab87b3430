import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import Tensor

/// Every tensor allocation throws `cannot allocate N bytes for …` instead of aborting:
/// the initialisers, the copies (clone, contiguous, toFloat), and ops whose output is
/// larger than their inputs.
final class AllocatorTests: XCTestCase {
    func message(_ f: () throws -> Any) -> String {
        do { _ = try f(); return "" } catch { return "\(error)" }
    }

    func testByteCapSpelling() {
        XCTAssertEqual(Storage.parseBytes("1024"), 1024)
        XCTAssertEqual(Storage.parseBytes("256M"), 256 << 20)
        XCTAssertEqual(Storage.parseBytes(" 2g "), 2 << 30)
        XCTAssertEqual(Storage.parseBytes("8k"), 8 << 10)
        XCTAssertNil(Storage.parseBytes(""))
        XCTAssertNil(Storage.parseBytes("G"))
        XCTAssertNil(Storage.parseBytes("-1"))
        XCTAssertNil(Storage.parseBytes("1.5G"))
        XCTAssertNil(Storage.parseBytes("99999999999999999999"))
        XCTAssertNil(Storage.parseBytes("9223372036854775807G"))      // overflows
    }

    func testInitialisersThrowPastTheCap() {
        let n = Storage.maxBytes / 8 + 1                               // int64: past the cap
        let m = message { try Tensor(uninitialized: [n], dtype: .int64) }
        XCTAssertTrue(m.hasPrefix("cannot allocate \(n * 8) bytes for a int64 tensor of shape [\(n)] (more than the limit of \(Storage.maxBytes) bytes"), m)
        XCTAssertTrue(message { try Tensor(zeros: [n], dtype: .int64) }.contains("cannot allocate \(n * 8) bytes"))
        XCTAssertTrue(message { try Tensor(zeros: [Int.max, 4]) }.contains("too many elements"))
        XCTAssertTrue(message { try Tensor(zeros: [-1]) }.contains("too many elements"))
        let named = message { try Tensor.allocate([n], dtype: .int64, "mything") }
        XCTAssertTrue(named.hasPrefix("mything: "), named)
        XCTAssertEqual(try Tensor(zeros: [2, 3]).toFloats(), [0, 0, 0, 0, 0, 0])
    }

    /// Tensors made from values in memory throw (never trap) for a bad shape or a count that
    /// does not match it, and copy the values exactly.
    func testValueInitialisersThrow() throws {
        XCTAssertTrue(message { try Tensor(shape: [2, 2], values: [1, 2, 3]) }.contains("3 values for shape [2, 2], which holds 4"))
        XCTAssertTrue(message { try Tensor(shape: [-1], values: []) }.contains("invalid shape"))
        XCTAssertTrue(message { try Tensor(shape: [Int.max, 2], values: [1]) }.contains("too large"))
        XCTAssertTrue(message { try Tensor.int64(shape: [3], values: [1, 2]) }.contains("2 values for shape [3]"))
        XCTAssertEqual(try Tensor(shape: [2], values: [1.5, -2]).toFloats(), [1.5, -2])
        let big = try Tensor.int64(shape: [2], values: [Int64.max, -7])
        XCTAssertEqual(big.withInt64s { [$0[0], $0[1]] }, [Int64.max, -7])
        XCTAssertEqual(try Tensor(shape: [0, 3], values: []).numel, 0)
        XCTAssertEqual(try Tensor(int64: 16_777_217).withInt64s { $0[0] }, 16_777_217)
        XCTAssertEqual(try Tensor(scalar: 2.5).toFloats(), [2.5])
    }

    func testCopiesOfHugeViewsThrow() throws {
        // An int64 expand within the element limit but past the byte cap.
        let one = try Tensor.int64(shape: [1], values: [7])
        let big = try one.expand([Tensor.maxElements])
        XCTAssertGreaterThan(Tensor.maxElements * 8, Storage.maxBytes)
        for (what, f) in [("contiguous", { try big.contiguous() }), ("clone", { try big.clone() })] as [(String, () throws -> Tensor)] {
            XCTAssertTrue(message(f).contains("cannot allocate \(Tensor.maxElements * 8) bytes"), what)
        }
        // Small views still copy, with their values.
        XCTAssertEqual(try one.expand([3]).contiguous().toArray(), [7, 7, 7])
        XCTAssertEqual(try one.expand([2]).toFloat().toFloats(), [7, 7])
    }

    func testSystemAllocatorFailureIsAnError() throws {
        #if TOPIARY_ASAN
        throw XCTSkip("an address-space limit starves AddressSanitizer's shadow memory (Scripts/asan)")
        #endif
        // Within the cap but past the address space: the op's output cannot be mapped.
        var old = rlimit()
        getrlimit(Int32(RLIMIT_AS.rawValue), &old)
        var tight = old
        tight.rlim_cur = 8 << 30
        XCTAssertEqual(setrlimit(Int32(RLIMIT_AS.rawValue), &tight), 0)
        defer { _ = setrlimit(Int32(RLIMIT_AS.rawValue), &old) }
        let n = min(Storage.maxBytes, 10 << 30) / 4
        let view = try Tensor(shape: [1], values: [1]).expand([n])
        let m = message { try view.contiguous() }
        XCTAssertTrue(m.contains("cannot allocate \(n * 4) bytes for a float32 tensor of shape [\(n)] (out of memory)"), m)
        XCTAssertTrue(message { try view.unary(ExpF.self) }.contains("(out of memory)"))
    }

    func testToArrayReadsAnyView() throws {
        let t = try Tensor.arange(0, 6).reshape([2, 3])
        XCTAssertEqual(try t.transpose(0, 1).toFloats(), [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(try t.narrow(1, 1, 2).toArray(), [1, 2, 4, 5])
        XCTAssertEqual(try t.select(0, 1).expand([2, 3]).toFloats(), [3, 4, 5, 3, 4, 5])
        XCTAssertEqual(try Tensor(scalar: 2).toArray(), [2])
        XCTAssertEqual(try Tensor.zeros([0, 3]).toFloats(), [])
        XCTAssertEqual(try Tensor.int64(shape: [2], values: [5, -1]).toFloats(), [5, -1])
    }
}
