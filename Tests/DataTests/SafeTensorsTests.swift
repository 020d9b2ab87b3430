import Foundation
import XCTest
@testable import Data
import Tensor

final class SafeTensorsTests: DataTestCase {
    /// A file assembled by hand from the spec: length, JSON, data.
    func file(_ header: String, _ data: [UInt8], pad: Bool = true) -> [UInt8] {
        var h = Array(header.utf8)
        if pad { h += Array(repeating: UInt8(ascii: " "), count: (8 - h.count % 8) % 8) }
        return le(UInt64(h.count), 8) + h + data
    }

    func u16(_ v: [UInt16]) -> [UInt8] { v.flatMap { le(UInt64($0), 2) } }

    func testReadsEveryDtypeWrittenByHand() throws {
        let f16 = u16([0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x7C00])      // 1, -2, 0.5, 65504, 2^-24, inf
        let bf16 = u16([0x3F80, 0xC000, 0x4049])                              // 1, -2, 3.140625
        let f64 = [0.1, -2.5].flatMap { le($0.bitPattern, 8) }
        let i64 = [Int64(-3), 1 << 40].flatMap { le(UInt64(bitPattern: $0), 8) }
        let i32 = le(UInt64(UInt32(bitPattern: -7)), 4), u8: [UInt8] = [255, 0], f32 = le(UInt64(Float(0.75).bitPattern), 4)
        // Data order: i64 (16) f64 (16) f16 (12) bf16 (6) i32 (4) u8 (2) f32 (4); keys in another order.
        let header = """
        {"h":{"dtype":"F16","shape":[2,3],"data_offsets":[32,44]},"__metadata__":{"format":"pt","note":"a \\"q\\" \\u00e9"},\
        "b":{"dtype":"BF16","shape":[3],"data_offsets":[44,50]},"l":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},\
        "d":{"dtype":"F64","shape":[2,1],"data_offsets":[16,32]},"i":{"dtype":"I32","shape":[],"data_offsets":[50,54]},\
        "u":{"dtype":"U8","shape":[2],"data_offsets":[54,56]},"f":{"dtype":"F32","shape":[1],"data_offsets":[56,60]},\
        "e":{"dtype":"F32","shape":[0,4],"data_offsets":[60,60]}}
        """
        let st = try SafeTensors.decode(file(header, i64 + f64 + f16 + bf16 + i32 + u8 + f32), context: "t")
        XCTAssertEqual(st.entries.map(\.name), ["l", "d", "h", "b", "i", "u", "f", "e"])
        XCTAssertEqual(st.metadata, ["format": "pt", "note": "a \"q\" é"])
        XCTAssertEqual(st["h"]!.shape, [2, 3])
        XCTAssertEqual(st["h"]!.toFloats(), [1, -2, 0.5, 65504, 0x1p-24, .infinity])
        XCTAssertEqual(st["b"]!.toFloats(), [1, -2, 3.140625])
        XCTAssertEqual(st["d"]!.toFloats(), [0.1, -2.5])
        XCTAssertEqual(st["d"]!.shape, [2, 1])
        XCTAssertEqual(st["l"]!.dtype, .int64)
        XCTAssertEqual(st["l"]!.toArray(), [-3, 1_099_511_627_776])
        XCTAssertEqual(st["i"]!.shape, [])
        XCTAssertEqual(st["i"]!.toArray(), [-7])
        XCTAssertEqual(st["u"]!.toArray(), [255, 0])
        XCTAssertEqual(st["f"]!.toFloats(), [0.75])
        XCTAssertEqual(st["e"]!.shape, [0, 4])
        XCTAssertEqual(st.entries.first { $0.name == "b" }!.type, .bf16)
    }

    func testWriteRoundTripLayoutAndAtomicity() throws {
        let w = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let tr = try w.transpose(0, 1)                                  // non-contiguous: written row-major
        let n = try Tensor.int64(shape: [], values: [42])
        let path = dir + "/m.safetensors"
        try SafeTensors.write(path, [("w", w), ("wt", tr), ("bn.num_batches_tracked", n)], metadata: ["arch": "x"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["m.safetensors"])
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let hlen = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual(hlen % 8, 0, "header padded to 8 bytes")
        let header = String(decoding: bytes[8..<(8 + hlen)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":{"arch":"x"},"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]}"#), header)
        XCTAssertTrue(header.contains(#""wt":{"dtype":"F32","shape":[3,2],"data_offsets":[32,56]}"#), header)
        XCTAssertEqual(try SafeTensors.encode([("w", w), ("wt", tr), ("bn.num_batches_tracked", n)], metadata: ["arch": "x"]), bytes)
        let back = try SafeTensors.read(path)
        XCTAssertEqual(back["wt"]!.toFloats(), [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(back["w"]!.toFloats(), w.toFloats())
        XCTAssertEqual(back["bn.num_batches_tracked"]!.toArray(), [42])
        XCTAssertEqual(back.metadata, ["arch": "x"])
        // A failed write leaves the old file and no temporary behind.
        assertError(try SafeTensors.write(path, [("a", w), ("a", w)]), "duplicate tensor name 'a'")
        assertError(try SafeTensors.write(dir + "/no/such/dir/x.safetensors", [("a", w)]), "cannot write")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["m.safetensors"])
        XCTAssertEqual(try SafeTensors.read(path)["w"]!.toFloats(), w.toFloats())
    }

    func testTruncatedAndCorruptFiles() throws {
        let ok = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        let data = [UInt8](repeating: 0, count: 12)
        XCTAssertNoThrow(try SafeTensors.decode(file(ok, data), context: "t"))
        assertError(try SafeTensors.decode(Array(file(ok, data).dropLast()), context: "load_safetensors: m"),
                    "load_safetensors: m", "truncated: the tensors need 12 bytes", "has 11")
        assertError(try SafeTensors.decode(file(ok, data) + [0], context: "t"), "corrupt: the file goes on after the last tensor's data")
        assertError(try SafeTensors.decode([1, 2, 3], context: "t"), "truncated", "too short")
        assertError(try SafeTensors.decode(le(1 << 40, 8) + data, context: "t"), "header length 1099511627776 is implausible")
        assertError(try SafeTensors.decode(le(500, 8) + Array(ok.utf8), context: "t"), "truncated: the header length says 500")
        assertError(try SafeTensors.decode(file("[1]", []), context: "t"), "does not start with '{'")
        assertError(try SafeTensors.decode(file(#"{"a":{"dtype":"F32""#, []), context: "t"), "corrupt header JSON")
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        assertError(try SafeTensors.decode(file(overlap, data), context: "t"), "'a' and 'b' overlap")
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        assertError(try SafeTensors.decode(file(gap, data), context: "t"), "gap of 4 bytes before tensor 'b'")
        let size = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        assertError(try SafeTensors.decode(file(size, data), context: "t"), "tensor 'a' (F32 [3]) needs 12 bytes, its data_offsets [0, 8] hold 8")
        let dtype = #"{"a":{"dtype":"F8_E4M3","shape":[12],"data_offsets":[0,12]}}"#
        assertError(try SafeTensors.decode(file(dtype, data), context: "t"), "tensor 'a': unsupported dtype 'F8_E4M3'")
        let meta = #"{"__metadata__":{"k":1},"a":{"dtype":"U8","shape":[12],"data_offsets":[0,12]}}"#
        assertError(try SafeTensors.decode(file(meta, data), context: "t"), "__metadata__ value 'k' must be a string")
        let dup = #"{"a":{"dtype":"U8","shape":[12],"data_offsets":[0,12]},"a":{"dtype":"U8","shape":[12],"data_offsets":[0,12]}}"#
        assertError(try SafeTensors.decode(file(dup, data), context: "t"), "duplicate key 'a'")
        let neg = #"{"a":{"dtype":"U8","shape":[-12],"data_offsets":[0,12]}}"#
        assertError(try SafeTensors.decode(file(neg, data), context: "t"), "shape must hold non-negative integers")
        let back = #"{"a":{"dtype":"U8","shape":[12],"data_offsets":[12,0]}}"#
        assertError(try SafeTensors.decode(file(back, data), context: "t"), "begin <= end")
        let missing = #"{"a":{"dtype":"U8","shape":[12]}}"#
        assertError(try SafeTensors.decode(file(missing, data), context: "t"), "tensor 'a' has no 'data_offsets'")
    }

    /// Files read from disk: the header first, then only the data it claims. A gzip file
    /// inflating far past its tensors is refused after one byte more (its 64 MB of zeros are
    /// never inflated), a header claiming more than the file can hold before any data is
    /// read; devices and FIFOs are refused by type (/dev/zero would be read until memory
    /// runs out, a FIFO without a writer forever).
    func testReadsOnlyWhatTheHeaderClaims() throws {
        let ok = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let good = file(ok, [UInt8](repeating: 0, count: 8))
        let gz = dir + "/good.safetensors.gz"
        try FileBytes.writeGzip(gz, good)
        XCTAssertEqual(try SafeTensors.read(gz)["a"]?.shape, [2])
        let bomb = dir + "/bomb.safetensors"
        try FileBytes.writeGzip(bomb, good + [UInt8](repeating: 0, count: 64 << 20))
        XCTAssertLessThan(FilePath(bomb).fileSize ?? .max, 1 << 20)
        assertError(try SafeTensors.read(bomb), "bomb.safetensors", "the file goes on after the last tensor's data")
        let huge = #"{"a":{"dtype":"F32","shape":[262144,1048576],"data_offsets":[0,1099511627776]}}"#
        let claims = write("claims.safetensors", file(huge, [1, 2, 3, 4]))
        assertError(try SafeTensors.read(claims), "the header's tensors need 1099511627776 bytes of data", "cannot hold them")
        assertError(try SafeTensors.read("/dev/zero"), "load_safetensors: /dev/zero is a device, expected a regular file")
        let fifo = dir + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        assertError(try SafeTensors.read(fifo), "is a FIFO (named pipe), expected a regular file")
        assertError(try SafeTensors.read(dir), "is a directory")
    }

    /// The ResNet-56 exported from PyTorch in ../shared/bench. Reference values read
    /// with Python's json + numpy.frombuffer from the same file.
    func testReadsPyTorchExport() throws {
        let path = "/work/shared/bench/resnet56_seed0.safetensors"
        guard FileBytes.exists(path) else { throw XCTSkip("\(path) not present") }
        let st = try SafeTensors.read(path)
        XCTAssertEqual(st.entries.count, 332)
        XCTAssertEqual(st.entries.filter { $0.type == .f32 }.reduce(0) { $0 + $1.tensor.numel }, 857082)
        XCTAssertTrue(st.metadata["info"]?.contains("resnet56-cifar10-optionA") ?? false)
        func check(_ k: String, _ shape: [Int], _ first: [Float], _ last: Float, _ sum: Double) throws {
            let t = try XCTUnwrap(st[k], k)
            XCTAssertEqual(t.shape, shape, k)
            XCTAssertEqual(Array(t.toFloats().prefix(3)), first, k)
            XCTAssertEqual(t.toFloats().last, last, k)
            XCTAssertEqual(t.toArray().reduce(0, +), sum, accuracy: 1e-9 * max(1, abs(sum)) + 1e-6, k)
        }
        try check("conv1.weight", [16, 3, 3, 3], [-0.34289073944091797, -0.09091194719076157, -0.2433082014322281], 0.30707019567489624, -6.503619648894528)
        try check("layer3.8.conv2.weight", [64, 64, 3, 3], [-0.013496662490069866, -0.05459918454289436, 0.0815887525677681], 0.023300010710954666, 3.8923242740442276)
        try check("linear.weight", [10, 64], [0.12880508601665497, 0.06049845367670059, -0.05320069566369057], 0.2797662317752838, 3.288587128772633)
        try check("linear.bias", [10], [0.06968997418880463, 0.06317389011383057, 0.10812431573867798], -0.1129036694765091, -0.14435702562332153)
        try check("bn1.running_var", [16], [1, 1, 1], 1, 16)
        let nbt = try XCTUnwrap(st["layer2.4.bn1.num_batches_tracked"])
        XCTAssertEqual(nbt.dtype, .int64)
        XCTAssertEqual(nbt.shape, [])
        // Written back and read again: identical tensors.
        let copy = dir + "/copy.safetensors"
        try SafeTensors.write(copy, st.entries.map { ($0.name, $0.tensor) }, metadata: st.metadata)
        let again = try SafeTensors.read(copy)
        XCTAssertEqual(again.entries.count, 332)
        for e in st.entries { XCTAssertEqual(again[e.name]!.toArray(), e.tensor.toArray(), e.name) }
    }
}
