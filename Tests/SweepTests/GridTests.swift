import XCTest
@testable import Sweep

/// Grid expansion: its documented order, folder names, and bad grids.
final class GridTests: XCTestCase {
    func testOrderIsSortedNamesLastFastest() throws {
        let grid: [(name: String, values: [SweepValue])] = [("seed", [.int(1), .int(2)]), ("criterion", [.string("l1"), .string("fpgm")]),
                                                             ("ratio", [.double(0.3), .double(0.5), .double(0.7)])]
        let points = try Grid.expand(grid)
        XCTAssertEqual(points.count, 12)
        XCTAssertEqual(points.map(\.index), Array(0..<12))
        XCTAssertEqual(points[0].name, "criterion=l1,ratio=0.3,seed=1")
        XCTAssertEqual(points[1].name, "criterion=l1,ratio=0.3,seed=2")
        XCTAssertEqual(points[2].name, "criterion=l1,ratio=0.5,seed=1")
        XCTAssertEqual(points[6].name, "criterion=fpgm,ratio=0.3,seed=1", "values keep the listed order, not sorted")
        XCTAssertEqual(points[11].name, "criterion=fpgm,ratio=0.7,seed=2")
        XCTAssertEqual(points[5].params.map(\.name), ["criterion", "ratio", "seed"])
        XCTAssertEqual(points[5].params.map(\.value), [.string("l1"), .double(0.7), .int(2)])
        XCTAssertEqual(try Grid.expand(grid.reversed()), points, "the order does not depend on how the grid was listed")
    }

    func testLuaLiteralsKeepTypes() {
        XCTAssertEqual(SweepValue.int(3).luaLiteral, "3")
        XCTAssertEqual(SweepValue.double(2).luaLiteral, "2.0")
        XCTAssertEqual(SweepValue.double(1e-5).luaLiteral, "1e-05")
        XCTAssertEqual(SweepValue.string("l1").luaLiteral, "\"l1\"")
        XCTAssertEqual(SweepValue.string("1").luaLiteral, "\"1\"", "a string that looks like a number stays a string")
        XCTAssertEqual(SweepValue.string("a\nb").luaLiteral, "\"a\\nb\"")
        XCTAssertEqual(SweepValue.bool(true).luaLiteral, "true")
    }

    func testBadGrids() {
        XCTAssertThrowsError(try Grid.expand([])) { XCTAssertTrue("\($0)".contains("the grid is empty")) }
        XCTAssertThrowsError(try Grid.expand([("ratio", [])])) { XCTAssertTrue("\($0)".contains("grid 'ratio' is an empty list"), "\($0)") }
        XCTAssertThrowsError(try Grid.expand([("ratio", [.double(0.5), .double(0.5)])])) {
            XCTAssertTrue("\($0)".contains("grid points 0 and 1 would share the task folder 'ratio=0.5'"), "\($0)")
        }
        XCTAssertThrowsError(try Grid.expand([("ratio", [.int(1), .double(2), .double(1)])])) {
            XCTAssertTrue("\($0)".contains("sweep: grid 'ratio' lists 1 and 1.0, one value in Lua (1 == 1.0): give it once"), "\($0)")
        }
        XCTAssertThrowsError(try Grid.expand([("ratio", [.double(-0.0), .int(0)])], file: nil)) {
            XCTAssertEqual("\($0)", "grid 'ratio' lists -0.0 and 0, one value in Lua (-0.0 == 0): give it once")
        }
        XCTAssertEqual(try Grid.expand([("ratio", [.int(1), .double(1.5), .string("1.0")])]).count, 3)
        XCTAssertThrowsError(try Grid.expand([("name", [.string("a/b"), .string("a_b")])])) {
            XCTAssertTrue("\($0)".contains("share the task folder 'name=a_b'"), "\($0)")
        }
        let many: [SweepValue] = (0..<1001).map { SweepValue.int($0) }
        XCTAssertThrowsError(try Grid.expand([("a", many), ("b", many)])) {
            XCTAssertTrue("\($0)".contains("more than 1000000 points"), "\($0)")
        }
        XCTAssertThrowsError(try Grid.expand([("x", [.string(String(repeating: "y", count: 300))])])) {
            XCTAssertTrue("\($0)".contains("longer than 255 bytes"), "\($0)")
        }
    }

    func testFolderNamesAreSafe() throws {
        let p = try Grid.expand([("path", [.string("../etc passwd")]), ("on", [.bool(false)])])
        XCTAssertEqual(p[0].name, "on=false,path=.._etc_passwd")
        XCTAssertFalse(p[0].name.contains("/"))
        XCTAssertEqual(try Grid.expand([("s", [.string("")])])[0].name, "s=_")
    }
}
