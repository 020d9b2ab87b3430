import CZlib
import Foundation

/// A minimal PNG encoder (8-bit RGB, no filtering, zlib-deflated), for heat maps too large to
/// draw as one SVG rectangle per cell: the same bytes for the same pixels.
enum PNG {
    /// The PNG file of `rows` × `cols` pixels, `rgb` row-major with 3 bytes a pixel.
    static func rgb(rows: Int, cols: Int, _ rgb: [UInt8]) throws -> [UInt8] {
        guard rows > 0, cols > 0, rgb.count == rows * cols * 3 else {
            throw PlotError("plot: \(rgb.count) bytes are not \(rows) x \(cols) RGB pixels")
        }
        // each scanline: filter type 0, then its bytes
        var raw = [UInt8](repeating: 0, count: rows * (1 + cols * 3))
        for r in 0..<rows {
            let at = r * (1 + cols * 3)
            raw.replaceSubrange((at + 1)..<(at + 1 + cols * 3), with: rgb[(r * cols * 3)..<((r + 1) * cols * 3)])
        }
        var size = compressBound(uLong(raw.count))
        var packed = [UInt8](repeating: 0, count: Int(size))
        let status = packed.withUnsafeMutableBufferPointer { out in
            raw.withUnsafeBufferPointer { compress2(out.baseAddress, &size, $0.baseAddress, uLong(raw.count), 6) }
        }
        guard status == Z_OK else { throw PlotError("plot.heatmap: zlib could not compress the image (status \(status))") }
        packed.removeSubrange(Int(size)...)
        var file: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
        chunk(&file, "IHDR", be32(cols) + be32(rows) + [8, 2, 0, 0, 0])   // 8-bit, RGB, deflate, no filter, no interlace
        chunk(&file, "IDAT", packed)
        chunk(&file, "IEND", [])
        return file
    }

    private static func be32(_ v: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }

    /// Appends a chunk: length, type, data, CRC-32 of type and data.
    private static func chunk(_ file: inout [UInt8], _ type: String, _ data: [UInt8]) {
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        file += be32(data.count) + body + be32(Int(crc))
    }
}
