import XCTest
import Bindings
import LuaHost
@testable import Tensor

final class InterpreterTests: XCTestCase {
    func testErrorsAreValuesAndTheStateGoesOn() throws {
        let interp = Libraries.makeInterpreter()
        XCTAssertThrowsError(try interp.run("tensor.zeros(2, 3):narrow(2, nil, 3)")) { e in
            XCTAssertTrue("\(e)".contains("bad argument #2 to 'narrow' (number expected, got nil)"), "\(e)")
            XCTAssertTrue("\(e)".contains("stack traceback"), "\(e)")
        }
        XCTAssertEqual(try interp.evaluate("return 1 + 1"), ["2"])
    }

    func testTracebackCarriesFileAndLine() throws {
        let interp = Libraries.makeInterpreter()
        XCTAssertThrowsError(try interp.run("local x = 1\nlocal y = tensor.ones(2) + tensor.ones(3)", name: "@exp.lua")) { e in
            XCTAssertTrue("\(e)".hasPrefix("exp.lua:2: add: shapes [2] and [3] cannot broadcast"), "\(e)")
        }
    }

    func testBigAllocationsInALoopStayBounded() throws {
        let interp = Libraries.makeInterpreter()
        // 1000 x 4 MB = 4 GB allocated in total; the collector must keep up.
        try interp.run("for i = 1, 1000 do local t = tensor.zeros(1024, 1024) end")
        XCTAssertLessThan(Storage.liveBytes, 600 << 20)
    }

    func testUseAfterCloseIsAnError() throws {
        let interp = Libraries.makeInterpreter()
        XCTAssertThrowsError(try interp.run("local t <close> = tensor.ones(2); getmetatable(t).__close(t); return t:sum()")) { e in
            XCTAssertTrue("\(e)".contains("tensor was closed"), "\(e)")
        }
    }
}
