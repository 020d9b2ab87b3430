import Tensor

/// A band as the inverse transforms read it: map m's row k starts at
/// `p + m·mapStride + k·rowStride`, its columns are consecutive floats.
struct BandPointer {
    let p: UnsafePointer<Float>, mapStride: Int, rowStride: Int

    @inline(__always)
    func row(_ m: Int, _ k: Int) -> UnsafePointer<Float> { p + m * mapStride + k * rowStride }
}

/// How a band tensor is read: itself when it is float32 with consecutive columns and its
/// maps and rows two (non-negative) strides apart — contiguous bands, and the crops
/// `waverec2` makes of a larger approximation — otherwise a contiguous copy.
struct BandLayout {
    let tensor: Tensor, mapStride: Int, rowStride: Int

    init(_ t: Tensor) throws {
        let d = t.dim, n1 = t.shape[d - 2], n2 = t.shape[d - 1]
        if t.dtype == .float32, let (ms, rs) = BandLayout.strides(t, n1, n2) {
            tensor = t; mapStride = ms; rowStride = rs
        } else {
            tensor = try t.toFloat().contiguous(); mapStride = n1 * n2; rowStride = n2
        }
    }

    /// The map and row strides of `t`, or nil when its layout has no such two.
    private static func strides(_ t: Tensor, _ n1: Int, _ n2: Int) -> (Int, Int)? {
        let d = t.dim
        guard t.strides.allSatisfy({ $0 >= 0 }), n2 == 1 || t.strides[d - 1] == 1 else { return nil }
        let rs = n1 == 1 ? n2 : t.strides[d - 2]
        var ms = n1 * rs, expected: Int? = nil
        // the batch dims must step through the maps as one index does
        for i in stride(from: d - 3, through: 0, by: -1) where t.shape[i] != 1 {
            if let e = expected {
                guard t.strides[i] == e else { return nil }
            } else {
                ms = t.strides[i]
            }
            expected = t.strides[i] * t.shape[i]
        }
        return (ms, rs)
    }

    /// The band's pointer (valid while `tensor` is kept alive).
    func pointer(_ p: UnsafeMutablePointer<Float>) -> BandPointer {
        BandPointer(p: UnsafePointer(p), mapStride: mapStride, rowStride: rowStride)
    }
}
