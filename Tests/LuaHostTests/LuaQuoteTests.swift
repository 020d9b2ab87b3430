import Bindings
import CLua
import LuaHost
import Text
import XCTest

/// `LuaString.quote` and the printer's strings read back through Lua's own `load`.
final class LuaQuoteTests: XCTestCase {
    let interp = Libraries.makeInterpreter()

    /// The bytes of global `name`.
    func bytes(_ name: String) -> [UInt8] {
        let L = interp.lua
        defer { L.pop() }
        _ = L.getGlobal(name)
        var len = 0
        let p = lua_tolstring(L.state, -1, &len)!
        return Array(UnsafeRawBufferPointer(start: p, count: len))
    }

    /// True if Lua reads `literal` back as the value of global `name`.
    func readsBack(_ literal: String, as name: String) throws -> Bool {
        interp.lua.push(literal)
        interp.lua.setGlobal("literal")
        return try interp.evaluate("return load('return ' .. literal)() == \(name)", name: "=test") == ["true"]
    }

    func testEveryByteAndEveryDigitFollowingEscapeReadsBack() throws {
        try interp.run("""
            local all, pairs = {}, {}
            for b = 0, 255 do
              all[#all + 1] = string.char(b)
              for _, d in ipairs({"0", "2", "9", "a"}) do pairs[#pairs + 1] = string.char(b) .. d end
            end
            s_all = table.concat(all)
            s_pairs = table.concat(pairs, "|")
            s_one_two = "\\1" .. "2"
            s_utf8 = "é😀\\xC3(\\xF0\\x9F"
            """)
        for name in ["s_all", "s_pairs", "s_one_two", "s_utf8"] {
            let q = LuaString.quote(bytes(name))
            XCTAssertTrue(try readsBack(q, as: name), "\(name): \(q)")
        }
        // Each byte on its own, then followed by a digit.
        for b in 0...255 {
            for tail in [[], [UInt8(ascii: "1")], [UInt8(ascii: "7"), UInt8(ascii: "7")]] as [[UInt8]] {
                let value = [UInt8(b)] + tail
                try interp.run("expected = " + LuaString.quote(value))
                XCTAssertEqual(bytes("expected"), value, "byte \(b) + \(tail)")
            }
        }
        XCTAssertEqual(LuaString.quote(bytes("s_one_two")), #""\0012""#, "not \\12, a form feed")
    }

    func testThePrinterQuotesStringsInTablesTheSameWay() throws {
        try interp.run(#"t = {"\1" .. "2", ["k\0" .. "9"] = "\255" .. "1"}"#)
        let L = interp.lua
        _ = L.getGlobal("t")
        defer { L.pop() }
        let text = PrettyPrinter().render(L, -1)
        XCTAssertEqual(text, #"{"\0012", ["k\0009"] = "\2551"}"#)
        try interp.run("back = load('return ' .. \(LuaString.quote(text)))()")
        XCTAssertEqual(try interp.evaluate(#"return back[1] == "\1" .. "2" and back["k\0" .. "9"] == "\255" .. "1""#), ["true"])
    }
}
