import XCTest
@testable import NN
@testable import Tensor

/// `replaceModule(at:with:)`: any module by its path — a layer in a block's inlined body, a
/// shortcut, a Concat branch, a whole block — with the old one returned and nothing else
/// changed; bad paths and cycles are errors that change nothing.
final class ReplaceModuleTests: XCTestCase {
    func testReplacesLayersBlocksShortcutsAndBranches() throws {
        let net = try Zoo.resnetCifar(depth: 32, option: .b)
        net.eval()
        let x = randn([2, 3, 32, 32], seed: 1)
        let y0 = try net.forward(x)
        // a layer of an inlined body, by the path namedModules gives it
        let conv = try XCTUnwrap(net.module(at: "layer2.0.conv1") as? Conv2d)
        let twin = try Conv2d(16, 32, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), bias: false)
        try twin.weight.value.copy(from: conv.weight.value)
        XCTAssertTrue(try net.replaceModule(at: "layer2.0.conv1", with: twin) === conv)
        XCTAssertTrue(net.module(at: "layer2.0.conv1") === twin)
        XCTAssertEqual(try net.forward(x).toFloats(), y0.toFloats())
        // a shortcut (a Residual part) and a whole block (a Sequential child)
        let shortcut = try XCTUnwrap(net.module(at: "layer2.0.shortcut"))
        XCTAssertTrue(try net.replaceModule(at: "layer2.0.shortcut", with: Identity()) === shortcut)
        XCTAssertTrue(net.module(at: "layer2.0.shortcut") is Identity)
        try net.replaceModule(at: "layer2.0.shortcut", with: shortcut)
        let block = try XCTUnwrap(net.module(at: "layer3.4"))
        try net.replaceModule(at: "layer3.4", with: Identity())
        XCTAssertNotEqual(try net.forward(x).toFloats(), y0.toFloats())
        try net.replaceModule(at: "layer3.4", with: block)
        XCTAssertEqual(try net.forward(x).toFloats(), y0.toFloats())
        // a Concat branch (GoogLeNet's inception branches)
        let g = try Zoo.googlenet()
        let b2 = try XCTUnwrap(g.module(at: "a3.b2"))
        let stand = try Sequential(named: [("0", try Conv2d(192, 128, kernelSize: (1, 1)))])
        XCTAssertTrue(try g.replaceModule(at: "a3.b2", with: stand) === b2)
        XCTAssertTrue(g.module(at: "a3.b2") === stand)
    }

    func testBadPathsAndCyclesChangeNothing() throws {
        let net = try Zoo.resnetCifar(depth: 20)
        let before = net.namedModules().map { ObjectIdentifier($0.module) }
        XCTAssertThrowsError(try net.replaceModule(at: "", with: Identity())) { XCTAssertTrue("\($0)".contains("root itself")) }
        XCTAssertThrowsError(try net.replaceModule(at: "layer1.0.conv9", with: Identity())) { XCTAssertTrue("\($0)".contains("no module at")) }
        XCTAssertThrowsError(try net.replaceModule(at: "layer1", with: net)) { XCTAssertTrue("\($0)".contains("cycle")) }
        let outer = try Sequential(named: [("inner", net)])
        XCTAssertThrowsError(try net.replaceModule(at: "layer1.0", with: outer)) { XCTAssertTrue("\($0)".contains("cycle")) }
        let ac = try ACNet.convert(try Zoo.make("vgg11", options: [:])).net
        XCTAssertThrowsError(try ac.replaceModule(at: "features.0.square_conv", with: Identity()))
        XCTAssertEqual(net.namedModules().map { ObjectIdentifier($0.module) }, before)
    }
}
