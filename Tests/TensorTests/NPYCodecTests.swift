import Foundation
import XCTest
@testable import Tensor

final class NPYCodecTests: XCTestCase {
    /// An .npy file from a header dict and raw data, laid out by the format spec:
    /// magic, version, little-endian header length, header padded with spaces to a
    /// multiple of 64 bytes and ended by a newline, then the data.
    func npy(_ dict: String, _ data: [UInt8], version: UInt8 = 1) -> [UInt8] {
        let prefix = version == 1 ? 10 : 12
        var header = Array(dict.utf8)
        while (prefix + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        let n = header.count
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
        out += version == 1 ? [UInt8(n & 0xff), UInt8(n >> 8)] : [UInt8(n & 0xff), UInt8(n >> 8), 0, 0]
        return out + header + data
    }

    func decode(_ b: [UInt8]) throws -> Tensor { try NPYCodec.decode(b, name: "t.npy") }

    func assertError(_ b: [UInt8], _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(b), file: file, line: line) { e in
            let m = (e as? TensorError)?.message ?? ""
            XCTAssertTrue(m.hasPrefix("load: t.npy: ") && m.contains(text), "message: \(m)", file: file, line: line)
        }
    }

    func testEncodeMatchesNumPyByteForByte() throws {
        // np.save(f, np.array([[1, 2], [3, 4.5]], dtype='<f4')) with numpy 2.4: 144 bytes.
        let t = try Tensor(shape: [2, 2], values: [1, 2, 3, 4.5])
        let b = try NPYCodec.encode(t)
        XCTAssertEqual(b.count, 144)
        XCTAssertEqual(Array(b[0..<10]), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00])
        let header = String(decoding: b[10..<128], as: UTF8.self)
        XCTAssertEqual(header, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"
                       + String(repeating: " ", count: 58) + "\n")
        XCTAssertEqual(Array(b[128...]), [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40,
                                          0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x90, 0x40])
    }

    func testRoundTripsThroughAFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = try Tensor(shape: [2, 3], values: [1, -2, .infinity, 0.5, 7, -0])
        let cases: [Tensor] = [f, try f.transpose(0, 1), try Tensor(scalar: 3), try Tensor.zeros([0, 4]),
                               try Tensor.int64(shape: [3], values: [Int64.min, 0, Int64.max])]
        for (k, t) in cases.enumerated() {
            let path = dir.appendingPathComponent("\(k).npy").path
            try t.save(path)
            let r = try Tensor.load(path)
            XCTAssertEqual(r.shape, t.shape)
            XCTAssertEqual(r.dtype, t.dtype)
            if t.dtype == .int64 {
                XCTAssertEqual(Array(UnsafeBufferPointer(start: r.iptr, count: 3)), [Int64.min, 0, Int64.max])
            } else {
                XCTAssertEqual(r.toFloats(), t.toFloats())
            }
        }
        XCTAssertThrowsError(try Tensor.load(dir.appendingPathComponent("missing.npy").path)) { e in
            XCTAssertTrue("\(e)".contains("missing.npy: no such file"))
        }
        XCTAssertThrowsError(try f.save(dir.appendingPathComponent("no/such/dir.npy").path))
    }

    func testHandWrittenFilesOfEveryReadableDtype() throws {
        // float64 1.5 and -2.0, written byte by byte (little-endian IEEE 754).
        let f8 = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
                     [0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0xC0])
        XCTAssertEqual(f8.count % 64, 16)
        let t8 = try decode(f8)
        XCTAssertEqual(t8.dtype, .float32)
        XCTAssertEqual(t8.toFloats(), [1.5, -2])
        // int32 1, -1, 256 -> int64, shape (3, 1), keys in another order, version 2.0
        let i4 = try decode(npy("{'shape': (3, 1), 'fortran_order': False, 'descr': '<i4'}",
                                [1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1, 0, 0], version: 2))
        XCTAssertEqual(i4.dtype, .int64)
        XCTAssertEqual(i4.shape, [3, 1])
        XCTAssertEqual(i4.toArray(), [1, -1, 256])
        // bool, uint8, float16 (bytes from numpy 2.4: [1.5, -0.25, 65504] as '<f2')
        XCTAssertEqual(try decode(npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", [1, 0, 1])).toFloats(), [1, 0, 1])
        XCTAssertEqual(try decode(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", [0, 255])).toFloats(), [0, 255])
        XCTAssertEqual(try decode(npy("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }",
                                      [0x00, 0x3e, 0x00, 0xb4, 0xff, 0x7b])).toFloats(), [1.5, -0.25, 65504])
        // 0-d int64 and an empty array
        let s = try decode(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", [42, 0, 0, 0, 0, 0, 0, 0]))
        XCTAssertEqual(s.shape, [])
        XCTAssertEqual(s.toArray(), [42])
        XCTAssertEqual(try decode(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", [])).shape, [0, 5])
    }

    func testCorruptAndUnsupportedFilesAreClearErrors() throws {
        let ok = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40])
        XCTAssertEqual(try decode(ok).toFloats(), [1, 2])
        assertError(Array(ok.dropLast()), "truncated data")
        assertError(Array(ok.prefix(40)), "truncated header")
        assertError(Array(ok.prefix(5)), "bad magic")
        var bad = ok; bad[1] = 0x4D
        assertError(bad, "bad magic")
        assertError(Array("hello, world".utf8), "bad magic")
        assertError(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", [0, 0, 0, 0]), "Fortran")
        assertError(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0]), "big-endian")
        assertError(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0, 0, 0, 0, 0]), "unsupported dtype '<c8'")
        assertError(npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0, 0, 0, 0, 0]), "unsupported dtype")
        assertError(npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0]), "structured")
        assertError(npy("{'descr': '<f4', 'shape': (1,), }", [0, 0, 0, 0]), "missing fortran_order")
        assertError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, x), }", [0, 0, 0, 0]), "bad shape")
        // A header announcing a huge shape fails before allocating anything.
        assertError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", []), "too large")
        assertError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", []), "bad shape")
        var v9 = ok; v9[6] = 9
        assertError(v9, "unsupported .npy version 9.0")
    }
}
