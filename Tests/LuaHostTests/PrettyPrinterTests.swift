import Bindings
import LuaHost
import XCTest

final class PrettyPrinterTests: XCTestCase {
    let interp = Libraries.makeInterpreter()

    /// Renders the first value returned by `code`.
    func render(_ code: String, _ configure: (inout PrettyPrinter) -> Void = { _ in }) throws -> String {
        let L = interp.lua, base = L.top
        defer { L.setTop(base) }
        try interp.compile(code, name: "=test")
        try interp.call(nargs: 0)
        var pp = PrettyPrinter()
        configure(&pp)
        return pp.render(L, base + 1)
    }

    func testKeysAreSortedAfterTheSequence() throws {
        XCTAssertEqual(try render("return {zeta = 1, alpha = 2, [5] = 'c', 10, 20, ['two words'] = true, [1.5] = 0, [false] = 1}") { $0.width = 120 },
                       #"{10, 20, [1.5] = 0, [5] = "c", alpha = 2, ["two words"] = true, zeta = 1, [false] = 1}"#)
        XCTAssertEqual(try render("return {['end'] = 1, ['9lives'] = 2, _ok = 3}"), #"{["9lives"] = 2, _ok = 3, ["end"] = 1}"#)
        XCTAssertEqual(try render("return {}"), "{}")
    }

    func testDepthLimit() throws {
        let code = "return {a = {b = {c = {d = {e = 1}}}}, top = {}}"
        XCTAssertEqual(try render(code), "{a = {b = {c = {d = {...}}}}, top = {}}")
        XCTAssertEqual(try render(code) { $0.depth = 2 }, "{a = {b = {...}}, top = {}}")
    }

    func testCyclesAreMarkedAndSharedTablesShown() throws {
        XCTAssertEqual(try render("local t = {name = 'root'}; t.self = t; t.kids = {t}; return t"),
                       #"{kids = {<cycle>}, name = "root", self = <cycle>}"#)
        XCTAssertEqual(try render("local s = {1}; return {s, s}"), "{{1}, {1}}")
    }

    func testLongTablesSpanLinesAndManyItemsAreCut() throws {
        XCTAssertEqual(try render("return {name = string.rep('x', 70), n = {1, 2}}"), """
            {
              n = {1, 2},
              name = "\(String(repeating: "x", count: 70))"
            }
            """)
        XCTAssertEqual(try render("return {1, 2, 3, 4, 5, x = 1}") { $0.maxItems = 3 }, "{1, 2, 3, ... (3 more)}")
    }

    func testAtomsReadLikeLua() throws {
        // Numbers as Lua's tostring writes them.
        for expr in ["3", "3.0", "-0.0", "0.1", "1e100", "2^63", "math.pi", "1/0", "-1/0", "math.mininteger"] {
            let lua = try interp.evaluate("return tostring(\(expr))")[0]
            XCTAssertEqual(try render("return {\(expr)}"), "{\(lua)}", expr)
        }
        XCTAssertEqual(try render(#"return {"a\n\"b\"", true, nil, 'x'}"#), #"{"a\n\"b\"", true, [4] = "x"}"#)
        XCTAssertEqual(try render("return 'top-level strings are raw'"), "top-level strings are raw")
        XCTAssertEqual(try render("return {f = print, g = tensor.zeros, h = function() end}"),
                       "{f = <function builtin>, g = <function zeros>, h = <function test:1>}")
    }

    func testTensorsAndObjects() throws {
        XCTAssertEqual(try render("return {w = tensor.zeros(2, 3), n = 1}"), "{n = 1, w = <tensor float32 [2, 3]>}")
        XCTAssertEqual(try render("return tensor.new{{1, 2}, {3, 4}}"), "[[1. 2.]\n [3. 4.]]\n[float32 tensor, shape [2, 2]]")
        XCTAssertEqual(try render("return {setmetatable({}, {__tostring = function() return 'Obj\\nline 2' end})}"), "{Obj …}")
        XCTAssertEqual(try render("return {setmetatable({}, {__tostring = function() error('no') end})}"),
                       "{<table: __tostring failed>}")
        XCTAssertEqual(try render("return setmetatable({x = 1}, {__name = 'Point'})"), "Point{x = 1}")
        XCTAssertEqual(try render("return setmetatable({}, {__tostring = function() return 'Obj\\nline 2' end})"), "Obj\nline 2",
                       "at the top level the whole text")
    }

    func testColour() throws {
        XCTAssertEqual(try render("return {1, 'a', true}") { $0.colour = true },
                       "{\u{1B}[36m1\u{1B}[0m, \u{1B}[32m\"a\"\u{1B}[0m, \u{1B}[35mtrue\u{1B}[0m}")
    }

    func testSummaries() throws {
        let L = interp.lua, base = L.top
        defer { L.setTop(base) }
        try interp.compile("""
            local closed = tensor.ones(1); getmetatable(closed).__close(closed)
            return tensor.zeros(4, 5), {1, 2, a = 3}, {}, 'abc', 2.5, closed, tensor.sum
            """, name: "=test")
        try interp.call(nargs: 0)
        let got = (1...7).map { PrettyPrinter.summary(L, base + Int32($0)) }
        XCTAssertEqual(got, ["tensor float32 [4, 5]", "table (2 items, 1 field)", "table (empty)", #"string "abc""#,
                             "number 2.5", "tensor (closed)", "function sum"])
    }
}
