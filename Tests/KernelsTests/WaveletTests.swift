import XCTest
@testable import Kernels
import Tensor

final class WaveletTests: XCTestCase {
    /// The input the reference coefficients were computed on, batched twice to check
    /// that leading dims are independent maps.
    func referenceInput(_ h: Int, _ w: Int) -> Tensor {
        let map = (0..<h * w).map { Float(($0 * 37) % 11 - 5) }
        return try! Tensor(shape: [2, 1, h, w], values: map + map.map { -$0 })
    }

    func assertNear(_ a: [Float], _ b: [Float], tol: Float, _ what: String) {
        XCTAssertEqual(a.count, b.count, what)
        let d = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(d, tol, what)
    }

    func testCoefficientsMatchPyWavelets() throws {
        for (table, h, w) in [(PywtReference.on5x7, 5, 7), (PywtReference.on3x5, 3, 5)] {
            let x = referenceInput(h, w)
            for (key, (rows, cols, bands)) in table {
                let parts = key.split(separator: "/").map(String.init)
                let b = try x.dwt2(try Wavelet.named(parts[0]), mode: try WaveletMode.named(parts[1]))
                for (name, got, ref) in zip4(["ll", "lh", "hl", "hh"], [b.ll!, b.lh!, b.hl!, b.hh!], bands) {
                    XCTAssertEqual(got.shape, [2, 1, rows, cols], "\(key) \(name) shape")
                    assertNear(try got.select(0, 0).toFloats(), ref, tol: 2e-5, "\(key) \(name)")
                    assertNear(try got.select(0, 1).toFloats(), ref.map { -$0 }, tol: 2e-5, "\(key) \(name) (negated map)")
                }
            }
        }
    }

    private func zip4(_ a: [String], _ b: [Tensor], _ c: [[Float]]) -> [(String, Tensor, [Float])] {
        (0..<a.count).map { (a[$0], b[$0], c[$0]) }
    }

    func testHaarByHand() throws {
        // cA = (a + b + c + d)/2 per 2x2 block; cH = (a + b − c − d)/2 (rows differ), cV, cD.
        let x = try Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        let b = try x.dwt2(try Wavelet.named("haar"))
        XCTAssertEqual(b.ll!.toFloats()[0], 5, accuracy: 1e-6)
        XCTAssertEqual(b.lh!.toFloats()[0], -2, accuracy: 1e-6)
        XCTAssertEqual(b.hl!.toFloats()[0], -1, accuracy: 1e-6)
        XCTAssertEqual(b.hh!.toFloats()[0], 0, accuracy: 1e-6)
    }

    /// Shapes printed by PyWavelets for zeros of these sizes: dwt2's cA, wavedec2's
    /// per-level shapes (coarsest first) at levels 2 and 3, and waverec2's output.
    func testOutputSizesMatchPyWavelets() throws {
        let cases: [(Int, Int, String, String, [Int], [[Int]], [[Int]], [Int])] = [
            (5, 7, "db2", "symmetric", [4, 5], [[3, 4], [3, 4], [4, 5]], [[3, 3], [3, 3], [3, 4], [4, 5]], [6, 8]),
            (5, 7, "sym3", "symmetric", [5, 6], [[5, 5], [5, 5], [5, 6]], [[5, 5], [5, 5], [5, 5], [5, 6]], [6, 8]),
            (5, 7, "db8", "symmetric", [10, 11], [[12, 13], [12, 13], [10, 11]], [[13, 14], [13, 14], [12, 13], [10, 11]], [6, 8]),
            (5, 7, "db8", "periodization", [3, 4], [[2, 2], [2, 2], [3, 4]], [[1, 1], [1, 1], [2, 2], [3, 4]], [6, 8]),
            (32, 32, "db2", "symmetric", [17, 17], [[10, 10], [10, 10], [17, 17]], [[6, 6], [6, 6], [10, 10], [17, 17]], [32, 32]),
            (17, 33, "sym3", "symmetric", [11, 19], [[8, 12], [8, 12], [11, 19]], [[6, 8], [6, 8], [8, 12], [11, 19]], [18, 34]),
            (17, 33, "haar", "periodization", [9, 17], [[5, 9], [5, 9], [9, 17]], [[3, 5], [3, 5], [5, 9], [9, 17]], [18, 34]),
            (1, 1, "sym3", "symmetric", [3, 3], [[4, 4], [4, 4], [3, 3]], [[4, 4], [4, 4], [4, 4], [3, 3]], [2, 2]),
        ]
        for (h, w, wav, modeName, dwtShape, level2, level3, recShape) in cases {
            let x = try Tensor.zeros([3, h, w]), wl = try Wavelet.named(wav), mode = try WaveletMode.named(modeName)
            let what = "\(h)x\(w) \(wav) \(modeName)"
            XCTAssertEqual(try x.dwt2(wl, mode: mode).ll!.shape, [3] + dwtShape, what)
            for (level, shapes) in [(2, level2), (3, level3)] {
                let c = try x.wavedec2(wl, level: level, mode: mode, force: true)
                XCTAssertEqual([Array(c.approximation.shape.dropFirst())] + c.details.map { Array($0.hh!.shape.dropFirst()) },
                               shapes, "\(what) level \(level)")
                if level == 2 {
                    XCTAssertEqual(try Tensor.waverec2(c, wl, mode: mode).shape, [3] + recShape, what)
                }
            }
        }
    }

    func testPerfectReconstructionEveryWaveletAndMode() throws {
        Random.manualSeed(7)
        let x = try Tensor.randn([2, 3, 19, 14])
        for name in Wavelet.names {
            let w = try Wavelet.named(name)
            for mode in WaveletMode.allCases {
                let y = try Tensor.idwt2(try x.dwt2(w, mode: mode), w, mode: mode)
                let crop = try y.narrow(2, 0, 19).narrow(3, 0, 14)
                assertNear(crop.toFloats(), x.toFloats(), tol: 1e-4, "\(name) \(mode) idwt2")
                let z = try Tensor.waverec2(try x.wavedec2(w, level: 2, mode: mode, force: true), w, mode: mode)
                assertNear(try z.narrow(2, 0, 19).narrow(3, 0, 14).toFloats(), x.toFloats(), tol: 2e-4,
                           "\(name) \(mode) waverec2")
            }
        }
    }

    func testErrors() throws {
        let x = try Tensor.zeros([2, 8, 8])
        XCTAssertThrowsError(try Wavelet.named("db9")) { e in
            XCTAssertTrue("\(e)".contains("valid: haar, db1"), "\(e)")
        }
        XCTAssertThrowsError(try WaveletMode.named("smooth")) { e in
            XCTAssertTrue("\(e)".contains("symmetric, periodization, zero, reflect, periodic, constant"), "\(e)")
        }
        XCTAssertThrowsError(try x.wavedec2(try Wavelet.named("db2"), level: 2)) { e in
            XCTAssertTrue("\(e)".contains("maximum level 1"), "\(e)")
        }
        XCTAssertNoThrow(try x.wavedec2(try Wavelet.named("db2"), level: 2, force: true))
        XCTAssertThrowsError(try Tensor.zeros([1, 5]).dwt2(try Wavelet.named("haar"), mode: .reflect))
        let small = try Tensor.zeros([3, 3])
        XCTAssertThrowsError(try Tensor.idwt2(WaveletBands(ll: small, lh: nil, hl: nil, hh: small), try Wavelet.named("db8")))
        XCTAssertThrowsError(try Tensor.idwt2(WaveletBands(ll: small, lh: try Tensor.zeros([3, 4]), hl: nil, hh: nil),
                                              try Wavelet.named("haar")))
    }
}
