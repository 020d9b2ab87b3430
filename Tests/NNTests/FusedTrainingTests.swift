import XCTest
@testable import Kernels
@testable import NN
@testable import Tensor

/// The training-time fusions — a BatchNorm and the ReLU after it as one pass in
/// `Sequential`, a residual block's add and ReLU as one pass — against the layers run one
/// by one (a forward hook on an unrelated module turns both off): outputs, input
/// gradients, parameter gradients and running statistics bit for bit. Frozen evaluation
/// runs here with the frozen-layer fusion off (`FusedInference.fusesFrozen`, tested in
/// FrozenFusionTests), so these fusions are what runs.
final class FusedTrainingTests: XCTestCase {
    override func setUp() { FusedInference.fusesFrozen = false }
    override func tearDown() { FusedInference.fusesFrozen = true }

    /// Output, input gradient, parameter gradients and buffers after one forward and
    /// backward of `makeNet()` (seeded), fused or layer by layer.
    func run(_ makeNet: () throws -> Sequential, input: [Int], training: Bool, fused: Bool,
             frozen: Bool = false, backward wrap: ((() throws -> Tensor) throws -> Tensor)? = nil) throws -> [String: [Float]] {
        Random.manualSeed(5)
        let net = try makeNet()
        net.train(training)
        if frozen { for p in net.namedParameters() { p.parameter.requiresGrad = false } }
        let x = try Tensor.randn(input)
        let hook = fused ? nil : ForwardHooks.add(Identity()) { _, _, _ in nil }
        defer { if let hook { ForwardHooks.remove(hook) } }
        XCTAssertEqual(ForwardHooks.isEmpty, fused)
        let y = try net.forward(x)
        // the fused run did fuse: some BatchNorm ran with its ReLU, and every residual
        // block's ReLU kept the block's own output
        let pairs = net.namedModules().compactMap { ($0.module as? Sequential)?.fusedReLUs.count }.reduce(0, +)
        XCTAssertEqual(pairs > 0, fused)
        for case let (_, block as Residual) in net.namedModules() {
            if let relu = block.post as? ReLU { XCTAssertNotNil(relu.cache) }
        }
        let dy = try Tensor.randn(y.shape)
        let dx = try wrap.map { try $0 { try net.backward(dy) } } ?? net.backward(dy)
        var out = ["y": y.toFloats(), "dx": dx.toFloats()]
        for p in net.namedParameters() where p.parameter.requiresGrad {
            out["grad " + p.name] = try p.parameter.gradBuffer().toFloats()
        }
        for b in net.namedBuffers() { out["buffer " + b.name] = try b.tensor.toFloat().toFloats() }
        return out
    }

    func assertSame(_ a: [String: [Float]], _ b: [String: [Float]], _ what: String) {
        XCTAssertEqual(Set(a.keys), Set(b.keys), what)
        for (k, v) in a {
            let w = b[k] ?? []
            XCTAssertEqual(v.count, w.count, "\(what): \(k)")
            let same = zip(v, w).allSatisfy { $0.bitPattern == $1.bitPattern }
            XCTAssertTrue(same, "\(what): \(k) differs (max |Δ| \(zip(v, w).map { abs($0 - $1) }.max() ?? 0))")
        }
    }

    func testResNetTrainingStepIsBitExact() throws {
        let make = { try Zoo.resnetCifar(depth: 8, classes: 10) }
        assertSame(try run(make, input: [4, 3, 12, 12], training: true, fused: true),
                   try run(make, input: [4, 3, 12, 12], training: true, fused: false), "resnet8 training")
    }

    /// A residual block's closing BatchNorm writing relu(its output + the shortcut's) in one
    /// pass (`Residual.fusesClosingNorm`) against the BatchNorm and the add + ReLU apart:
    /// identity and option-A shortcuts on planes above and below BatchNorm's per-channel
    /// passes (16×16, 12×12), an option-B shortcut with odd channels, a block without a
    /// ReLU after the sum, on 1 and 2 threads; the fused runs did fuse.
    func testClosingNormAddReLUIsBitExact() throws {
        let (threadsBefore, before) = (Parallel.threads, Residual.fusesClosingNorm)
        defer { (Parallel.threads, Residual.fusesClosingNorm) = (threadsBefore, before) }
        let nets: [(String, () throws -> Sequential, [Int], Int)] = [
            ("resnet8 16×16", { try Zoo.resnetCifar(depth: 8, classes: 10) }, [3, 3, 16, 16], 3),
            ("resnet8 12×12", { try Zoo.resnetCifar(depth: 8, classes: 10) }, [4, 3, 12, 12], 3),
            ("option B, odd channels, no post", {
                try Sequential([
                    conv(3, 11), BatchNorm2d(11), ReLU(),
                    optionBBlock(11, 13),
                    Residual(body: Sequential([conv(13, 13), BatchNorm2d(13)])),
                    Flatten(), Linear(13 * 9 * 9, 3)])
            }, [2, 3, 17, 17], 2),
        ]
        for (name, make, input, blocks) in nets {
            for threads in [1, 2] {
                Parallel.threads = threads
                Residual.fusesClosingNorm = false
                var runs = Residual.closingNormRuns
                let apart = try run(make, input: input, training: true, fused: true)
                XCTAssertEqual(Residual.closingNormRuns, runs, "\(name): the reference fused")
                Residual.fusesClosingNorm = true
                runs = Residual.closingNormRuns
                let together = try run(make, input: input, training: true, fused: true)
                XCTAssertEqual(Residual.closingNormRuns - runs, blocks, "\(name): blocks fused")
                assertSame(together, apart, "\(name), \(threads) threads")
            }
        }
    }

    /// VGG (flat conv–BN–ReLU runs, odd plane sizes) and a BatchNorm1d–ReLU pair.
    func testVGGAndBatchNorm1dAreBitExact() throws {
        let make = {
            try Sequential([Conv2d(3, 7, kernelSize: (3, 3), padding: (1, 1)), BatchNorm2d(7), ReLU(),
                            Conv2d(7, 5, kernelSize: (3, 3), padding: (1, 1)), BatchNorm2d(5), ReLU(), Flatten(),
                            Linear(5 * 7 * 5, 9), BatchNorm1d(9), ReLU(), Linear(9, 3)])
        }
        assertSame(try run(make, input: [6, 3, 7, 5], training: true, fused: true),
                   try run(make, input: [6, 3, 7, 5], training: true, fused: false), "vgg-like training")
    }

    /// Evaluation mode with gradients and frozen parameters (what Taylor scores run).
    func testFrozenEvaluationIsBitExact() throws {
        let make = { try Zoo.resnetCifar(depth: 8, classes: 10) }
        assertSame(try run(make, input: [3, 3, 8, 8], training: false, fused: true, frozen: true),
                   try run(make, input: [3, 3, 8, 8], training: false, fused: false, frozen: true), "resnet8 frozen")
    }

    /// Residual nets for the backward fusions: resnet8 (identity and option-A blocks, a
    /// stride-2 first convolution), and an option-B block, a body whose first layer cannot
    /// add (a BatchNorm–ReLU pair), a body that is one Conv2d and one that ends with a
    /// BatchNorm.
    let residualNets: [(String, () throws -> Sequential, [Int])] = [
        ("resnet8", { try Zoo.resnetCifar(depth: 8, classes: 10) }, [4, 3, 12, 12]),
        ("option B, BN-first body, Conv2d body", {
            try Sequential([
                conv(3, 8), BatchNorm2d(8), ReLU(),
                optionBBlock(8, 16),
                Residual(body: Sequential([BatchNorm2d(16), ReLU(), conv(16, 16)]), post: ReLU()),
                Residual(body: conv(16, 16), post: ReLU()),
                Residual(body: Sequential([conv(16, 16), BatchNorm2d(16)]), post: ReLU()),
                Flatten(), Linear(16 * 5 * 5, 3)])
        }, [2, 3, 9, 9]),
    ]

    /// A residual block's shortcut gradient added in its first convolution's input-gradient
    /// pass (`Residual.addsShortcutGradientInPlace`) against the separate sum: identity and
    /// option-A shortcuts (resnet8), an option-B shortcut, a body whose first layer cannot
    /// add (a BatchNorm–ReLU pair) and a body that is one Conv2d, in training and frozen
    /// evaluation, with a gradient hook that must see every module either way.
    func testShortcutGradientAddedInPlaceIsBitExact() throws {
        let before = Residual.addsShortcutGradientInPlace
        defer { Residual.addsShortcutGradientInPlace = before }
        for (name, make, input) in residualNets {
            for (training, frozen) in [(true, false), (false, true)] {
                var runs: [[String: [Float]]] = [], seen: [[String]] = []
                for inPlace in [true, false] {
                    Residual.addsShortcutGradientInPlace = inPlace
                    var paths: [String] = []
                    runs.append(try run(make, input: input, training: training, fused: true, frozen: frozen) { body in
                        try Tracer.observeGradients(forward: { _, _, _, _ in }, backward: { p, _, _ in paths.append(p) }, body)
                    })
                    seen.append(paths.sorted())
                }
                assertSame(runs[0], runs[1], "\(name), training \(training)")
                XCTAssertEqual(seen[0], seen[1], name)
                XCTAssertGreaterThan(seen[0].count, 5, name)
            }
        }
    }

    /// A residual block's closing ReLU left to the next module's input gradient
    /// (`GateBehindReLU`: written gated in the next block's first convolution's output pass,
    /// or after the fact where it cannot be) against the ReLU's own backward: resnet8
    /// (identity and option-A blocks, a stride-2 first convolution), an option-B block,
    /// a body that starts with a BatchNorm and one that is a Conv2d, in training and frozen
    /// evaluation (layer by layer; with frozen-layer fusion in FrozenFusionTests); skipped
    /// ReLUs counted. A gradient observer that needs every module turns it off and sees the
    /// same gradients.
    func testClosingReLULeftToTheNextBlockIsBitExact() throws {
        let before = GateBehindReLU.enabled
        defer { GateBehindReLU.enabled = before }
        for (name, make, input) in residualNets {
            for (training, frozen) in [(true, false), (false, true)] {
                let what = "\(name), training \(training)"
                var runs: [[String: [Float]]] = []
                for enabled in [true, false] {
                    GateBehindReLU.enabled = enabled
                    let skipped = GateBehindReLU.skipped
                    runs.append(try run(make, input: input, training: training, fused: true, frozen: frozen))
                    XCTAssertEqual(GateBehindReLU.skipped > skipped, enabled, what)
                }
                assertSame(runs[0], runs[1], what)
                // an observer of every gradient: nothing skipped, the same gradients and paths
                GateBehindReLU.enabled = true
                let skipped = GateBehindReLU.skipped
                var paths: [String] = []
                let watched = try run(make, input: input, training: training, fused: true, frozen: frozen) { body in
                    try Tracer.observeGradients(forward: { _, _, _, _ in }, backward: { p, _, _ in paths.append(p) }, body)
                }
                XCTAssertEqual(GateBehindReLU.skipped, skipped, "\(what): observed")
                assertSame(watched, runs[1], "\(what): observed")
                let closing = name == "resnet8" ? "layer1.0.relu2" : "4.relu"
                XCTAssertTrue(paths.contains(closing), "\(what): \(closing) not reported")
            }
        }
    }

    /// A fused pair with a gradient hook watching the backward: the ReLU runs backward
    /// on its own (from its kept output), the hook sees every module, and the BatchNorm's
    /// gate then changes nothing.
    func testGradientHookAfterAFusedForward() throws {
        let make = { try Sequential([Conv2d(2, 4, kernelSize: (3, 3), padding: (1, 1)), BatchNorm2d(4), ReLU()]) }
        var seen: [String] = []
        let watched = try run(make, input: [2, 2, 5, 5], training: true, fused: true) { body in
            try Tracer.observeGradients(forward: { _, _, _, _ in }, backward: { path, _, _ in seen.append(path) }, body)
        }
        XCTAssertEqual(seen, ["2", "1", "0"])
        assertSame(watched, try run(make, input: [2, 2, 5, 5], training: true, fused: false), "hooked backward")
    }
}

/// Training fusion under an observer that names the outputs it needs
/// (`Tracer.observeGradients(forward:backward:fusingExcept:)`, as Taylor scores observe),
/// the frozen-layer fusion off so the training fusion is what runs.
final class FusedObservationTests: XCTestCase {
    override func setUp() { FusedInference.fusesFrozen = false }
    override func tearDown() { FusedInference.fusesFrozen = true }

    /// Every module's forward output and output gradient the observer saw, by path, and
    /// the input gradient; `needed` nil observes without fusion.
    func observe(_ net: Sequential, _ x: Tensor, _ dy: Tensor, needed: Set<String>?) throws
        -> (maps: [String: [Float]], grads: [String: [Float]], dx: [Float], pairs: Int) {
        var maps: [String: [Float]] = [:], grads: [String: [Float]] = [:]
        let forward: (String, any Module, Tensor, Tensor) -> Void = { path, _, _, y in maps[path] = try? y.toFloats() }
        let backward: (String, any Module, Tensor) -> Void = { path, _, g in grads[path] = try? g.toFloats() }
        let body = { () throws -> Tensor in _ = try net.forward(x); return try net.backward(dy) }
        let dx = try needed.map { try Tracer.observeGradients(forward: forward, backward: backward, fusingExcept: $0, body) }
            ?? Tracer.observeGradients(forward: forward, backward: backward, body)
        return (maps, grads, try dx.toFloats(), Self.fusedPairs(net))
    }

    /// Fused pairs of the last forward in `m` and below, transparent children included.
    static func fusedPairs(_ m: any Module) -> Int {
        ((m as? Sequential)?.fusedReLUs.count ?? 0) + m.children.map { fusedPairs($0.module) }.reduce(0, +)
    }

    func testNeededPathsSeeTheLayerByLayerValues() throws {
        Random.manualSeed(9)
        let net = try Zoo.resnetCifar(depth: 8, classes: 10)
        net.train(false)
        for p in net.namedParameters() { p.parameter.requiresGrad = false }
        let x = try Tensor.randn([3, 3, 8, 8]), dy = try Tensor.randn([3, 10])
        // every ReLU that follows a BatchNorm (in the order a layer-by-layer forward reports
        // them), and one BatchNorm whose pair must then run layer by layer
        var order: [(String, any Module)] = []
        try Tracer.observe({ path, m, _, _ in order.append((path, m)) }) { _ = try net.forward(x) }
        var reluPaths: [String] = [], bnPaths: [String] = []
        for i in 1..<order.count where order[i].1 is ReLU && order[i - 1].1 is BatchNorm {
            let parent = order[i].0.split(separator: ".").dropLast().joined(separator: ".")
            if let block = net.module(at: parent) as? Residual, block.post === order[i].1 { continue }   // add + ReLU
            reluPaths.append(order[i].0)
            bnPaths.append(order[i - 1].0)
        }
        XCTAssertEqual(reluPaths.count, 4, "the stem's and three blocks' pairs: \(reluPaths)")
        guard reluPaths.count > 2 else { return }
        let needed = Set(reluPaths + [bnPaths[1]])
        let plain = try observe(net, x, dy, needed: nil)
        let fused = try observe(net, x, dy, needed: needed)
        XCTAssertEqual(plain.pairs, 0)
        XCTAssertEqual(fused.pairs, reluPaths.count - 1, "every pair but the one whose BatchNorm is needed fuses")
        XCTAssertTrue(fused.dx.map(\.bitPattern) == plain.dx.map(\.bitPattern), "input gradient")
        for path in needed {
            XCTAssertTrue(fused.maps[path]?.map(\.bitPattern) == plain.maps[path]?.map(\.bitPattern), "map at \(path)")
            XCTAssertTrue(fused.grads[path]?.map(\.bitPattern) == plain.grads[path]?.map(\.bitPattern), "gradient at \(path)")
            XCTAssertNotNil(fused.grads[path], path)
        }
        // the BatchNorms hidden by a fusion are not reported, forward or backward
        for path in bnPaths where path != bnPaths[1] {
            XCTAssertTrue(fused.maps[path] == nil && fused.grads[path] == nil, "\(path) is reported")
        }
    }

    /// Observing everything (an empty `needed` set fuses everything it can) and the
    /// unrelated modules: a fused ReLU reports its pair's input, as a fused inference run does.
    func testFusedPairReportsThePairInput() throws {
        Random.manualSeed(3)
        let net = try Sequential([Conv2d(2, 3, kernelSize: (3, 3), padding: (1, 1)), BatchNorm2d(3), ReLU()])
        net.train(false)
        let x = try Tensor.randn([2, 2, 4, 4])
        var inputs: [String: Tensor] = [:], conv: Tensor?
        try Tracer.observeGradients(forward: { path, _, input, out in
            inputs[path] = input
            if path == "0" { conv = out }
        }, backward: { _, _, _ in }, fusingExcept: []) { _ = try net.forward(x) }
        XCTAssertEqual(net.fusedReLUs, [1])
        XCTAssertNil(inputs["1"])
        XCTAssertTrue(inputs["2"] === conv, "the ReLU of a fused pair reports the BatchNorm's input")
    }
}

/// A 3×3 convolution without bias, padding 1 (the residual bodies of these tests).
private func conv(_ c: Int, _ k: Int, stride: Int = 1) throws -> Conv2d {
    try Conv2d(c, k, kernelSize: (3, 3), stride: (stride, stride), padding: (1, 1), bias: false)
}

/// A stride-2 residual block from `c` to `k` channels with an option-B shortcut (1×1
/// convolution + BatchNorm) and a ReLU after the sum.
private func optionBBlock(_ c: Int, _ k: Int) throws -> Residual {
    try Residual(body: Sequential([conv(c, k, stride: 2), BatchNorm2d(k), ReLU(), conv(k, k), BatchNorm2d(k)]),
                 shortcut: Sequential([Conv2d(c, k, kernelSize: (1, 1), stride: (2, 2), bias: false), BatchNorm2d(k)]),
                 post: ReLU())
}
