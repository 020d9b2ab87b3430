import XCTest
@testable import Jupyter

/// SHA-256 against the FIPS 180-4 examples, HMAC-SHA256 against RFC 4231's test cases.
final class SignatureTests: XCTestCase {
    func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    func testSHA256FIPSExamples() {
        XCTAssertEqual(hex(SHA256.hash(bytes("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex(SHA256.hash([UInt8]())), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex(SHA256.hash(bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(hex(SHA256.hash(bytes("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"))),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        XCTAssertEqual(hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000))),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Feeding the message in pieces of every size up to two blocks gives the same digest
    /// (the buffering across block boundaries).
    func testSHA256Incremental() {
        let message = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let whole = SHA256.hash(message)
        for piece in 1...130 {
            var h = SHA256()
            var k = 0
            while k < message.count {
                h.update(message[k..<min(k + piece, message.count)])
                k += piece
            }
            XCTAssertEqual(h.finish(), whole, "pieces of \(piece) bytes")
        }
    }

    func testHMACRFC4231() {
        let cases: [([UInt8], [UInt8], String)] = [
            ([UInt8](repeating: 0x0b, count: 20), bytes("Hi There"),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (bytes("Jefe"), bytes("what do ya want for nothing?"),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
             "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            (Array(1...25), [UInt8](repeating: 0xcd, count: 50),
             "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            ([UInt8](repeating: 0x0c, count: 20), bytes("Test With Truncation"),
             "a3b6167473100ee06e0c796c2955552bfa6f7c0a6a8aef8b93f860aab0cd20c5"),
            ([UInt8](repeating: 0xaa, count: 131), bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            ([UInt8](repeating: 0xaa, count: 131),
             bytes("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        ]
        for (n, (key, data, expected)) in cases.enumerated() {
            XCTAssertEqual(HMAC(key: key).hex([data]), expected, "RFC 4231 test case \(n + 1)")
        }
        // The parts of a message are MACed as one concatenation.
        let mac = HMAC(key: bytes("Jefe"))
        XCTAssertEqual(mac.hex([bytes("what do ya "), bytes("want for "), bytes("nothing?")]), cases[1].2)
    }

    func testConstantTimeEqual() {
        XCTAssertTrue(HMAC.constantTimeEqual(bytes("abc"), bytes("abc")))
        XCTAssertFalse(HMAC.constantTimeEqual(bytes("abc"), bytes("abd")))
        XCTAssertFalse(HMAC.constantTimeEqual(bytes("abc"), bytes("ab")))
    }
}
