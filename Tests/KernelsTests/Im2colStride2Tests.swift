import XCTest
@testable import Kernels
@testable import Tensor

/// `Im2col.col2imWriting` (3×3, stride 2, padding 1) against `col2im` added into zeros, the
/// stride-2 ∂L/∂x it serves against a double reference with the switch on and off, and
/// im2col's stride-2 rows against a plain gather.
final class Im2colStride2Tests: XCTestCase, Conv3x3Checks {
    func geometry(n: Int = 1, c: Int, k: Int = 4, h: Int, w: Int, stride: Int = 2, pad: Int = 1,
                  dilation: Int = 1) throws -> ConvGeometry {
        try ConvGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: k, kernel: (3, 3),
                         stride: (stride, stride), padding: (pad, pad), dilation: (dilation, dilation))
    }

    func testTakesOnlyItsGeometry() throws {
        XCTAssertTrue(Im2col.writesStride2(try geometry(c: 3, h: 32, w: 32)))
        XCTAssertTrue(Im2col.writesStride2(try geometry(c: 3, h: 7, w: 8)))    // odd height: the last row is even
        XCTAssertTrue(Im2col.writesStride2(try geometry(c: 3, h: 1, w: 2)))
        XCTAssertFalse(Im2col.writesStride2(try geometry(c: 3, h: 8, w: 7)))   // odd width
        XCTAssertFalse(Im2col.writesStride2(try geometry(c: 3, h: 8, w: 8, stride: 1)))
        XCTAssertFalse(Im2col.writesStride2(try geometry(c: 3, h: 8, w: 8, pad: 0)))
        XCTAssertFalse(Im2col.writesStride2(try geometry(c: 3, h: 8, w: 8, pad: 2, dilation: 2)))
    }

    /// Every input position written (x starts as NaN), with col2im's bits, for planes whose
    /// output rows are shorter than, equal to and longer than a vector, columns of one image
    /// inside a wider matrix (`ld` > the plane, at an offset), channels 1–5.
    func testWritingEqualsAddingIntoZeros() throws {
        var rng = Xoshiro256(seed: 7)
        var shapes = [(32, 32), (16, 16), (8, 8), (7, 8), (2, 2), (1, 2), (5, 34), (33, 18), (6, 30)]
        for _ in 0..<12 { shapes.append((1 + rng.nextInt(33), 2 * (1 + rng.nextInt(17)))) }
        for (i, (h, w)) in shapes.enumerated() {
            let c = 1 + rng.nextInt(5), g = try geometry(c: c, h: h, w: w)
            XCTAssertTrue(Im2col.writesStride2(g), "\(h)×\(w)")
            let P = g.outPlane, images = 3, ld = images * P + 5, image = 1
            let cols = random(c * 9 * ld, seed: 100 + UInt64(i))
            var written = [Float](repeating: .nan, count: c * h * w)
            var added = [Float](repeating: 0, count: c * h * w)
            cols.withUnsafeBufferPointer { cb in
                let at = cb.baseAddress! + image * P
                Im2col.col2imWriting(g, channels: c, cols: at, ld: ld, x: &written)
                Im2col.col2im(g, channels: c, cols: at, ld: ld, x: &added)
            }
            XCTAssertNil(firstDifference(written, added), "\(c) channels, \(h)×\(w)")
        }
    }

    /// im2col of stride-2 convolutions (kernels 1–5 wide, padding 0–2, widths 1–40, rows
    /// wider and narrower than a vector) equals the gather written out: column (c, i, j),
    /// output (oh, ow) holds x[c, 2·oh + i − pad, 2·ow + j − pad], or 0 outside the plane.
    func testStride2RowsEqualPlainGather() throws {
        var rng = Xoshiro256(seed: 11)
        for t in 0..<40 {
            let k = 1 + rng.nextInt(5), pad = rng.nextInt(3), c = 1 + rng.nextInt(3)
            let h = max(k, 1 + rng.nextInt(40)), w = max(k, 1 + rng.nextInt(40))
            let g = try ConvGeometry(batch: 1, inChannels: c, height: h, width: w, outChannels: 1, kernel: (k, k),
                                     stride: (2, 2), padding: (pad, pad))
            let x = random(c * h * w, seed: 200 + UInt64(t)), P = g.outPlane
            var cols = [Float](repeating: .nan, count: c * k * k * P)
            Im2col.im2col(g, channels: c, x: x, cols: &cols, ld: P)
            var expected = [Float](repeating: 0, count: cols.count)
            for ch in 0..<c {
                for i in 0..<k {
                    for j in 0..<k {
                        for oh in 0..<g.outHeight {
                            for ow in 0..<g.outWidth {
                                let r = 2 * oh + i - pad, q = 2 * ow + j - pad
                                guard r >= 0, r < h, q >= 0, q < w else { continue }
                                expected[((ch * k + i) * k + j) * P + oh * g.outWidth + ow] = x[(ch * h + r) * w + q]
                            }
                        }
                    }
                }
            }
            XCTAssertNil(firstDifference(cols, expected), "\(k)×\(k) pad \(pad), \(c)×\(h)×\(w)")
        }
    }

    /// ∂L/∂x of stride-2 convolutions through the dispatch (im2col + GEMM + col2im), the
    /// switch on and off: the same bits, and both within float rounding of the sums in
    /// double. Also with `dxAdding` (added after the pass) and batch 1.
    func testInputGradientSameBitsAndReference() throws {
        let before = Conv2dKernel.col2imWritesStride2
        defer { Conv2dKernel.col2imWritesStride2 = before }
        for (i, (n, c, k, h, w)) in [(3, 16, 32, 32, 32), (1, 32, 64, 16, 16), (2, 5, 7, 7, 8), (2, 3, 4, 9, 10)].enumerated() {
            let g = try geometry(n: n, c: c, k: k, h: h, w: w)
            let x = random(n * c * h * w, seed: 10 + UInt64(i)), wt = random(k * c * 9, seed: 20 + UInt64(i))
            let dy = random(n * k * g.outPlane, seed: 30 + UInt64(i)), extra = random(x.count, seed: 40 + UInt64(i))
            var results: [[Float]] = []
            for on in [true, false] {
                Conv2dKernel.col2imWritesStride2 = on
                var dx = [Float](repeating: .nan, count: x.count), dxAdded = dx
                try Conv2dKernel.backward(g, x: x, weight: wt, dy: dy, dx: &dx, dw: nil, db: nil)
                try x.withUnsafeBufferPointer { xb in
                    try wt.withUnsafeBufferPointer { wb in
                        try dy.withUnsafeBufferPointer { db in
                            try extra.withUnsafeBufferPointer { eb in
                                try dxAdded.withUnsafeMutableBufferPointer { ob in
                                    try Conv2dKernel.backward(g, x: xb.baseAddress!, weight: wb.baseAddress!, dy: db.baseAddress!,
                                                              dx: ob.baseAddress!, dw: nil, db: nil, dxAdding: eb.baseAddress!)
                                }
                            }
                        }
                    }
                }
                XCTAssertLessThan(relError(dx, reference(g, dy, wt)), 1e-5, "case \(i), switch \(on)")
                XCTAssertLessThan(relError(dxAdded, zip(reference(g, dy, wt), extra).map { $0 + Double($1) }), 1e-5,
                                  "case \(i) adding, switch \(on)")
                results.append(dx)
            }
            XCTAssertNil(firstDifference(results[0], results[1]), "case \(i)")
        }
    }

    /// The first index where the two differ in bits (nil: none; NaN counts as a difference).
    func firstDifference(_ a: [Float], _ b: [Float]) -> Int? {
        guard a.count == b.count else { return -1 }
        return a.indices.first { a[$0].bitPattern != b[$0].bitPattern || a[$0].isNaN }
    }

    /// ∂L/∂x of a stride-2, padding-1 3×3 convolution, summed in double.
    func reference(_ g: ConvGeometry, _ dy: [Float], _ w: [Float]) -> [Double] {
        let C = g.inChannels, K = g.outChannels, H = g.height, W = g.width, OH = g.outHeight, OW = g.outWidth
        var dx = [Double](repeating: 0, count: g.batch * C * H * W)
        for n in 0..<g.batch {
            for k in 0..<K {
                for oh in 0..<OH {
                    for ow in 0..<OW {
                        let d = Double(dy[((n * K + k) * OH + oh) * OW + ow])
                        for c in 0..<C {
                            for i in 0..<3 {
                                for j in 0..<3 {
                                    let r = 2 * oh + i - 1, q = 2 * ow + j - 1
                                    guard r >= 0, r < H, q >= 0, q < W else { continue }
                                    dx[((n * C + c) * H + r) * W + q] += d * Double(w[((k * C + c) * 3 + i) * 3 + j])
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
