import Foundation
import XCTest
@testable import Data
import Tensor

final class NPYTests: DataTestCase {
    /// A version-1 .npy file with the given header dict and data.
    func npy(_ dict: String, _ data: [UInt8], version: UInt8 = 1) -> [UInt8] {
        var h = Array(dict.utf8)
        let pre = version == 1 ? 10 : 12
        h += Array(repeating: UInt8(ascii: " "), count: (64 - (pre + h.count + 1) % 64) % 64) + [10]
        let len = version == 1 ? le(UInt64(h.count), 2) : le(UInt64(h.count), 4)
        return [0x93] + Array("NUMPY".utf8) + [version, 0] + len + h + data
    }

    func testTypesOrdersAndVersions() throws {
        let f4 = [Float(1.5), -2, 0.25, 8].flatMap { le(UInt64($0.bitPattern), 4) }
        let t = try NPY.parse(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", f4), context: "t")
        XCTAssertEqual(t.shape, [2, 2])
        XCTAssertEqual(t.toFloats(), [1.5, -2, 0.25, 8])
        // Fortran order: the same bytes are the transpose.
        let ft = try NPY.parse(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", f4), context: "t")
        XCTAssertEqual(ft.toFloats(), [1.5, 0.25, -2, 8])
        let i8 = try NPY.parse(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                                   [Int64(-5), 7, 1 << 40].flatMap { le(UInt64(bitPattern: $0), 8) }, version: 2), context: "t")
        XCTAssertEqual(i8.dtype, .int64)
        XCTAssertEqual(i8.toArray(), [-5, 7, 1_099_511_627_776])
        let be = try NPY.parse(npy("{'descr': '>i2', 'fortran_order': False, 'shape': (1,), }", [0xFF, 0xFE]), context: "t")
        XCTAssertEqual(be.toArray(), [-2])
        let scalar = try NPY.parse(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", le(0.5.bitPattern, 8)), context: "t")
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(try scalar.item(), 0.5)
        let p = write("u1.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", [255, 3]))
        XCTAssertEqual(try NPY.read(p).toArray(), [255, 3])
    }

    func testTruncatedAndCorruptNPY() throws {
        let good = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", [UInt8](repeating: 0, count: 12))
        assertError(try NPY.parse(Array(good.dropLast(4)), context: "load: x.npy"), "load: x.npy", "truncated", "needs 12 bytes", "has 8")
        assertError(try NPY.parse(Array(good.prefix(30)), context: "f"), "truncated", "header")
        assertError(try NPY.parse([1, 2, 3, 4, 5, 6, 7, 8, 9], context: "f"), "not a .npy file")
        assertError(try NPY.parse(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", [UInt8](repeating: 0, count: 8)), context: "f"),
                    "unsupported dtype 'c8'")
        assertError(try NPY.parse(npy("{'descr': '<f4', 'shape': (1,), }", [0, 0, 0, 0]), context: "f"), "no 'fortran_order'")
        assertError(try NPY.parse(good + [0], context: "f"), "1 bytes after the data")
    }
}
