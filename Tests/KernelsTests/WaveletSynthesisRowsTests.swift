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
        SynthesisRows.readsInPlace = true
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

    /// Band rows read where they lie (haar; db2 rows whose last vector reaches past the row,
    /// read in place up to the band's last row, which is copied) and copied a group ahead
    /// (periodization's wrapped rows) give what copying every row just before its run gave,
    /// with contiguous bands and with crops whose rows are followed by other data.
    func testInPlaceReadsEqualRowCopies() throws {
        Random.manualSeed(14)
        for (n1, n2) in [(16, 16), (17, 15), (9, 24), (3, 8)] {
            let big = try Tensor.randn([4, 6, n1 + 2, n2 + 3])
            let bands = try (0..<4).map { try big.narrow(0, $0, 1).narrow(2, 1, n1).narrow(3, $0 % 3, n2) }
            let dense = try bands.map { try $0.contiguous() }
            for name in ["haar", "db2", "sym4"] {
                let w = try Wavelet.named(name)
                for mode in WaveletMode.allCases where n1 >= w.length / 2 && n2 >= w.length / 2 {
                    for b in [bands, dense] {
                        let given = WaveletBands(ll: b[0], lh: b[1], hl: b[2], hh: b[3])
                        SmallMapTransform.enabled = false
                        defer { SmallMapTransform.enabled = true; SynthesisRows.readsInPlace = true }
                        SynthesisRows.readsInPlace = true
                        let inPlace = try Tensor.idwt2(given, w, mode: mode).toFloats()
                        SynthesisRows.readsInPlace = false
                        let copied = try Tensor.idwt2(given, w, mode: mode).toFloats()
                        XCTAssertEqual(inPlace, copied, "\(name) \(mode) \(n1)x\(n2)")
                    }
                }
            }
        }
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

    /// Bands that are views (crops as waverec2 makes, a crop of the batch, transposed
    /// maps, an expanded batch) give what their contiguous copies give, on every path.
    func testBandViewsEqualContiguousCopies() throws {
        Random.manualSeed(13)
        let w = try Wavelet.named("db2")
        for (n1, n2) in [(4, 5), (5, 5), (9, 16), (17, 17)] {
            let big = try Tensor.randn([3, 7, n1 + 3, n2 + 2])
            let views = [
                try big.narrow(2, 1, n1).narrow(3, 2, n2),                    // crop of each map
                try big.narrow(1, 2, 4).narrow(2, 0, n1).narrow(3, 0, n2),    // crop of the batch too
                try Tensor.randn([3, 7, n2, n1]).transpose(2, 3),             // columns not consecutive
                try Tensor.randn([1, 1, n1, n2]).expand([3, 7, n1, n2]),      // one map repeated
            ]
            for mode in [WaveletMode.symmetric, .periodization, .reflect] {
                for (i, v) in views.enumerated() {
                    let copy = try v.clone()
                    let other = try Tensor.randn(v.shape)
                    for (small, rows) in [(true, true), (false, true), (false, false)] {
                        SmallMapTransform.enabled = small
                        SynthesisRows.enabled = rows
                        defer { SmallMapTransform.enabled = true; SynthesisRows.enabled = true }
                        let got = try Tensor.idwt2(WaveletBands(ll: v, lh: other, hl: nil, hh: v), w, mode: mode)
                        let want = try Tensor.idwt2(WaveletBands(ll: copy, lh: other, hl: nil, hh: copy), w, mode: mode)
                        XCTAssertEqual(got.toFloats(), want.toFloats(), "\(n1)x\(n2) \(mode) view \(i) small \(small) rows \(rows)")
                    }
                }
            }
        }
    }

    /// waverec2 hands idwt2 a crop of the coarser level's output; the result equals
    /// inverting each level from contiguous bands.
    func testWaverecEqualsLevelByLevel() throws {
        Random.manualSeed(14)
        for (h, wd) in [(8, 8), (32, 32), (13, 21)] {
            let x = try Tensor.randn([2, 5, h, wd])
            for name in ["haar", "db2", "sym4"] {
                let w = try Wavelet.named(name)
                for mode in [WaveletMode.symmetric, .periodization, .zero] {
                    let c = try x.wavedec2(w, level: 2, mode: mode, force: true)
                    var a = try Tensor.idwt2(WaveletBands(ll: c.approximation, lh: c.details[0].lh, hl: c.details[0].hl,
                                                          hh: c.details[0].hh), w, mode: mode)
                    let ref = c.details[1].lh!
                    a = try a.narrow(2, 0, ref.shape[2]).narrow(3, 0, ref.shape[3]).clone()
                    let want = try Tensor.idwt2(WaveletBands(ll: a, lh: c.details[1].lh, hl: c.details[1].hl,
                                                             hh: c.details[1].hh), w, mode: mode)
                    XCTAssertEqual(try Tensor.waverec2(c, w, mode: mode).toFloats(), want.toFloats(), "\(name) \(mode) \(h)x\(wd)")
                }
            }
        }
    }
}
