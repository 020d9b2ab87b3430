import XCTest
@testable import NN
@testable import Tensor

/// Cycles and nesting depth are refused when a container takes a child; printing a
/// deep tree takes time linear in its text.
final class NestingTests: XCTestCase {
    func testCyclesAreRefused() throws {
        let s = Sequential([ReLU()])
        XCTAssertThrowsError(try s.append(s)) { XCTAssertTrue("\($0)".contains("cannot contain itself")) }
        let r = try Residual(body: s)
        XCTAssertThrowsError(try s.append(r)) { XCTAssertTrue("\($0)".contains("cannot contain itself")) }
        XCTAssertThrowsError(try s.replace("0", with: try Concat([r]))) { XCTAssertTrue("\($0)".contains("cannot contain itself")) }
        XCTAssertEqual(s.children.count, 1)
        // A replaced child no longer counts as a parent link.
        let inner = Sequential([ReLU()])
        try s.replace("0", with: inner)
        try s.replace("0", with: Identity())
        XCTAssertNoThrow(try inner.append(s))
    }

    func testDepthIsBoundedBottomUpAndTopDown() throws {
        var m: any Module = ReLU()
        for _ in 0..<Nesting.maxDepth { m = try Sequential(named: [("0", m)]) }
        XCTAssertThrowsError(try Sequential(named: [("0", m)])) { XCTAssertTrue("\($0)".contains("nested more than")) }
        let root = Sequential()
        var cur = root
        for _ in 1..<Nesting.maxDepth { let n = Sequential(); try cur.append(n); cur = n }
        XCTAssertThrowsError(try cur.append(Sequential([ReLU()])))
        XCTAssertNoThrow(try cur.append(ReLU()))
        XCTAssertThrowsError(try Nesting.checkJSONDepth(String(repeating: "[", count: 3 * Nesting.maxDepth + 9), "t"))
        XCTAssertNoThrow(try Nesting.checkJSONDepth("[\"[[[[\"]" + String(repeating: "[]", count: 5000), "t"))
    }

    func testDescriptionIsLinearInItsText() {
        // Swift-built trees skip the depth check (Sequential(_:) cannot throw): 2,000
        // levels took minutes when each level re-indented the text below it.
        var m: any Module = ReLU()
        for _ in 0..<2000 { m = Sequential([m, Identity()]) }
        let start = Date()
        let text = m.description
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertEqual(text.split(separator: "\n").count, 2000 * 3 + 1)
        XCTAssertTrue(text.hasSuffix("\n)"))
        XCTAssertEqual(Sequential([Sequential([ReLU()])]).description,
                       "Sequential(\n  (0): Sequential(\n    (0): ReLU()\n  )\n)")
    }
}
