import XCTest
@testable import Text

final class JSONTests: XCTestCase {
    func testParsesEveryKind() throws {
        let v = try JSON.parse(#" {"a": [1, -2.5, true, false, null], "b": {"c": "x\ny\u00e9\ud83d\ude00"}, "d": 0} "#)
        XCTAssertEqual(v, .object([("a", .array([.int(1), .double(-2.5), .bool(true), .bool(false), .null])),
                                   ("b", .object([("c", .string("x\nyé😀"))])), ("d", .int(0))]))
        XCTAssertEqual(v["b"]?["c"]?.string, "x\nyé😀")
        XCTAssertEqual(v["a"]?.array?[1].double, -2.5)
        XCTAssertNil(v["missing"])
    }

    func testDoublesRoundTripBitForBit() throws {
        var g = SystemRandomNumberGenerator()
        var values: [Double] = [0.1, 1e-6, 1e300, -0.0, 5e-324, .greatestFiniteMagnitude, .leastNormalMagnitude, 2.0, 1e16, 123456789.125]
        for _ in 0..<2000 {
            let d = Double(bitPattern: g.next())
            if d.isFinite { values.append(d) }
        }
        for d in values {
            let back = try JSON.parse(JSON.double(d).text)
            guard case .double(let r) = back else { return XCTFail("\(d) read back as \(back)") }
            XCTAssertEqual(r.bitPattern, d.bitPattern, "\(d)")
        }
    }

    func testIntegersStayIntegers() throws {
        for i in [0, 1, -1, Int.max, Int.min, 16777217, 1 << 53 + 1] {
            XCTAssertEqual(try JSON.parse(JSON.int(i).text), .int(i))
        }
        // An integral double keeps its fraction so it reads back as a double.
        XCTAssertEqual(JSON.double(3).text, "3.0")
        XCTAssertEqual(try JSON.parse("3.0"), .double(3))
        // Too large for Int: a double.
        XCTAssertEqual(try JSON.parse("100000000000000000000"), .double(1e20))
    }

    func testOutOfRangeNumbersAreErrors() {
        for s in ["1e999999", "-1e400", "1e-999999", "[0.5, 1e309]"] {
            XCTAssertThrowsError(try JSON.parse(s), s) { e in
                XCTAssertTrue("\(e)".contains("out of the range of a double"), "\(e)")
            }
        }
        XCTAssertEqual(try JSON.parse("0e999999"), .double(0))   // zero is zero
        for s in ["NaN", "Infinity", "-Infinity", "nan", "+1", "01", "1.", ".5", "1e", "-"] {
            XCTAssertThrowsError(try JSON.parse(s), s)
        }
    }

    func testNonFiniteDoublesAreWrittenAsNull() {
        XCTAssertEqual(JSON.array([.double(.nan), .double(.infinity)]).text, "[null,null]")
    }

    func testErrorsSayWhere() {
        XCTAssertThrowsError(try JSON.parse("{\n  \"a\": 1,\n  \"b\" 2\n}")) { e in
            XCTAssertEqual("\(e)", "expected ':', found '2' at line 3, column 7")
            XCTAssertEqual((e as? JSONError)?.offset, 18)
        }
        XCTAssertThrowsError(try JSON.parse(#"{"a": 1, "a": 2}"#)) { e in
            XCTAssertEqual("\(e)", "duplicate key 'a' at line 1, column 10")
        }
        XCTAssertThrowsError(try JSON.parse(#"["abc"#)) { e in XCTAssertEqual("\(e)", "unterminated string at line 1, column 2") }
        XCTAssertThrowsError(try JSON.parse("[1] x")) { e in XCTAssertEqual("\(e)", "unexpected text after the JSON value at line 1, column 5") }
        XCTAssertThrowsError(try JSON.parse("\"a\u{1}\"")) { e in XCTAssertTrue("\(e)".hasPrefix("control character")) }
        XCTAssertThrowsError(try JSON.parse(#""\ud800""#)) { e in XCTAssertTrue("\(e)".hasPrefix("unpaired surrogate")) }
        XCTAssertThrowsError(try JSON.parse([0x22, 0xFF, 0x22] as [UInt8])) { e in XCTAssertTrue("\(e)".hasPrefix("invalid UTF-8")) }
        XCTAssertThrowsError(try JSON.parse("")) { e in XCTAssertEqual("\(e)", "expected a value, found the end of the text at line 1, column 1") }
    }

    func testHostileNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 1_000_000) + String(repeating: "]", count: 1_000_000)
        XCTAssertThrowsError(try JSON.parse(deep)) { e in XCTAssertTrue("\(e)".hasPrefix("nested deeper than 256 levels"), "\(e)") }
        let objects = String(repeating: #"{"a":"#, count: 300) + "1" + String(repeating: "}", count: 300)
        XCTAssertThrowsError(try JSON.parse(objects))
        XCTAssertNoThrow(try JSON.parse(objects, limits: .init(depth: 300)))
        XCTAssertThrowsError(try JSON.parse("[1, 2, 3]", limits: .init(bytes: 8))) { e in XCTAssertTrue("\(e)".contains("longer than the limit")) }
    }

    func testWriters() throws {
        let v: JSON = .object([("b", .array([.int(1), .string("x")])), ("a", .object([])), ("c", .array([]))])
        XCTAssertEqual(v.text, #"{"b":[1,"x"],"a":{},"c":[]}"#)
        XCTAssertEqual(v.line, #"{"b": [1, "x"], "a": {}, "c": []}"#)
        XCTAssertEqual(v.indented(2, sortedKeys: true), """
            {
              "a": {},
              "b": [
                1,
                "x"
              ],
              "c": []
            }
            """)
        XCTAssertEqual(v.indented(1), "{\n \"b\": [\n  1,\n  \"x\"\n ],\n \"a\": {},\n \"c\": []\n}")
        XCTAssertEqual(try JSON.parse(v.indented(3)), v)
    }

    func testQuote() throws {
        XCTAssertEqual(JSON.quote("a\"b\\c/d\n\t\r\u{8}\u{C}\u{1}\u{1F}é"), #""a\"b\\c/d\n\t\r\b\f\u0001\u001fé""#)
        var all = ""
        for v in 0..<0x300 { all.unicodeScalars.append(Unicode.Scalar(UInt32(v))!) }
        XCTAssertEqual(try JSON.parse(JSON.quote(all)), .string(all))
    }

    func testLines() {
        XCTAssertEqual(JSON.lines("a\nb\n\nc"), .array([.string("a\n"), .string("b\n"), .string("\n"), .string("c")]))
    }
}

final class EscapeTests: XCTestCase {
    func testXML() {
        XCTAssertEqual(XML.escape("<a href=\"x\">&amp;</a> é"), "&lt;a href=&quot;x&quot;&gt;&amp;amp;&lt;/a&gt; é")
    }

    func testLuaQuoteFollowsPercentQ() {
        XCTAssertEqual(LuaString.quote("a\n\"b\"\\"), #""a\n\"b\"\\""#)
        XCTAssertEqual(LuaString.quote([1, 0x32] as [UInt8]), #""\0012""#)   // byte 1, then "2"
        XCTAssertEqual(LuaString.quote([1, 0x41] as [UInt8]), #""\1A""#)
        XCTAssertEqual(LuaString.quote([0, 0x39, 127] as [UInt8]), #""\0009\127""#)
        XCTAssertEqual(LuaString.quote("é😀"), "\"é😀\"")
        XCTAssertEqual(LuaString.quote([0xFF, 0x31, 0xC3] as [UInt8]), #""\2551\195""#)
    }
}
