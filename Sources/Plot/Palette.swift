import Foundation

/// Colours: a categorical palette for series (matplotlib's tab10) and the viridis
/// colour map for heat maps.
enum Palette {
    static let series = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// The colour of series `i` (the palette repeats after ten series).
    static func color(_ i: Int) -> String { series[i % series.count] }

    /// Viridis sampled at ten evenly spaced points (0, 1/9, …, 1).
    static let viridis: [(Double, Double, Double)] = [
        (0x44, 0x01, 0x54), (0x48, 0x28, 0x78), (0x3e, 0x49, 0x89), (0x31, 0x68, 0x8e), (0x26, 0x82, 0x8e),
        (0x1f, 0x9e, 0x89), (0x35, 0xb7, 0x79), (0x6e, 0xce, 0x58), (0xb5, 0xde, 0x2b), (0xfd, 0xe7, 0x25),
    ]

    /// Viridis at `t` in [0, 1] (clamped), linearly interpolated, as "#rrggbb".
    static func viridis(_ t: Double) -> String {
        let (r, g, b) = viridisChannels(t)
        return hex(r, g, b)
    }

    /// Viridis at `t` as bytes, rounded as `viridis`' hex digits are (raster heat maps).
    static func viridisBytes(_ t: Double) -> (UInt8, UInt8, UInt8) {
        let (r, g, b) = viridisChannels(t)
        func byte(_ v: Double) -> UInt8 { UInt8(min(max(v.rounded(), 0), 255)) }
        return (byte(r), byte(g), byte(b))
    }

    /// Viridis at `t` in [0, 1] (clamped), linearly interpolated, as 0–255 channels.
    private static func viridisChannels(_ t: Double) -> (Double, Double, Double) {
        let t = t.isFinite ? min(max(t, 0), 1) : 0
        let x = t * Double(viridis.count - 1)
        let i = min(Int(x), viridis.count - 2), f = x - Double(i)
        let a = viridis[i], b = viridis[i + 1]
        return (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f)
    }

    static func hex(_ r: Double, _ g: Double, _ b: Double) -> String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for v in [r, g, b] {
            let c = Int(min(max(v.rounded(), 0), 255))
            s.append(digits[c / 16]); s.append(digits[c % 16])
        }
        return s
    }
}
