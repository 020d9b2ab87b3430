import XCTest
@testable import NN
@testable import Tensor

/// Initialisers draw from the global generator in element order (the seeded streams
/// every saved result depends on), and `withoutRandomness` draws nothing.
final class InitTests: XCTestCase {
    func testInitialisersDrawTheSeededStreamInOrder() throws {
        Random.manualSeed(11)
        let n = try Init.normal([7, 5], std: 0.5)
        let u = try Init.uniform([9], bound: 0.25)
        var g = Xoshiro256(seed: 11)
        XCTAssertEqual(n.toFloats(), (0..<35).map { _ in Float(Double(g.nextNormal()) * 0.5) })
        XCTAssertEqual(u.toFloats(), (0..<9).map { _ in Float((g.nextDouble() * 2 - 1) * 0.25) })
        XCTAssertEqual(Random.global.next(), g.next(), "the global generator advanced by exactly what was drawn")
    }

    /// Large tensors are filled on several threads with exactly the sequential values.
    func testThreadedFillEqualsOneSequentialPass() throws {
        let before = Parallel.threads
        defer { Parallel.threads = before }
        Parallel.threads = 3
        let n = 3 * Init.parallelGrain + 17
        Random.manualSeed(13)
        let a = try Init.normal([n], std: 2)
        let b = try Init.uniform([n], bound: 1)
        var g = Xoshiro256(seed: 13)
        XCTAssertEqual(a.toFloats(), (0..<n).map { _ in Float(Double(g.nextNormal()) * 2) })
        XCTAssertEqual(b.toFloats(), (0..<n).map { _ in Float((g.nextDouble() * 2 - 1) * 1) })
        XCTAssertEqual(Random.global.next(), g.next())
    }

    func testWithoutRandomnessGivesZerosAndLeavesTheGenerator() throws {
        Random.manualSeed(12)
        let conv = try Init.withoutRandomness { try Conv2d(3, 4, kernelSize: (3, 3)) }
        XCTAssertTrue(conv.weight.value.toFloats().allSatisfy { $0 == 0 })
        XCTAssertTrue(conv.bias!.value.toFloats().allSatisfy { $0 == 0 })
        var g = Xoshiro256(seed: 12)
        XCTAssertEqual(Random.global.next(), g.next(), "nothing was drawn")
        // Initialisation is random again afterwards.
        XCTAssertTrue(try Conv2d(3, 4, kernelSize: (3, 3)).weight.value.toFloats().contains { $0 != 0 })
    }
}
