import Foundation
import NN
import XCTest
@testable import Pruning
@testable import Tensor

/// l1, l2, bn_scale and taylor on the seed-0 ResNet-56 against bench_criteria.py's
/// reference scores (Fixtures/resnet56_baseline_criteria.json), all 27 layerS.B.conv1
/// groups; taylor over the 5 labelled calibration batches of 128 (y = n mod 10).
final class ResNet56BaselineCriteriaTests: XCTestCase {
    func reference() throws -> (layers: [String], scores: [String: [String: [Double]]]) {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/resnet56_baseline_criteria.json")
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any])
        var scores: [String: [String: [Double]]] = [:]
        for k in ["l1", "l2", "bn_scale", "taylor"] {
            scores[k] = try XCTUnwrap((obj[k] as? [String: Any])?["scores"] as? [String: [Double]], k)
        }
        return (try XCTUnwrap(obj["layers"] as? [String]), scores)
    }

    func testAgreesWithTheReferenceScripts() throws {
        let net = try loadBenchResNet56()
        let ref = try reference()
        let graph = try DependencyGraph(net, inputShape: [1, 3, 32, 32])
        let groups = try ref.layers.map { try XCTUnwrap(graph.group(named: $0), $0).index }
        // one parameter frozen by the user stays frozen; the others get their flag back
        let frozen = try XCTUnwrap(net.namedParameters().first { $0.name == "layer2.0.bn1.weight" }).parameter
        frozen.requiresGrad = false
        let criteria: [(String, any Criterion, Double)] = [
            ("l1", NormCriterion(p: 1), 1e-5), ("l2", NormCriterion(p: 2), 1e-5),
            ("bn_scale", BNScaleCriterion(), 1e-5), ("taylor", TaylorCriterion(), 1e-3),
        ]
        for (name, c, tol) in criteria {
            let r = try Planner.score(net, graph: graph, criterion: c, groups: groups, calibration: try BatchList.sinusoid(batches: 5, size: 128), batches: 5)
            var worst = 0.0
            for (g, layer) in zip(groups, ref.layers) {
                guard case .scores(let s) = r[g]! else { return XCTFail("\(name) \(layer)") }
                worst = max(worst, ResNet56PaperCriteriaTests.assertAgrees(s, ref.scores[name]![layer]!, tol: tol, gap: 10 * tol, "\(name) \(layer)"))
            }
            print("ResNet-56 vs reference: \(name) max rel. deviation \(worst)")
        }
        XCTAssertFalse(frozen.requiresGrad)
        XCTAssertTrue(net.namedParameters().filter { $0.parameter !== frozen }.allSatisfy(\.parameter.requiresGrad))
        XCTAssertTrue(net.namedParameters().allSatisfy { $0.parameter.grad == nil })
    }
}
