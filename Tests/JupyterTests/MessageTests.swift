import Text
import XCTest
@testable import Jupyter

/// The wire format: signing, the delimiter, and every way a message is dropped.
final class MessageTests: XCTestCase {
    let key = HMAC(key: Array("a0436f6c-1916-498b-8eb9-e81ab9368e84".utf8))

    func request() -> Message {
        var m = Message(header: Message.header("execute_request", session: "s1"), content: .object([("code", .string("print(1)"))]))
        m.identities = [[1, 2, 3], Array("client".utf8)]
        m.buffers = [[9, 9]]
        return m
    }

    func testRoundTrip() throws {
        let m = request()
        let frames = m.encode(key: key)
        XCTAssertEqual(frames[2], Array("<IDS|MSG>".utf8))
        XCTAssertEqual(frames[3].count, 64, "hex HMAC-SHA256")
        let back = try Message.decode(frames, key: key)
        XCTAssertEqual(back.identities, m.identities)
        XCTAssertEqual(back.header, m.header)
        XCTAssertEqual(back.content, m.content)
        XCTAssertEqual(back.buffers, [[9, 9]])
        XCTAssertEqual(back.type, "execute_request")
        XCTAssertEqual(back.header["version"]?.string, "5.3")
    }

    /// The signature is the HMAC of the four dictionaries' bytes as sent, so a message
    /// signed by another implementation (here by hand) is accepted.
    func testSignatureOverTheBytesAsSent() throws {
        let parts = [#"{"msg_id":"1","msg_type":"kernel_info_request","session":"x","username":"u","date":"","version":"5.3"}"#,
                     "{}", "{ }", "{}"].map { Array($0.utf8) }
        let frames = [Array("<IDS|MSG>".utf8), Array(key.hex(parts).utf8)] + parts
        XCTAssertEqual(try Message.decode(frames, key: key).type, "kernel_info_request")
    }

    func assertDropped(_ frames: [[UInt8]], _ expected: Message.DecodeError, key: HMAC?, line: UInt = #line) {
        XCTAssertThrowsError(try Message.decode(frames, key: key), line: line) { e in
            XCTAssertEqual(e as? Message.DecodeError, expected, line: line)
        }
    }

    func testDropped() {
        var frames = request().encode(key: key)
        // Wrongly signed: another key, a flipped digit, a changed content, no signature.
        assertDropped(request().encode(key: HMAC(key: Array("other".utf8))), .badSignature, key: key)
        var flipped = frames
        flipped[3][0] = flipped[3][0] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        assertDropped(flipped, .badSignature, key: key)
        var changed = frames
        changed[7] = Array(#"{"code":"os.exit()"}"#.utf8)
        assertDropped(changed, .badSignature, key: key)
        assertDropped(request().encode(key: nil), .badSignature, key: key)
        // Malformed.
        assertDropped(Array(frames.filter { $0 != Array("<IDS|MSG>".utf8) }), .noDelimiter, key: key)
        assertDropped(Array(frames.prefix(6)), .tooFewFrames(3), key: key)
        assertDropped([], .noDelimiter, key: key)
        frames[4] = Array("{not json".utf8)
        frames[3] = Array(key.hex(Array(frames[4...7])).utf8)
        XCTAssertThrowsError(try Message.decode(frames, key: key)) { e in
            guard case .badJSON(let part, _)? = e as? Message.DecodeError else { return XCTFail("\(e)") }
            XCTAssertEqual(part, "header")
        }
        frames[4] = Array("[1, 2]".utf8)
        frames[3] = Array(key.hex(Array(frames[4...7])).utf8)
        assertDropped(frames, .notAnObject("header"), key: key)
        frames[4] = Array(#"{"msg_id": "x"}"#.utf8)
        frames[3] = Array(key.hex(Array(frames[4...7])).utf8)
        assertDropped(frames, .noMessageType, key: key)
        frames[4] = [0xff, 0xfe, 0x7b]
        frames[3] = Array(key.hex(Array(frames[4...7])).utf8)
        XCTAssertThrowsError(try Message.decode(frames, key: key))
        // Deeply nested JSON is refused, not a stack overflow.
        frames[7] = Array((String(repeating: "[", count: 100_000)).utf8)
        frames[4] = Array(#"{"msg_type": "execute_request"}"#.utf8)
        frames[3] = Array(key.hex(Array(frames[4...7])).utf8)
        XCTAssertThrowsError(try Message.decode(frames, key: key))
    }

    /// With an empty key (authentication off) signatures are neither made nor checked.
    func testNoKey() throws {
        let frames = request().encode(key: nil)
        XCTAssertEqual(frames[3], [])
        XCTAssertEqual(try Message.decode(frames, key: nil).type, "execute_request")
    }

    func testReplyKeepsRoutingAndParent() {
        let m = request()
        let r = Message.reply(to: m, "execute_reply", session: "k", content: .object([("status", .string("ok"))]))
        XCTAssertEqual(r.identities, m.identities)
        XCTAssertEqual(r.parentHeader, m.header)
        XCTAssertEqual(r.type, "execute_reply")
        XCTAssertNotEqual(r.header["msg_id"], m.header["msg_id"])
        XCTAssertTrue(r.header["date"]?.string?.hasSuffix("Z") == true)
    }
}
