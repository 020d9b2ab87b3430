import XCTest
@testable import Kernels
import Tensor

/// The row-wise inverse (`SynthesisRows`) against the transposing one it replaced
/// (`transposingIDWT2`, which the PyWavelets reference and reconstruction tests pin down):
/// the same taps in the same order, so equal values, for every mode, the haar, db2, db3
/// and sym4 filters, band sizes 1 to 17 per side (inputs of 1×1 to 33×33), one map and
/// many, and missing bands.
final class WaveletSynthesisRowsTests: XCTestCase {
    override func tearDown() {
        SmallMapTransform.enabled = true
        SynthesisRows.enabled = true
    }

    /// idwt2 by the row-wise path (rows) or the transposing one, the small-map path off.
    private func inverse(_ b: WaveletBands, _ w: Wavelet, _ mode: WaveletMode, rows: Bool) throws -> [Float] {
        SmallMapTransform.enabled = false
        SynthesisRows.enabled = rows
        defer { SmallMapTransform.enabled = true; SynthesisRows.enabled = true }
        return try Tensor.idwt2(b, w, mode: mode).toFloats()
    }

    func testRowPathEqualsTransposingPath() throws {
        Random.manualSeed(11)
        var checked = 0
        for maps in [1, 11] {
            for n1 in 1...17 {
                for n2 in 1...17 {
                    let bands = try (0..<4).map { _ in try Tensor.randn([maps, n1, n2]) }
                    for name in ["haar", "db2", "db3", "sym4"] {
                        let w = try Wavelet.named(name)
                        for mode in WaveletMode.allCases {
                            let need = mode == .periodization ? 1 : w.length / 2
                            if n1 < need || n2 < need { continue }
                            let what = "\(name) \(mode) \(maps)x\(n1)x\(n2)"
                            for given in [[0, 1, 2, 3], [0, 3], [2], [1]] {
                                let b = WaveletBands(ll: given.contains(0) ? bands[0] : nil, lh: given.contains(1) ? bands[1] : nil,
                                                     hl: given.contains(2) ? bands[2] : nil, hh: given.contains(3) ? bands[3] : nil)
                                let fast = try inverse(b, w, mode, rows: true), ref = try inverse(b, w, mode, rows: false)
                                XCTAssertEqual(fast, ref, "\(what) bands \(given)")
                                checked += 1
                            }
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 10_000)
    }

    /// The default dispatch (small-map or row path) on larger maps equals the transposing
    /// path, and the round trip through dwt2 (odd and even sides) reconstructs the input.
    func testDefaultPathOnLargerMaps() throws {
        Random.manualSeed(12)
        for (h, wd) in [(32, 32), (33, 31), (9, 40)] {
            let x = try Tensor.randn([5, h, wd])
            for name in ["haar", "db2", "db3", "sym4"] {
                let w = try Wavelet.named(name)
                for mode in WaveletMode.allCases {
                    let b = try x.dwt2(w, mode: mode)
                    let y = try Tensor.idwt2(b, w, mode: mode)
                    XCTAssertEqual(y.toFloats(), try inverse(b, w, mode, rows: false), "\(name) \(mode) \(h)x\(wd)")
                    let crop = try y.narrow(1, 0, h).narrow(2, 0, wd).toFloats()
                    let d = zip(crop, x.toFloats()).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThan(d, 1e-4, "\(name) \(mode) \(h)x\(wd) reconstruction")
                }
            }
        }
    }
}
