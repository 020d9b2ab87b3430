#if TOPIARY_AVX2
import _Builtin_intrinsics.intel
#endif

/// 8×8 transposes of float vectors, for kernels that work with one SIMD lane per tile
/// (Winograd's transforms) but read and write tiles as rows: rows r0…r7 in, columns out
/// (column s holds (r0[s], …, r7[s])).
///
/// With AVX2 (`TOPIARY_AVX2`, every release build but `TOPIARY_CPU=generic`) it is the
/// 24-shuffle sequence (unpack within 128-bit lanes, then across the two halves); elsewhere
/// the same result lane by lane.
enum Transpose8x8 {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func transposed(_ r0: V, _ r1: V, _ r2: V, _ r3: V, _ r4: V, _ r5: V, _ r6: V, _ r7: V)
        -> (V, V, V, V, V, V, V, V) {
        // t: pairs of rows interleaved; s: quads; then the halves of s and s + 4 joined
        let t0 = lo(r0, r1), t1 = hi(r0, r1), t2 = lo(r2, r3), t3 = hi(r2, r3)
        let t4 = lo(r4, r5), t5 = hi(r4, r5), t6 = lo(r6, r7), t7 = hi(r6, r7)
        let s0 = lo2(t0, t2), s1 = hi2(t0, t2), s2 = lo2(t1, t3), s3 = hi2(t1, t3)
        let s4 = lo2(t4, t6), s5 = hi2(t4, t6), s6 = lo2(t5, t7), s7 = hi2(t5, t7)
        return (V(lowHalf: s0.lowHalf, highHalf: s4.lowHalf), V(lowHalf: s1.lowHalf, highHalf: s5.lowHalf),
                V(lowHalf: s2.lowHalf, highHalf: s6.lowHalf), V(lowHalf: s3.lowHalf, highHalf: s7.lowHalf),
                V(lowHalf: s0.highHalf, highHalf: s4.highHalf), V(lowHalf: s1.highHalf, highHalf: s5.highHalf),
                V(lowHalf: s2.highHalf, highHalf: s6.highHalf), V(lowHalf: s3.highHalf, highHalf: s7.highHalf))
    }

    /// The first `columns` columns of rows r0…r7, stored as consecutive vectors at `p`.
    @inline(__always)
    static func transpose(_ r0: V, _ r1: V, _ r2: V, _ r3: V, _ r4: V, _ r5: V, _ r6: V, _ r7: V,
                          into p: UnsafeMutableRawPointer, columns: Int) {
        let c = transposed(r0, r1, r2, r3, r4, r5, r6, r7)
        p.storeBytes(of: c.0, as: V.self)
        p.storeBytes(of: c.1, toByteOffset: 32, as: V.self)
        p.storeBytes(of: c.2, toByteOffset: 64, as: V.self)
        p.storeBytes(of: c.3, toByteOffset: 96, as: V.self)
        p.storeBytes(of: c.4, toByteOffset: 128, as: V.self)
        p.storeBytes(of: c.5, toByteOffset: 160, as: V.self)
        if columns > 6 {
            p.storeBytes(of: c.6, toByteOffset: 192, as: V.self)
            p.storeBytes(of: c.7, toByteOffset: 224, as: V.self)
        }
    }

    #if TOPIARY_AVX2
    /// (a0 b0 a1 b1 | a4 b4 a5 b5)
    @inline(__always) static func lo(_ a: V, _ b: V) -> V { _mm256_unpacklo_ps(a, b) }
    /// (a2 b2 a3 b3 | a6 b6 a7 b7)
    @inline(__always) static func hi(_ a: V, _ b: V) -> V { _mm256_unpackhi_ps(a, b) }
    /// (a0 a1 b0 b1 | a4 a5 b4 b5)
    @inline(__always) static func lo2(_ a: V, _ b: V) -> V {
        unsafeBitCast(_mm256_unpacklo_pd(unsafeBitCast(a, to: SIMD4<Double>.self), unsafeBitCast(b, to: SIMD4<Double>.self)), to: V.self)
    }
    /// (a2 a3 b2 b3 | a6 a7 b6 b7)
    @inline(__always) static func hi2(_ a: V, _ b: V) -> V {
        unsafeBitCast(_mm256_unpackhi_pd(unsafeBitCast(a, to: SIMD4<Double>.self), unsafeBitCast(b, to: SIMD4<Double>.self)), to: V.self)
    }
    #else
    @inline(__always) static func lo(_ a: V, _ b: V) -> V { V(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5]) }
    @inline(__always) static func hi(_ a: V, _ b: V) -> V { V(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7]) }
    @inline(__always) static func lo2(_ a: V, _ b: V) -> V { V(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5]) }
    @inline(__always) static func hi2(_ a: V, _ b: V) -> V { V(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7]) }
    #endif
}
