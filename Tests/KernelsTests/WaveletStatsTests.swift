import Foundation
import XCTest
@testable import Kernels
@testable import Tensor

/// `waveletChannelStats` (FPWT's sums) against its definition computed naively in double
/// from the bands of `dwt2` / `wavedec2` (themselves checked against PyWavelets).
final class WaveletStatsTests: XCTestCase {
    /// Σ_n cos, energies and norms of the approximation and of the concatenated details,
    /// by plain loops.
    func naive(_ x: Tensor, _ w: Wavelet, _ mode: WaveletMode, level: Int, details: WaveletDetailBands)
        throws -> (cosL: [Double], cosH: [Double], eL: [Double], eH: [Double], nL: [Double], nH: [Double]) {
        let n = x.shape[0], c = x.shape[1]
        let dec = try x.wavedec2(w, level: level, mode: mode, force: true)
        let low = dec.approximation.toFloats()
        let chosen = details == .all ? dec.details : [dec.details[0]]
        let high = chosen.flatMap { [$0.lh!, $0.hl!, $0.hh!] }.map { ($0.toFloats(), $0.shape[2] * $0.shape[3]) }
        let dL = low.count / (n * c)
        func vecL(_ i: Int, _ ch: Int) -> [Double] { (0..<dL).map { Double(low[(i * c + ch) * dL + $0]) } }
        func vecH(_ i: Int, _ ch: Int) -> [Double] {
            high.flatMap { (v, d) in (0..<d).map { Double(v[(i * c + ch) * d + $0]) } }
        }
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        func cos(_ a: [Double], _ b: [Double]) -> Double {
            let na = dot(a, a).squareRoot(), nb = dot(b, b).squareRoot()
            return na > 0 && nb > 0 ? dot(a, b) / (na * nb) : 0
        }
        var r = (cosL: [Double](repeating: 0, count: c * c), cosH: [Double](repeating: 0, count: c * c),
                 eL: [Double](repeating: 0, count: c), eH: [Double](repeating: 0, count: c),
                 nL: [Double](repeating: 0, count: c), nH: [Double](repeating: 0, count: c))
        for i in 0..<n {
            let ls = (0..<c).map { vecL(i, $0) }, hs = (0..<c).map { vecH(i, $0) }
            for a in 0..<c {
                r.eL[a] += dot(ls[a], ls[a]); r.eH[a] += dot(hs[a], hs[a])
                r.nL[a] += dot(ls[a], ls[a]).squareRoot(); r.nH[a] += dot(hs[a], hs[a]).squareRoot()
                for b in 0..<c { r.cosL[a * c + b] += cos(ls[a], ls[b]); r.cosH[a * c + b] += cos(hs[a], hs[b]) }
            }
        }
        return r
    }

    func assertClose(_ a: [Double], _ b: [Double], _ tol: Double, _ what: String) {
        XCTAssertEqual(a.count, b.count, what)
        for (k, (u, v)) in zip(a, b).enumerated() {
            XCTAssertEqual(u, v, accuracy: tol * max(1, abs(v)), "\(what)[\(k)]")
        }
    }

    func testMatchesTheDefinition() throws {
        Random.manualSeed(3)
        // dead channel 1, constant channel 2, the rest ReLU(N(0, 1))
        let x = try Tensor.randn([7, 4, 12, 10]).clamp(min: 0, max: nil).contiguous()
        for i in 0..<7 {
            for k in 0..<120 { x.ptr[(i * 4 + 1) * 120 + k] = 0; x.ptr[(i * 4 + 2) * 120 + k] = 1.5 }
        }
        for (name, mode, level, details) in [("haar", WaveletMode.symmetric, 1, WaveletDetailBands.all),
                                            ("db2", .periodization, 1, .all), ("sym3", .zero, 1, .all),
                                            ("haar", .symmetric, 2, .all), ("db2", .reflect, 2, .coarsest)] {
            let w = try Wavelet.named(name)
            let s = try x.waveletChannelStats(w, mode: mode, level: level, details: details, force: true)
            let r = try naive(x, w, mode, level: level, details: details)
            let what = "\(name) \(mode) level \(level) \(details)"
            XCTAssertEqual(s.images, 7, what)
            assertClose(s.cosLow, r.cosL, 1e-5, what + " cos L")
            assertClose(s.cosHigh, r.cosH, 1e-5, what + " cos H")
            assertClose(s.energyLow, r.eL, 1e-5, what + " E_L")
            assertClose(s.energyHigh, r.eH, 1e-5, what + " E_H")
            assertClose(s.normLow, r.nL, 1e-5, what + " ‖L‖")
            assertClose(s.normHigh, r.nH, 1e-5, what + " ‖H‖")
        }
    }

    /// The same sums whatever the thread count and when batches are added up.
    func testThreadsAndBatchesAddUp() throws {
        Random.manualSeed(4)
        let x = try Tensor.randn([9, 3, 8, 8]).clamp(min: 0, max: nil).contiguous()
        let w = try Wavelet.named("haar")
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        Parallel.threads = 1
        let one = try x.waveletChannelStats(w)
        Parallel.threads = 2
        var sum = try x.narrow(0, 0, 4).waveletChannelStats(w)
        sum.add(try x.narrow(0, 4, 5).waveletChannelStats(w))
        XCTAssertEqual(sum.images, 9)
        assertClose(sum.cosLow, one.cosLow, 1e-6, "cos L")
        assertClose(sum.energyHigh, one.energyHigh, 1e-6, "E_H")
        XCTAssertTrue(try x.waveletChannelStats(w, similarity: false).cosLow.isEmpty)
    }

    func testMapsTooSmallForTheWavelet() throws {
        let x = try Tensor.randn([2, 3, 8, 8])
        XCTAssertThrowsError(try x.waveletChannelStats(try Wavelet.named("sym8"))) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("8x8 feature maps are too small for sym8 at level 1"), m)
            XCTAssertTrue(m.contains("deepest level they allow is 0"), m)
        }
        XCTAssertThrowsError(try x.waveletChannelStats(try Wavelet.named("haar"), level: 4)) { e in
            XCTAssertTrue("\(e)".contains("deepest level they allow is 3"), "\(e)")
        }
        XCTAssertNoThrow(try x.waveletChannelStats(try Wavelet.named("sym8"), force: true))
        XCTAssertThrowsError(try Tensor.randn([2, 3, 8]).waveletChannelStats(try Wavelet.named("haar")))
        let bad = try Tensor.randn([2, 3, 4, 4])
        bad.ptr[5] = .nan
        XCTAssertThrowsError(try bad.waveletChannelStats(try Wavelet.named("haar"))) { e in
            XCTAssertTrue("\(e)".contains("NaN"), "\(e)")
        }
    }
}
