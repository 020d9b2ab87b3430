import XCTest
import Text

/// FNV-1a 64 against the published test vectors (Fowler, Noll and Vo's reference table).
final class FNV1aTests: XCTestCase {
    func testKnownValues() {
        XCTAssertEqual(FNV1a.hash(""), 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(FNV1a.hash("a"), 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(FNV1a.hash("foobar"), 0x8594_4171_f739_67e8)
        XCTAssertEqual(FNV1a.hex("a"), "af63dc4c8601ec8c")
        XCTAssertEqual(FNV1a.hex("").count, 16)
    }
}
