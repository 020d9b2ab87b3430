import XCTest
@testable import Kernels
@testable import NN
@testable import Tensor

/// Sequential, Residual (identity, option A, option B) and Concat: gradients, names,
/// state-dict keys and loading.
final class ContainerTests: XCTestCase {
    func block(_ cin: Int, _ cout: Int, stride: Int, shortcut: (any Module)?, post: (any Module)? = nil) throws -> Residual {
        let body = try Sequential(named: [
            ("conv1", try Conv2d(cin, cout, kernelSize: (3, 3), stride: (stride, stride), padding: (1, 1), bias: false)),
            ("bn1", try BatchNorm2d(cout)),
            ("conv2", try Conv2d(cout, cout, kernelSize: (3, 3), padding: (1, 1), bias: false)),
        ])
        return try Residual(body: body, shortcut: shortcut, post: post)
    }

    func testResidualGradients() throws {
        let x = randn([2, 4, 6, 6], seed: 1)
        try GradCheck().check(try block(4, 4, stride: 1, shortcut: nil), x)
        try GradCheck().check(try block(4, 8, stride: 2, shortcut: try ShortcutA(stride: 2, padBefore: 2, padAfter: 2)), x)
        try GradCheck().check(try block(4, 8, stride: 2, shortcut: ShortcutA()), x)
        let optionB = Sequential([try Conv2d(4, 8, kernelSize: (1, 1), stride: (2, 2), bias: false), try BatchNorm2d(8)])
        try GradCheck().check(try block(4, 8, stride: 2, shortcut: optionB, post: try BatchNorm2d(8)), x)
    }

    func testResidualNamesAreInlined() throws {
        let optionB = Sequential([try Conv2d(4, 8, kernelSize: (1, 1), stride: (2, 2), bias: false), try BatchNorm2d(8)])
        let b = try block(4, 8, stride: 2, shortcut: optionB, post: ReLU())
        XCTAssertEqual(b.namedModules().map(\.name),
                       ["", "conv1", "bn1", "conv2", "shortcut", "shortcut.0", "shortcut.1", "relu"])
        XCTAssertEqual(b.stateDict().map(\.key), [
            "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
            "conv2.weight", "shortcut.0.weight", "shortcut.1.weight", "shortcut.1.bias", "shortcut.1.running_mean",
            "shortcut.1.running_var", "shortcut.1.num_batches_tracked"])
        XCTAssertTrue(b.module(at: "shortcut.0") is Conv2d)
        XCTAssertNil(b.module(at: "shortcut.2"))
        // A mismatched shortcut is reported.
        let bad = try block(4, 8, stride: 2, shortcut: nil)
        XCTAssertThrowsError(try bad.forward(randn([1, 4, 4, 4], seed: 1))) {
            XCTAssertTrue(($0 as? TensorError)?.message.contains("residual: body output [1, 8, 2, 2]") ?? false, "\($0)")
        }
    }

    func testConcat() throws {
        let c = try Concat(named: [
            ("b1", try Conv2d(3, 2, kernelSize: (1, 1))),
            ("b2", Sequential([try Conv2d(3, 4, kernelSize: (3, 3), padding: (1, 1)), try BatchNorm2d(4)])),
        ])
        let x = randn([2, 3, 4, 4], seed: 2)
        XCTAssertEqual(try c.forward(x).shape, [2, 6, 4, 4])
        try GradCheck().check(c, x)
        // DenseNet layer: input concatenated with a transparent body.
        let dense = try Concat(named: [("", Identity()), ("", try Sequential(named: [
            ("bn1", try BatchNorm2d(3)), ("conv1", try Conv2d(3, 2, kernelSize: (3, 3), padding: (1, 1), bias: false))]))])
        XCTAssertEqual(dense.namedModules().map(\.name), ["", "bn1", "conv1"])
        let y = try dense.forward(x)
        XCTAssertEqual(y.shape, [2, 5, 4, 4])
        XCTAssertEqual(try y.narrow(1, 0, 3).contiguous().toFloats(), x.toFloats())
        try GradCheck().check(dense, x)
        XCTAssertThrowsError(try Concat(named: [("a", Identity()), ("a", Identity())]))
    }

    func testSequentialTrainEvalAndDescription() throws {
        let net = try Sequential(named: [("conv", try Conv2d(1, 2, kernelSize: (3, 3))), ("bn", try BatchNorm2d(2)), ("relu", ReLU())])
        net.eval()
        XCTAssertFalse(net.namedModules().contains { $0.module.training })
        net.train()
        XCTAssertTrue(net.namedModules().allSatisfy { $0.module.training })
        XCTAssertEqual(net.description, """
            Sequential(
              (conv): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))
              (bn): BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
              (relu): ReLU()
            )
            """)
        XCTAssertThrowsError(try Sequential(named: [("a.b", ReLU())]))
        XCTAssertThrowsError(try Sequential(named: [("a", ReLU()), ("a", ReLU())]))
    }

    func testLoadStateDictIsAllOrNothing() throws {
        let net = try Sequential(named: [("conv", try Conv2d(1, 2, kernelSize: (3, 3))), ("bn", try BatchNorm2d(2))])
        let before = try! net.stateDict().map { try $0.tensor.toFloat().toFloats() }
        var entries = try! net.stateDict().map { ($0.key, try $0.tensor.toFloat().map { $0 + 1 }) }
        entries[0].1 = try Tensor(zeros: [3, 1, 3, 3])   // wrong shape for conv.weight
        XCTAssertThrowsError(try net.loadStateDict(entries)) {
            XCTAssertEqual(($0 as? TensorError)?.message,
                           "load_state_dict: shape mismatch for 'conv.weight': checkpoint has [3, 1, 3, 3], model has [2, 1, 3, 3]")
        }
        XCTAssertEqual(try! net.stateDict().map { try $0.tensor.toFloat().toFloats() }, before, "nothing written")
        XCTAssertThrowsError(try net.loadStateDict(Array(entries.dropFirst()))) {
            XCTAssertEqual(($0 as? TensorError)?.message, "load_state_dict: missing key 'conv.weight'")
        }
        XCTAssertThrowsError(try net.loadStateDict(Array(entries.dropFirst()) + [("conv.weight", before[0].isEmpty ? try Tensor(zeros: [1]) : try Tensor(zeros: [2, 1, 3, 3])), ("extra", try Tensor(zeros: [1]))])) {
            XCTAssertEqual(($0 as? TensorError)?.message, "load_state_dict: unexpected key 'extra'")
        }
        // A good load copies values (num_batches_tracked converted to int64).
        entries[0].1 = try Tensor(shape: [2, 1, 3, 3], values: (0..<18).map(Float.init))
        try net.loadStateDict(entries)
        XCTAssertEqual((net.module(at: "conv") as! Conv2d).weight.value.toFloats(), (0..<18).map(Float.init))
        XCTAssertEqual((net.module(at: "bn") as! BatchNorm2d).numBatchesTracked.iptr[0], 1)
        // reshape mode follows a pruned checkpoint: channel counts come from the weights.
        try net.loadStateDict([("conv.weight", try Tensor(zeros: [1, 1, 3, 3]))], strict: false, reshape: true)
        XCTAssertEqual((net.module(at: "conv") as! Conv2d).outChannels, 1)
    }
}
