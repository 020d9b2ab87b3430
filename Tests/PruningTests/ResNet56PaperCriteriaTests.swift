import Data
import Foundation
import Kernels
import NN
import XCTest
@testable import Pruning
@testable import Tensor

/// FPWT and entropy on the seed-0 ResNet-56 against bench_criteria.py's reference scores
/// (PyTorch maps, PyWavelets / NumPy; Fixtures/resnet56_fpwt_entropy.json) over its 5
/// calibration batches of 128: every one of the 27 layerS.B.conv1 groups, same scores to
/// a tolerance and the same ranking wherever the reference's scores are apart.
final class ResNet56PaperCriteriaTests: XCTestCase {
    struct Reference {
        let layers: [String]
        let mapSum: [String: Double]
        let entropy: [String: [Double]]
        let fpwt: [String: [Double]]
        let alphaBeta: [String: [Double]]
    }

    func reference() throws -> Reference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/resnet56_fpwt_entropy.json")
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any])
        func scores(_ k: String) throws -> [String: [Double]] {
            try XCTUnwrap((obj[k] as? [String: Any])?["scores"] as? [String: [Double]])
        }
        return Reference(layers: try XCTUnwrap(obj["layers"] as? [String]),
                         mapSum: try XCTUnwrap(obj["map_sum"] as? [String: Double]),
                         entropy: try scores("entropy"), fpwt: try scores("fpwt"),
                         alphaBeta: try XCTUnwrap((obj["fpwt"] as? [String: Any])?["alpha_beta"] as? [String: [Double]]))
    }

    /// Same ranking: every pair whose reference scores differ by more than `gap` is in the
    /// same order; every score within `tol` (relative to the layer's largest).
    static func assertAgrees(_ ours: [Double], _ ref: [Double], tol: Double, gap: Double, _ what: String) -> Double {
        XCTAssertEqual(ours.count, ref.count, what)
        let scale = max(ref.map(abs).max() ?? 1, 1e-12)
        var worst = 0.0
        for i in ref.indices {
            worst = max(worst, abs(ours[i] - ref[i]) / scale)
            for j in ref.indices where ref[i] < ref[j] - gap * scale {
                XCTAssertLessThan(ours[i], ours[j], "\(what): channels \(i) and \(j) ranked differently")
            }
        }
        XCTAssertLessThanOrEqual(worst, tol, "\(what): largest deviation")
        return worst
    }

    func testAgreesWithTheReferenceScripts() throws {
        let net = try loadBenchResNet56()
        let ref = try reference()
        let graph = try DependencyGraph(net, inputShape: [1, 3, 32, 32])
        let groups = try ref.layers.map { try XCTUnwrap(graph.group(named: $0), $0).index }
        // the maps themselves: sums as PyTorch's
        let maps = try Calibration.collect(net, points: groups.map { graph.point(of: $0)! }, source: try BatchList.sinusoid(batches: 5, size: 128),
                                           batches: 5, gradients: false) { _, m, _ in try m.sum([0, 2, 3]).reshape([1, -1]) }
        for (g, name) in zip(groups, ref.layers) {
            let s = try maps[g]!.toFloats().reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(s, ref.mapSum[name]!, accuracy: 1e-4 * ref.mapSum[name]!, name)
        }
        var worst = (entropy: 0.0, fpwt: 0.0)
        let entropy = try Planner.score(net, graph: graph, criterion: EntropyCriterion(), groups: groups,
                                        calibration: try BatchList.sinusoid(batches: 5, size: 128), batches: 5)
        let fpwt = FPWTCriterion(wavelet: try Wavelet.named("haar"))
        let f = try Planner.score(net, graph: graph, criterion: fpwt, groups: groups, calibration: try BatchList.sinusoid(batches: 5, size: 128), batches: 5)
        for (g, name) in zip(groups, ref.layers) {
            guard case .scores(let e) = entropy[g]!, case .scores(let w) = f[g]! else { return XCTFail(name) }
            worst.entropy = max(worst.entropy, Self.assertAgrees(e, ref.entropy[name]!, tol: 2e-4, gap: 1e-3, "entropy \(name)"))
            worst.fpwt = max(worst.fpwt, Self.assertAgrees(w, ref.fpwt[name]!, tol: 2e-5, gap: 1e-4, "fpwt \(name)"))
        }
        print("ResNet-56 vs reference: entropy max rel. deviation \(worst.entropy), fpwt \(worst.fpwt)")
    }
}

/// ../shared/bench/resnet56_seed0.safetensors in the zoo's ResNet-56, eval mode (skips the
/// test when the file is absent).
func loadBenchResNet56() throws -> Sequential {
    let path = ResNet56Tests.bench + "/resnet56_seed0.safetensors"
    guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) not found") }
    let net = try Zoo.resnetCifar(depth: 56)
    let file = try SafeTensors.read(path)
    try net.loadStateDict(file.entries.map { ($0.name, $0.tensor) }, strict: false)
    net.eval()
    return net
}
