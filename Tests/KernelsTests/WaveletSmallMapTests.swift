import XCTest
@testable import Kernels
import Tensor

/// The eight-maps-at-a-time path for small maps (`SmallMapTransform`) against the
/// row-by-row path (which the PyWavelets reference tests pin down on larger maps too):
/// the same taps in the same order, so equal values, for every wavelet family, every
/// mode, odd and tiny sizes and map counts that leave a partial group of eight.
final class WaveletSmallMapTests: XCTestCase {
    override func tearDown() { SmallMapTransform.enabled = true }

    /// dwt2 and idwt2 of `x` by one path.
    private func transforms(_ x: Tensor, _ w: Wavelet, _ mode: WaveletMode, small: Bool) throws -> ([[Float]], [Float], [Float]) {
        SmallMapTransform.enabled = small
        defer { SmallMapTransform.enabled = true }
        let b = try x.dwt2(w, mode: mode)
        let bands = [b.ll!, b.lh!, b.hl!, b.hh!].map { $0.toFloats() }
        let full = try Tensor.idwt2(b, w, mode: mode).toFloats()
        // missing bands count as zeros (only cA and cD given)
        let partial = try Tensor.idwt2(WaveletBands(ll: b.ll, lh: nil, hl: nil, hh: b.hh), w, mode: mode).toFloats()
        return (bands, full, partial)
    }

    func testSmallMapPathEqualsRowPath() throws {
        Random.manualSeed(3)
        let sizes = [(1, 1), (2, 3), (3, 5), (5, 7), (8, 8), (7, 16), (16, 16), (4, 13)]
        var checked = 0
        for (h, wd) in sizes {
            let x = try Tensor.randn([11, h, wd])          // 11 maps: one group of 8 and one of 3
            for name in ["haar", "db2", "db3", "sym4", "db6"] {   // 1 to 4 taps per output in registers, 6 read per column
                let w = try Wavelet.named(name)
                for mode in WaveletMode.allCases {
                    if mode == .reflect && (h < 2 || wd < 2) { continue }
                    // idwt2 needs bands of at least F/2 per side; skip sizes too small for the filter
                    let n1 = mode.coefficientCount(h, filterLength: w.length), n2 = mode.coefficientCount(wd, filterLength: w.length)
                    let need = mode == .periodization ? 1 : w.length / 2
                    if n1 < need || n2 < need { continue }
                    XCTAssertTrue(SmallMapTransform.applies(h: h, w: wd))
                    let what = "\(name) \(mode) \(h)x\(wd)"
                    let small = try transforms(x, w, mode, small: true), rows = try transforms(x, w, mode, small: false)
                    for k in 0..<4 { XCTAssertEqual(small.0[k], rows.0[k], "\(what) band \(k)") }
                    XCTAssertEqual(small.1, rows.1, "\(what) idwt2")
                    XCTAssertEqual(small.2, rows.2, "\(what) idwt2 with cH, cV missing")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 150)
    }

    /// The blocked analysis passes (32 columns / 16 outputs a tap, vector-wide pad) give the
    /// bits of the 8-wide ones on maps wide and tall enough to take them, and on ones that
    /// take them only in part.
    func testBlockedPassesGiveTheSameBits() throws {
        defer { WaveletPasses.blocked = true }
        Random.manualSeed(4)
        var checked = 0
        for (h, wd) in [(32, 32), (40, 36), (33, 70), (64, 17)] {
            let x = try Tensor.randn([3, h, wd])
            for name in ["haar", "db2", "sym4", "db6"] {
                let w = try Wavelet.named(name)
                for mode in WaveletMode.allCases {
                    var bands: [[[Float]]] = []
                    for blocked in [true, false] {
                        WaveletPasses.blocked = blocked
                        let b = try x.dwt2(w, mode: mode)
                        bands.append([b.ll!, b.lh!, b.hl!, b.hh!].map { $0.toFloats() })
                    }
                    for k in 0..<4 { XCTAssertEqual(bands[0][k], bands[1][k], "\(name) \(mode) \(h)x\(wd) band \(k)") }
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 80)
    }

    /// Bands read in place with their own row stride (column crops, as `waverec2` makes):
    /// eight maps' rows moved eight pixels at a time and the rest one by one give the
    /// same maps as contiguous copies of the bands, and as moving every pixel one by one.
    func testCroppedBandsAndLaneTransposes() throws {
        defer { WaveletPasses.lanesTransposed = true }
        Random.manualSeed(6)
        let w = try Wavelet.named("db2")
        for (maps, cols) in [(11, 8), (16, 8), (9, 5)] {
            let wide = try (0..<4).map { _ in try Tensor.randn([maps, 6, cols + 3]) }
            let crops = try wide.map { try $0.narrow(2, 1, cols) }
            XCTAssertFalse(crops[0].isContiguous)
            let copies = try crops.map { try $0.contiguous() }
            var results: [[Float]] = []
            for (bands, transposed) in [(crops, true), (copies, true), (crops, false)] {
                WaveletPasses.lanesTransposed = transposed
                let b = WaveletBands(ll: bands[0], lh: bands[1], hl: bands[2], hh: bands[3])
                let y = try Tensor.idwt2(b, w, mode: .periodization)
                XCTAssertTrue(SmallMapTransform.applies(h: y.shape[1], w: y.shape[2]))
                results.append(y.toFloats())
            }
            XCTAssertEqual(results[0], results[1], "\(maps) maps of 6×\(cols): crops = copies")
            XCTAssertEqual(results[0], results[2], "\(maps) maps of 6×\(cols): transposed = one by one")
        }
    }

    func testLargeMapsStayRowByRow() {
        XCTAssertFalse(SmallMapTransform.applies(h: 32, w: 32))
        XCTAssertFalse(SmallMapTransform.applies(h: 8, w: 17))
        XCTAssertTrue(SmallMapTransform.applies(h: 8, w: 8))
    }

    /// wavedec2 → waverec2 of 8×8 maps (both levels on the small path) reconstructs.
    func testWavedecRoundTripOnSmallMaps() throws {
        Random.manualSeed(5)
        let x = try Tensor.randn([3, 9, 8, 8])
        for name in ["haar", "db2"] {
            let w = try Wavelet.named(name)
            for mode in [WaveletMode.symmetric, .periodization, .zero] {
                let c = try x.wavedec2(w, level: 2, mode: mode, force: true)
                let y = try Tensor.waverec2(c, w, mode: mode).narrow(2, 0, 8).narrow(3, 0, 8)
                let d = zip(y.toFloats(), x.toFloats()).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(d, 1e-4, "\(name) \(mode)")
            }
        }
    }
}
