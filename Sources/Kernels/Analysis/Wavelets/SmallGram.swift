/// acc[i·c + j] += Σ_k y[i·ld + k]·y[j·ld + k] over k < width, for the c rows of `y`: the
/// Gram matrix of a few rows (tens of channels) over a few thousand columns, which
/// OpenBLAS's SSYRK handles poorly at this size. 4×4 blocks of rows on or above the
/// diagonal, 16 eight-lane sums in registers, float sums per call added in double.
func smallGramAdd(_ y: UnsafePointer<Float>, rows c: Int, width: Int, ld: Int, into acc: UnsafeMutablePointer<Double>) {
    var bi = 0
    while bi < c {
        var bj = bi
        while bj < c {
            gramBlock(y, c, width, ld, bi, bj, acc)
            bj += 4
        }
        bi += 4
    }
}

@inline(__always)
private func gramBlock(_ y: UnsafePointer<Float>, _ c: Int, _ width: Int, _ ld: Int, _ bi: Int, _ bj: Int,
                       _ acc: UnsafeMutablePointer<Double>) {
    // rows past the end repeat the last one; their sums are dropped
    let i0 = y + bi * ld, i1 = y + min(bi + 1, c - 1) * ld, i2 = y + min(bi + 2, c - 1) * ld, i3 = y + min(bi + 3, c - 1) * ld
    let j0 = y + bj * ld, j1 = y + min(bj + 1, c - 1) * ld, j2 = y + min(bj + 2, c - 1) * ld, j3 = y + min(bj + 3, c - 1) * ld
    var s00 = SIMD8<Float>(), s01 = SIMD8<Float>(), s02 = SIMD8<Float>(), s03 = SIMD8<Float>()
    var s10 = SIMD8<Float>(), s11 = SIMD8<Float>(), s12 = SIMD8<Float>(), s13 = SIMD8<Float>()
    var s20 = SIMD8<Float>(), s21 = SIMD8<Float>(), s22 = SIMD8<Float>(), s23 = SIMD8<Float>()
    var s30 = SIMD8<Float>(), s31 = SIMD8<Float>(), s32 = SIMD8<Float>(), s33 = SIMD8<Float>()
    var k = 0
    while k + 8 <= width {
        let a0 = VectorMath.load(i0 + k), a1 = VectorMath.load(i1 + k), a2 = VectorMath.load(i2 + k), a3 = VectorMath.load(i3 + k)
        let b0 = VectorMath.load(j0 + k), b1 = VectorMath.load(j1 + k), b2 = VectorMath.load(j2 + k), b3 = VectorMath.load(j3 + k)
        s00.addProduct(a0, b0); s01.addProduct(a0, b1); s02.addProduct(a0, b2); s03.addProduct(a0, b3)
        s10.addProduct(a1, b0); s11.addProduct(a1, b1); s12.addProduct(a1, b2); s13.addProduct(a1, b3)
        s20.addProduct(a2, b0); s21.addProduct(a2, b1); s22.addProduct(a2, b2); s23.addProduct(a2, b3)
        s30.addProduct(a3, b0); s31.addProduct(a3, b1); s32.addProduct(a3, b2); s33.addProduct(a3, b3)
        k += 8
    }
    let sums: [SIMD8<Float>] = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33]
    let ri = [i0, i1, i2, i3], rj = [j0, j1, j2, j3]
    for p in 0..<4 where bi + p < c {
        for q in 0..<4 where bj + q < c && bj + q >= bi + p {
            var t = sums[p * 4 + q].sum()
            for r in k..<width { t += ri[p][r] * rj[q][r] }
            let i = bi + p, j = bj + q
            acc[i * c + j] += Double(t)
            if i != j { acc[j * c + i] += Double(t) }
        }
    }
}
