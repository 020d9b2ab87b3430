import Bindings
import CLua
import LuaHost
import XCTest

final class CompletionTests: XCTestCase {
    let interp = Libraries.makeInterpreter()

    func complete(_ line: String) -> [String] { Completion.candidates(interp.lua, line: line).candidates }

    func testGlobalsAndKeywords() throws {
        try interp.run("weights = 1; weight_decay = 2")
        XCTAssertEqual(complete("x = weig"), ["weight_decay", "weights"])
        XCTAssertEqual(complete("whi"), ["while"])
        XCTAssertTrue(complete("pri").contains("print"))
        XCTAssertEqual(Completion.candidates(interp.lua, line: "print(weig").word, "weig")
    }

    func testModuleFieldsAndTensorMethods() throws {
        XCTAssertTrue(complete("tensor.zer").contains("zeros"))
        XCTAssertTrue(complete("tensor.zer").allSatisfy { $0.hasPrefix("zer") })
        XCTAssertEqual(complete("string.for"), ["format"])
        try interp.run("x = tensor.ones(2); s = 'abc'")
        XCTAssertEqual(complete("= x:nume"), ["numel"])
        XCTAssertEqual(complete("x.nume"), ["numel"])
        XCTAssertEqual(complete("s:upp"), ["upper"])
        XCTAssertTrue(complete("x:").contains("sum"))
    }

    func testColonOffersOnlyFunctionsAndFollowsIndexTables() throws {
        try interp.run("""
            t = {a = 1, f = function() end, sub = {deep = 1}}
            Base = {greet = function() end, __secret = 1}
            obj = setmetatable({own = 1}, {__index = Base})
            """)
        XCTAssertEqual(complete("t:"), ["f"])
        XCTAssertEqual(complete("t."), ["a", "f", "sub"])
        XCTAssertEqual(complete("t.sub.d"), ["deep"])
        XCTAssertEqual(complete("obj."), ["greet", "own"])
        XCTAssertEqual(complete("obj.__s"), ["__secret"])
    }

    func testNoCodeRuns() throws {
        try interp.run("""
            probe = setmetatable({}, {__index = function(t, k) hit = k; return {} end})
            function f() hit = 'called' end
            """)
        XCTAssertEqual(complete("probe.x"), [])
        XCTAssertEqual(complete("probe.a.b"), [])
        XCTAssertEqual(complete("f().x"), [])
        XCTAssertEqual(try interp.evaluate("return hit"), ["nil"])
    }

    func testNothingInsideStringsCommentsOrAfterNumbers() {
        XCTAssertEqual(complete("print(\"tensor.ze"), [])
        XCTAssertEqual(complete("x = 1 -- tensor.ze"), [])
        XCTAssertEqual(complete("x = 3.1"), [])
        XCTAssertEqual(complete("t[1].x"), [])
        XCTAssertEqual(complete("nosuch.x"), [])
    }

    func testUserdataMethodsFromTheRegistryConvention() throws {
        let L = interp.lua
        L.pushMetatable("widget")
        L.pop()
        L.newTable()
        L.push(LuaFunction("spin", doc: "w:spin(n) -> widget\nSpins.") { _ in 0 })
        L.setField(-2, "spin")
        L.setField(clua_registryindex(), "topiary.methods.widget")
        L.pushObject(NSObject(), as: "widget")
        L.setGlobal("w")
        XCTAssertEqual(complete("w:sp"), ["spin"])
        XCTAssertTrue(Help.text(L, pushing: "w").contains("spin  w:spin(n) -> widget"))
    }

    func testLexer() {
        XCTAssertEqual(Lexer.trailingName("print(x:su"), "x:su")
        XCTAssertEqual(Lexer.trailingName("a.b."), "a.b.")
        XCTAssertNil(Lexer.trailingName("f().x"))
        XCTAssertNil(Lexer.trailingName("'abc"))
        XCTAssertEqual(Lexer.splitName("tensor.zeros")?.map(\.name), ["tensor", "zeros"])
        XCTAssertEqual(Lexer.splitName("x:")?.map(\.name), ["x", ""])
        XCTAssertNil(Lexer.splitName("a..b"))
        XCTAssertTrue(Lexer.isIdentifier("_x1"))
        XCTAssertFalse(Lexer.isIdentifier("end"))
        XCTAssertFalse(Lexer.isIdentifier("1x"))
    }
}

extension Help {
    /// Help for the global `name` (test helper).
    static func text(_ L: Lua, pushing name: String) -> String {
        L.getGlobal(name)
        defer { L.pop() }
        return text(L, -1)
    }
}
