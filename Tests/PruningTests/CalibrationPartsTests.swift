import XCTest
@testable import NN
@testable import Pruning
@testable import Tensor

/// Calibration batches run in parts (`Calibration.partRanges`): the same maps, reductions
/// and gradient scores as whole batches, and only where the result cannot depend on the split.
final class CalibrationPartsTests: XCTestCase {
    func testPartRangesAreEqualAndCoverTheBatch() {
        let before = Calibration.partInputFloats
        defer { Calibration.partInputFloats = before }
        Calibration.partInputFloats = 1 << 17
        // CIFAR images (3·32·32 floats): parts of 32 on one thread, of 64 on two
        XCTAssertEqual(Calibration.partRanges(images: 128, perImage: 3072, threads: 1), [0..<32, 32..<64, 64..<96, 96..<128])
        XCTAssertEqual(Calibration.partRanges(images: 128, perImage: 3072, threads: 2), [0..<64, 64..<128])
        XCTAssertEqual(Calibration.partRanges(images: 40, perImage: 3072, threads: 1), [0..<40], "a batch that fits is whole")
        // as few parts as fit (42 images a thread here), sizes differing by one image at most
        XCTAssertEqual(Calibration.partRanges(images: 100, perImage: 3072, threads: 1), [0..<33, 33..<66, 66..<100])
        XCTAssertEqual(Calibration.partRanges(images: 7, perImage: 1 << 20, threads: 2), [0..<1, 1..<3, 3..<5, 5..<7],
                       "images larger than a part: one a thread")
        XCTAssertEqual(Calibration.partRanges(images: 128, perImage: 3072, threads: 1, floor: 64), [0..<64, 64..<128],
                       "large weights ask for wider parts")
        XCTAssertEqual(Calibration.partRanges(images: 128, perImage: 3072, threads: 2, floor: 128), [0..<128])
        XCTAssertEqual(Calibration.partRanges(images: 128, perImage: 3072, threads: 2, floor: .max), [0..<128], "a model that cannot be traced")
        XCTAssertEqual(Calibration.partRanges(images: 0, perImage: 3072, threads: 1), [0..<0])
        XCTAssertEqual(Calibration.partRanges(images: 5, perImage: 0, threads: 1), [0..<5])
    }

    /// VGG-16's 512-channel layers on 2×2 maps (9.4 MB of weights, 4 uses an image) keep
    /// parts of 128 images a thread; ResNet-56 (147 KB at most) and a net whose large weights
    /// are used often enough set no floor.
    func testLargeWeightsSetTheSmallestPart() throws {
        let vgg = try Zoo.vgg(depth: 16, classifier: .linear, convBias: true).count(inputShape: [1, 3, 32, 32]).layers
        XCTAssertEqual(Calibration.imagesFloor(vgg), 128)
        XCTAssertEqual(Calibration.imagesFloor(try Zoo.resnetCifar(depth: 56).count(inputShape: [1, 3, 32, 32]).layers), 1)
        let wide = try Sequential(named: [("conv", try Conv2d(128, 256, kernelSize: (3, 3), padding: (1, 1)))])
        XCTAssertEqual(Calibration.imagesFloor(try wide.count(inputShape: [1, 128, 32, 32]).layers), 1, "1024 uses an image")
        XCTAssertEqual(Calibration.imagesFloor(try wide.count(inputShape: [1, 128, 8, 8]).layers), 8, "64 uses an image")
    }

    /// The rows of a part's loss gradient with `meanOver` are the whole batch's rows, bit for bit.
    func testPartLossGradientIsTheWholeBatchsRows() throws {
        let logits = randn([10, 7], seed: 3, scale: 3)
        let targets = try Tensor.int64(shape: [10], values: (0..<10).map { Int64(($0 * 3) % 7) })
        let whole = try CrossEntropy.compute(logits: logits, targets: targets).grad.toFloats()
        let part = try CrossEntropy.compute(logits: try logits.narrow(0, 4, 3), targets: try targets.narrow(0, 4, 3),
                                            meanOver: 10).grad.toFloats()
        XCTAssertEqual(part, Array(whole[(4 * 7)..<(7 * 7)]))
        XCTAssertThrowsError(try CrossEntropy.compute(logits: logits, targets: targets, meanOver: 9)) { e in
            XCTAssertTrue("\(e)".contains("meanOver (9) must be at least the 10 rows"), "\(e)")
        }
    }

    /// Captures, per-image reductions and Taylor's gradient scores over batches run in parts
    /// (of one image up to four, uneven last batch, one and two threads) equal the whole
    /// batches'; a reducer that is not per image sees whole batches.
    func testPartsGiveTheWholeBatchesResults() throws {
        let net = try Zoo.resnetCifar(depth: 8)
        randomizeNorms(net, seed: 13)
        net.eval()
        let graph = try DependencyGraph(net, inputShape: [1, 3, 8, 8])
        let groups = graph.groups.filter { $0.name.hasSuffix(".conv1") }.map(\.index)
        let points = try groups.map { try XCTUnwrap(graph.point(of: $0, .act)) }
        let batches = try [9, 9, 5].enumerated().map { i, n in
            (input: randn([n, 3, 8, 8], seed: UInt64(40 + i)),
             target: try Tensor.int64(shape: [n], values: (0..<n).map { Int64(($0 + i) % 10) }))
        }
        let source = BatchList(batches)
        let saved = (Calibration.runsInParts, Calibration.partInputFloats, Parallel.threads)
        defer { (Calibration.runsInParts, Calibration.partInputFloats, Parallel.threads) = saved }

        func capture() throws -> [Int: [Float]] {
            try Calibration.collect(net, points: points, source: source, batches: 3, gradients: false, reduce: nil).mapValues { $0.toFloats() }
        }
        func taylor() throws -> [Int: [Double]] {
            try Planner.score(net, graph: graph, criterion: TaylorCriterion(), groups: groups, calibration: source, batches: 3)
                .mapValues { if case .scores(let s) = $0 { return s } else { return [] } }
        }
        func apoz() throws -> [Int: [Double]] {
            try Planner.score(net, graph: graph, criterion: MapCriterion(.apoz), groups: groups, calibration: source, batches: 3)
                .mapValues { if case .scores(let s) = $0 { return s } else { return [] } }
        }
        Calibration.runsInParts = false
        Parallel.threads = 1
        let (maps, scores, zeros) = (try capture(), try taylor(), try apoz())
        XCTAssertEqual(maps[groups[0]]?.count, 23 * 16 * 8 * 8)
        XCTAssertTrue(scores.values.allSatisfy { $0.contains { $0 > 0 } })
        Calibration.runsInParts = true
        for (threads, imagesAThread) in [(1, 1), (1, 4), (2, 1), (2, 2)] {
            Parallel.threads = threads
            Calibration.partInputFloats = imagesAThread * 3 * 8 * 8
            let before = Calibration.partsRun
            let parted = try capture()
            XCTAssertGreaterThan(Calibration.partsRun - before, 3, "batches ran in parts (\(threads), \(imagesAThread))")
            for g in groups {
                let (a, b) = (try XCTUnwrap(maps[g]), try XCTUnwrap(parted[g]))
                XCTAssertEqual(a.count, b.count)
                let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
                // kernels may take another path for a batch of one or two (rounding only)
                XCTAssertLessThan(worst, 1e-5, "group \(g), \(threads) threads, \(imagesAThread) images a thread")
            }
            for (whole, parted) in [(scores, try taylor()), (zeros, try apoz())] {
                for g in groups {
                    let (a, b) = (try XCTUnwrap(whole[g]), try XCTUnwrap(parted[g]))
                    XCTAssertEqual(a.count, b.count)
                    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5 * max(1, abs(x)), "group \(g)") }
                }
            }
        }
        // a reducer that is not per image is handed whole batches
        Calibration.partInputFloats = 3 * 8 * 8
        var sizes: [Int] = []
        _ = try Calibration.collect(net, points: [points[0]], source: source, batches: 3, gradients: true) { _, m, _ in
            sizes.append(m.shape[0]); return try m.sum([0], keepdim: true)
        }
        XCTAssertEqual(sizes, [9, 9, 5])
    }
}
