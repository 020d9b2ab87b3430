import Foundation
import Kernels
import NN
import XCTest
@testable import Pruning
@testable import Tensor

/// FPWT and SFM's entropy: hand-computed cases, a tiny net with an obvious answer, and
/// scores that do not depend on the order of the calibration batches.
final class PaperCriteriaTests: XCTestCase {
    func haar() throws -> FPWTCriterion { FPWTCriterion(wavelet: try Wavelet.named("haar")) }

    /// One image, 2×2 maps, haar level 1: pywt.dwt2 of [[a, b], [c, d]] gives
    /// cA = (a+b+c+d)/2, cH = (a+b−c−d)/2, cV = (a−b+c−d)/2, cD = (a−b−c+d)/2.
    /// ch0 = [[1,0],[0,0]]: L = .5, H = (.5, .5, .5); ch1 = 2·ch0; ch2 = [[0,1],[0,0]]:
    /// L = .5, H = (.5, −.5, −.5). E_L = 1.5, E_H = 4.5 → α = .25, β = .75.
    /// cos L = 1 everywhere; cos H(0,1) = 1, cos H(0,2) = cos H(1,2) = −1/3.
    /// sim(0,1) = 1, sim(0,2) = sim(1,2) = .25 − .25 = 0 → importance −.5, −.5, 0.
    func testFPWTByHand() throws {
        let x = try Tensor(shape: [1, 3, 2, 2], values: [1, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0])
        let r = try haar().scores(maps: x)
        for (a, b) in zip(r.importance, [-0.5, -0.5, 0]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(r.alpha, [0.25, 0.25, 0.25])
        XCTAssertEqual(r.beta, [0.75, 0.75, 0.75])
        // energy variant: α·‖L‖ + β·‖H‖ = .25·.5 + .75·√.75, .25·1 + .75·√3, as ch0
        let e = try FPWTCriterion(wavelet: try Wavelet.named("haar"), variant: .energy).scores(maps: x).importance
        let e0 = 0.25 * 0.5 + 0.75 * 0.75.squareRoot()
        for (a, b) in zip(e, [e0, 2 * e0, e0]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        // per-channel weights: a constant channel [[1,1],[1,1]] has L = 2, H = 0 → α = 1, β = 0
        let y = try Tensor(shape: [1, 2, 2, 2], values: [1, 1, 1, 1, 1, 0, 0, 0])
        let p = try FPWTCriterion(wavelet: try Wavelet.named("haar"), weights: .channel).scores(maps: y)
        XCTAssertEqual(p.alpha[0], 1, accuracy: 1e-12)
        XCTAssertEqual(p.beta[0], 0, accuracy: 1e-12)
        XCTAssertEqual(p.alpha[1], 0.25, accuracy: 1e-12)
        // sim(0,1) = 1·cos L = 1 (row 0); sim(1,0) = .25·1 + .75·0 (cos with a zero H is 0)
        XCTAssertEqual(p.importance[0], -1, accuracy: 1e-6)
        XCTAssertEqual(p.importance[1], -0.25, accuracy: 1e-6)
    }

    /// numpy.histogram semantics: [0, 1, 2, 3] in 4 bins → 2 bits; in 2 bins (edges 0, 1.5,
    /// 3) → 1 bit; a constant map → 0; mean over images.
    func testEntropyByHand() throws {
        let x = try Tensor(shape: [2, 2, 2, 2], values: [0, 1, 2, 3, 5, 5, 5, 5, 3, 2, 1, 0, 0, 0, 0, 1])
        // ch0: 2 bits in both images; ch1: 0 (constant), then [0,0,0,1] → −(.75 log .75 + .25 log .25)
        let h1 = -(0.75 * log2(0.75) + 0.25 * log2(0.25))
        let s = try EntropyCriterion(bins: 4).scores(maps: x)
        XCTAssertEqual(s[0], 2, accuracy: 1e-6)
        XCTAssertEqual(s[1], h1 / 2, accuracy: 1e-6)
        XCTAssertEqual(try EntropyCriterion(bins: 2).scores(maps: x)[0], 1, accuracy: 1e-6)
        // natural log
        XCTAssertEqual(try EntropyCriterion(bins: 4, base: M_E).scores(maps: x)[0], log(4), accuracy: 1e-6)
        // pooled: image means ch0 1.5, 1.5 (constant → 0); ch1 5, .25 → two bins → 1 bit
        let pooled = try EntropyCriterion(variant: .pooled, bins: 4).scores(maps: x)
        XCTAssertEqual(pooled[0], 0, accuracy: 1e-6)
        XCTAssertEqual(pooled[1], 1, accuracy: 1e-6)
        // softmax of (x − mean)²: a constant map → uniform over 4 pixels → 2 bits
        let soft = try EntropyCriterion(variant: .softmax).scores(maps: x.narrow(0, 0, 1))
        XCTAssertEqual(soft[1], 2, accuracy: 1e-5)
        XCTAssertThrowsError(try EntropyCriterion(variant: .pooled).scores(maps: x.narrow(0, 0, 1))) { e in
            XCTAssertTrue("\(e)".contains("needs at least 2 calibration images"), "\(e)")
        }
    }

    /// conv(1→5) + BN + ReLU + conv(5→2): channel 0 a horizontal-edge filter, 1 the same
    /// filter (a duplicate), 2 a vertical-edge filter, 3 constant (zero filter, bias 1),
    /// 4 dead (zero filter, bias −1).
    func tinyNet() throws -> Sequential {
        let c1 = try Conv2d(1, 5, kernelSize: (3, 3), padding: (1, 1))
        let h: [Float] = [1, 1, 1, 0, 0, 0, -1, -1, -1], v: [Float] = [1, 0, -1, 1, 0, -1, 1, 0, -1]
        let z = [Float](repeating: 0, count: 9)
        c1.weight.value = try Tensor(shape: [5, 1, 3, 3], values: h + h + v + z + z)
        c1.bias!.value = try Tensor(shape: [5], values: [0, 0, 0, 1, -1])
        return Sequential([c1, try BatchNorm2d(5), ReLU(), try Conv2d(5, 2, kernelSize: (3, 3), padding: (1, 1))])
    }

    func scores(_ net: Sequential, _ c: any Criterion, order: [Int] = [0, 1, 2]) throws -> [Double] {
        let graph = try DependencyGraph(net, inputShape: [1, 1, 12, 12])
        let g = try XCTUnwrap(graph.group(named: "0"))
        let all = randn([24, 1, 12, 12], seed: 7)
        let batches = try! order.map { b in (try! all.narrow(0, 8 * b, 8).contiguous(), try Tensor(zeros: [8], dtype: .int64)) }
        let r = try Planner.score(net, graph: graph, criterion: c, groups: [g.index], calibration: BatchList(batches), batches: 3)
        guard case .scores(let s) = r[g.index]! else { XCTFail("no scores"); return [] }
        return s
    }

    func testObviousAnswersOnATinyNet() throws {
        let net = try tinyNet()
        let e = try scores(net, EntropyCriterion())
        // constant and dead maps carry no information; the edge maps do
        XCTAssertEqual(e[3], 0); XCTAssertEqual(e[4], 0)
        for c in 0..<3 { XCTAssertGreaterThan(e[c], 1, "channel \(c)") }
        XCTAssertEqual(e[0], e[1], accuracy: 1e-9)
        XCTAssertEqual(try scores(net, EntropyCriterion(variant: .pooled))[3], 0)
        // fpwt: the duplicated pair is the most redundant (sim 1 with each other)
        let f = try scores(net, try haar())
        XCTAssertEqual(f[0], f[1], accuracy: 1e-6)
        for c in 2..<5 { XCTAssertGreaterThan(f[c], f[0] + 0.05, "channel \(c)") }
        // a dead map has cosine 0 with everything: nothing is like it (score 0, the maximum)
        XCTAssertEqual(f[4], 0, accuracy: 1e-12)
        XCTAssertEqual(f.max()!, 0, accuracy: 1e-12)
        // the constant map has no detail energy: its H cosines are 0
        let energy = try scores(net, FPWTCriterion(wavelet: try Wavelet.named("haar"), variant: .energy))
        XCTAssertEqual(energy[4], 0)
        XCTAssertEqual(energy[0], energy[1], accuracy: 1e-4 * energy[0])
    }

    func testScoresDoNotDependOnBatchOrder() throws {
        let net = try tinyNet()
        let criteria: [any Criterion] = [
            EntropyCriterion(), EntropyCriterion(variant: .pooled, bins: 16), EntropyCriterion(variant: .softmax),
            try haar(), FPWTCriterion(wavelet: try Wavelet.named("db2"), mode: .periodization, weights: .channel),
            FPWTCriterion(wavelet: try Wavelet.named("haar"), level: 2, variant: .energy),
        ]
        for c in criteria {
            let a = try scores(net, c), b = try scores(net, c, order: [2, 0, 1])
            for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: 1e-6 * max(1, abs(u)), "\(c)") }
        }
    }
}
