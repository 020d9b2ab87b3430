import Bindings
import Foundation
import LuaHost
import XCTest

/// Every bound function of every module (tensor, nn, data, train, plot, help…), every
/// method and metamethod of their types, carries doc text with an `Example:`, and every
/// example runs. Examples use a few conventional names (x, w, net, loader, …); the
/// preamble defines them, small, in a temporary directory.
final class DocExamplesTests: XCTestCase {
    /// Bindings whose example cannot run here, and why. Each must still exist.
    static let cannotRun: [String: String] = [
        "data.cifar10": "needs the CIFAR-10 binary files under /data",
        "data.cifar100": "needs the CIFAR-100 binary files under /data",
        "data.mnist": "needs the MNIST IDX files under /data/mnist",
    ]

    /// What every context defines: small images with a 3-channel net, matrices, a
    /// schedule, files the examples read.
    static let common = """
        tensor.manual_seed(1)
        x, y = tensor.randn(4, 3, 8, 8), tensor.randn(4, 3, 8, 8)
        w = tensor.randn(32, 3, 3, 3)
        t, a, b = tensor.randn(3, 4), tensor.randn(3, 4), tensor.randn(3, 4)
        logits, probs = tensor.randn(4, 10), tensor.rand(4, 10)
        labels, idx = tensor.new{1, 2, 3, 4}:long(), tensor.new{1, 2}:long()
        hist, v, scores, bias = tensor.rand(10), tensor.rand(5), tensor.rand(16), tensor.randn(3)
        l, feats, grad = tensor.randn(4), tensor.randn(4, 3), tensor.randn(3, 3)
        img, img1, img2 = tensor.randn(3, 8, 8), tensor.randn(3, 8, 8), tensor.randn(3, 8, 8)
        fmaps, mask = tensor.randn(4, 8, 6, 6), tensor.ones(4, 3, 8, 8)
        net = nn.Sequential{{"conv1", nn.Conv2d(3, 4, 3, {padding = 1})}, {"relu1", nn.ReLU()},
                            {"flatten", nn.Flatten()}, {"fc", nn.Linear(4 * 8 * 8, 10)}}
        ds = data.tensor_dataset(tensor.rand(8, 3, 8, 8), tensor.new{0, 1, 2, 3, 4, 5, 6, 7})
        train_set, test_set = ds, ds
        loader = data.loader(ds, {batch = 4})
        test_loader, train_loader, calib_loader = loader, loader, loader
        opt, sched, epoch = train.sgd{lr = 0.1}, train.schedule.cosine{t_max = 10}, 1
        p = plot.line({1, 2, 3})
        """

    /// Contexts tried in turn: an example passes if it runs in one of them.
    static let contexts: [(name: String, code: String)] = [
        ("images", ""),
        ("matrices", """
            x, y, w = tensor.randn(3, 4), tensor.randn(5, 3), tensor.randn(16, 3)
            a, b, p = tensor.randn(2, 3, 4), tensor.randn(2, 4, 5), tensor.rand(3, 4)
            """),
        ("resnet", """
            net, x = nn.zoo.resnet20{}, tensor.randn(2, 3, 32, 32)
            """),
        ("fashion-mnist", """
            train, test = data.fashion_mnist{split = "train"}, data.fashion_mnist{split = "test"}
            """),
    ]

    /// Files the examples read, written once into the working directory.
    static let files = """
        nn.zoo.resnet56{classes = 10}:save("resnet56.safetensors")
        tensor.randn(3, 4):save("weights.npy")
        """

    /// The Lua code of a doc's example: the rest of the `Example:` line and the lines after it.
    static func example(_ doc: String) -> String? {
        guard let r = doc.range(of: "Example:") else { return nil }
        let rest = doc[r.upperBound...]
        return rest.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
    }

    func testEveryBindingIsDocumentedWithAnExample() {
        let s = Session()
        let all = Help.bindings(s.interp.lua)
        XCTAssertGreaterThan(all.count, 240)
        for (name, f) in all where !f.name.hasPrefix("__") || !f.doc.isEmpty {
            let lines = f.doc.split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertGreaterThanOrEqual(lines.count, 3, "\(name): doc too short: '\(f.doc)'")
            XCTAssertTrue(f.doc.contains("Example:"), "\(name): no 'Example:' line")
        }
        for name in DocExamplesTests.cannotRun.keys {
            XCTAssertTrue(all.contains { $0.name == name }, "cannotRun lists \(name), which is not a binding")
        }
    }

    func testEveryExampleRuns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("topiary-doc-examples-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let previous = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(dir.path)
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }

        try Session().run(DocExamplesTests.files)
        let session = Session(), all = Help.bindings(session.interp.lua)
        var ran = 0
        for (name, f) in all {
            guard let code = DocExamplesTests.example(f.doc), DocExamplesTests.cannotRun[name] == nil else { continue }
            var failures: [String] = []
            for context in DocExamplesTests.contexts {
                let s = Session()
                defer { _ = try? s.run("nn.set_grad_enabled(true)") }   // grad mode is process-wide
                do {
                    try s.run(DocExamplesTests.common + context.code)
                    try s.run(code)
                    break
                } catch {
                    failures.append("in context \(context.name): \(error)")
                }
            }
            if failures.count == DocExamplesTests.contexts.count {
                XCTFail("\(name): example failed\n" + failures.joined(separator: "\n") + "\n--- example:\n\(code)")
            } else {
                ran += 1
            }
        }
        XCTAssertGreaterThan(ran, 200)
    }
}
