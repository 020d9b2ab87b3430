@testable import NN
import Tensor
import XCTest

/// `ForwardHooks`: a hook lives as long as its module (never another module's at the same
/// address), follows a swapped layer, and a hook that replaced an output refuses the backward.
final class ForwardHooksTests: XCTestCase {
    override func tearDown() {
        ForwardHooks.entries.removeAll()
        ForwardHooks.purge()
    }

    /// Something a hook holds, to see when the hook is freed.
    final class Held {}

    func testAHookDiesWithItsModule() throws {
        weak var held: Held?
        do {
            let relu = ReLU(), h = Held()
            held = h
            _ = ForwardHooks.add(relu) { _, _, _ in _ = h; return nil }
            XCTAssertEqual(ForwardHooks.count, 1)
        }
        XCTAssertNotNil(held, "the dead module's entry waits for a purge")
        ForwardHooks.purge()
        XCTAssertEqual(ForwardHooks.count, 0)
        XCTAssertTrue(ForwardHooks.isEmpty, "fusion comes back once the dead module's hooks are gone")
        XCTAssertNil(held, "the hook and what it held are freed")
    }

    /// Modules made where dead ones were (malloc reuses their blocks) never run their hooks.
    func testANewModuleDoesNotInheritADeadOnesHooks() throws {
        var foreign = 0
        let x = try Tensor(shape: [1, 2], values: [1, -1])
        for _ in 0..<200 {
            do {
                let dead = ReLU()
                _ = ForwardHooks.add(dead) { _, _, y in foreign += 1; return try y.mul(Tensor(shape: [1], values: [0])) }
            }
            let net = Sequential([ReLU()])
            XCTAssertEqual(try net.forward(x).toFloats(), [1, 0])
        }
        XCTAssertEqual(foreign, 0)
    }

    func testSwappingALayerMovesItsHooks() throws {
        let old = ReLU()
        let net = try Sequential(named: [("act", old)])
        var calls = 0
        let id = ForwardHooks.add(old, label: "act") { _, _, _ in calls += 1; return nil }
        let (root, paths) = try net.replacingLayers { _, m in m is ReLU ? LeakyReLU() : nil }
        XCTAssertEqual(paths, ["act"])
        _ = try root.forward(try Tensor(shape: [1, 2], values: [1, -1]))
        XCTAssertEqual(calls, 1, "the replacement runs the hook")
        XCTAssertEqual(ForwardHooks.count, 1, "no entry is left on the old layer")
        XCTAssertTrue(ForwardHooks.remove(id), "the handle removes the moved hook")
        XCTAssertTrue(ForwardHooks.isEmpty)
    }

    func testABackwardThroughAReplacedOutputIsRefused() throws {
        let lin = try Linear(2, 2, bias: false)
        let net = try Sequential(named: [("a", lin), ("b", try Linear(2, 1, bias: false))])
        let x = try Tensor(shape: [1, 2], values: [1, 2])
        let id = ForwardHooks.add(lin, label: "a") { _, _, y in try y.mul(Tensor(shape: [1], values: [2])) }
        let y = try net.forward(x)
        XCTAssertThrowsError(try net.backward(try Tensor.ones(y.shape))) { e in
            XCTAssertTrue("\(e)".contains("backward: a forward hook replaced the output of a (Linear)"), "\(e)")
        }
        // a replacement without gradients is not differentiated; the next forward decides
        _ = try GradMode.withoutGrad { try net.forward(x) }
        ForwardHooks.remove(id)
        XCTAssertFalse(ForwardHooks.isEmpty, "the refusal outlives the hook until the next forward")
        XCTAssertThrowsError(try net.backward(try Tensor.ones(y.shape)))
        _ = try net.forward(x)
        XCTAssertNoThrow(try net.backward(try Tensor.ones(y.shape)))
        XCTAssertTrue(ForwardHooks.isEmpty)
    }
}
