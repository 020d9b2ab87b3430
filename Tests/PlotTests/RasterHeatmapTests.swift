import CZlib
import Foundation
import XCTest
@testable import Plot

/// Heat maps above `Chart.maxHeatmapCells` cells: one embedded PNG, a pixel per cell in
/// the vector cells' colours.
final class RasterHeatmapTests: XCTestCase {
    /// The chunks of a PNG file (type, data), checking the signature and every CRC.
    func chunks(_ png: [UInt8]) throws -> [(String, [UInt8])] {
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
        var out: [(String, [UInt8])] = [], i = 8
        func be32(_ at: Int) -> Int { png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        while i + 12 <= png.count {
            let n = be32(i), body = Array(png[(i + 4)..<(i + 8 + n)])
            let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
            XCTAssertEqual(Int(crc), be32(i + 8 + n), "CRC of \(String(decoding: body.prefix(4), as: UTF8.self))")
            out.append((String(decoding: body.prefix(4), as: UTF8.self), Array(body.dropFirst(4))))
            i += 12 + n
        }
        return out
    }

    func testALargeMatrixIsOnePNGWithAPixelPerCell() throws {
        let rows = 300, cols = 250
        var values = (0..<(rows * cols)).map { Double($0 % 977) }
        values[cols + 2] = .nan   // row 2, column 3
        let svg = try Chart.heatmap(rows: rows, cols: cols, values: values).svg()
        XCTAssertLessThanOrEqual(svg.components(separatedBy: "<rect").count - 1, 2, "no rectangle per cell (the background and the colour bar only)")
        let b64 = try XCTUnwrap(svg.range(of: "data:image/png;base64,")).upperBound
        let end = try XCTUnwrap(svg[b64...].firstIndex(of: "\""))
        let png = [UInt8](try XCTUnwrap(Data(base64Encoded: String(svg[b64..<end]))))
        let c = try chunks(png)
        XCTAssertEqual(c.map(\.0), ["IHDR", "IDAT", "IEND"])
        XCTAssertEqual(c[0].1, [0, 0, 0, 250, 0, 0, 1, 44, 8, 2, 0, 0, 0], "250 × 300, 8-bit RGB")
        var raw = [UInt8](repeating: 0, count: rows * (1 + cols * 3)), size = uLongf(raw.count)
        XCTAssertEqual(uncompress(&raw, &size, c[1].1, uLong(c[1].1.count)), Z_OK)
        XCTAssertEqual(Int(size), raw.count)
        func pixel(_ r: Int, _ col: Int) -> [UInt8] { let at = r * (1 + cols * 3) + 1 + col * 3; return Array(raw[at..<(at + 3)]) }
        let top = try XCTUnwrap(values.filter(\.isFinite).max())
        for (r, col) in [(0, 0), (5, 7), (299, 249), (123, 45)] {
            let (x, y, z) = Palette.viridisBytes(values[r * cols + col] / top)
            XCTAssertEqual(pixel(r, col), [x, y, z], "cell (\(r), \(col))")
        }
        XCTAssertEqual(pixel(1, 2), [0xbb, 0xbb, 0xbb], "non-finite cells are grey")
        XCTAssertEqual(pixel(0, 0), [0x44, 0x01, 0x54], "the minimum is viridis' first colour, as the vector cells' #440154")
        XCTAssertEqual(svg, try Chart.heatmap(rows: rows, cols: cols, values: values).svg(), "the same bytes every time")
    }

    func testSmallMatricesStayVectorAndTheLimitsHold() throws {
        let small = try Chart.heatmap(rows: 256, cols: 256, values: [Double](repeating: 1, count: 65_536)).svg()
        XCTAssertFalse(small.contains("data:image/png"))
        XCTAssertThrowsError(try Chart.heatmap(rows: 4097, cols: 1, values: [Double](repeating: 0, count: 4097)))
        XCTAssertThrowsError(try Chart.heatmap(rows: 2049, cols: 2048, values: [Double](repeating: 0, count: 2049 * 2048))) {
            XCTAssertTrue("\($0)".contains("too large to draw"), "\($0)")
        }
    }
}
