@testable import NN
import Tensor
import XCTest

/// `ForwardHooks`: a hook lives as long as its module (never another module's at the same
/// address) and follows a swapped layer.
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
}
