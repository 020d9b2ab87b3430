import Foundation
import XCTest
@testable import NN
@testable import Tensor

/// Parameter and MAC counts of the zoo. Exact integers are PyTorch's (count_macs of
/// ../shared/bench/models.py and equivalent definitions; torchvision for the ImageNet
/// models), computed once and pasted; PAPERS.md's rounded figures are checked too.
final class ZooTests: XCTestCase {
    func counts(_ m: any Module, _ shape: [Int] = [1, 3, 32, 32]) throws -> (Int, Int) {
        let c = try m.count(inputShape: shape)
        return (c.params, c.macs)
    }

    func assertPaper(_ params: Int, _ macs: Int, _ paperParams: Double, _ paperMacs: Double,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual((Double(params) / 1e3).rounded() / 1e3, paperParams, file: file, line: line)
        XCTAssertEqual((Double(macs) / 1e4).rounded() / 1e2, paperMacs, file: file, line: line)
    }

    func testVGG16BothClassifiers() throws {
        let (pa, ma) = try counts(try Zoo.vgg(depth: 16, classifier: .mlp))
        XCTAssertEqual(pa, 14_991_946); XCTAssertEqual(ma, 313_463_808)
        assertPaper(pa, ma, 14.992, 313.46)   // PAPERS.md: 14.99 M, 313.46 M
        let (pb, mb) = try counts(try Zoo.vgg(depth: 16, classifier: .linear))
        XCTAssertEqual(pb, 14_724_042); XCTAssertEqual(mb, 313_201_664)
        assertPaper(pb, mb, 14.724, 313.20)   // PAPERS.md: 14.72 M, 313.20 M
        let (pc, _) = try counts(try Zoo.vgg(depth: 16, classifier: .linear, convBias: true))
        XCTAssertEqual(pc, 14_728_266)        // models.py's vgg16()
    }

    func testResNetCifarCounts() throws {
        let expected: [(Int, Zoo.ShortcutOption, Int, Int, Double, Double)] = [
            (20, .a, 269_722, 40_551_040, 0.270, 40.55), (56, .a, 853_018, 125_485_696, 0.853, 125.49),
            (110, .a, 1_727_962, 252_887_680, 1.728, 252.89),
            (20, .b, 272_474, 40_813_184, 0.272, 40.81), (56, .b, 855_770, 125_747_840, 0.856, 125.75),
            (110, .b, 1_730_714, 253_149_824, 1.731, 253.15),
        ]
        for (depth, option, params, macs, pp, pm) in expected {
            let (p, m) = try counts(try Zoo.resnetCifar(depth: depth, option: option))
            XCTAssertEqual(p, params, "resnet\(depth) \(option)"); XCTAssertEqual(m, macs, "resnet\(depth) \(option)")
            assertPaper(p, m, pp, pm)
        }
        // PAPERS.md lists ResNet-20 option B as 0.273 M: that is 0.270 M + 2752 rounded
        // up; the exact count (as PyTorch's) is 272,474 = 0.2725 M.
        let (p20b, _) = try counts(try Zoo.resnetCifar(depth: 20, option: .b))
        XCTAssertEqual(Double(p20b) / 1e6, 0.273, accuracy: 0.001)
    }

    func testOtherZooModels() throws {
        XCTAssertEqual(try counts(try Zoo.densenet()).0, 1_059_298)
        XCTAssertEqual(try counts(try Zoo.densenet()).1, 282_917_328)
        XCTAssertEqual(try counts(try Zoo.googlenet()).0, 6_166_250)
        XCTAssertEqual(try counts(try Zoo.googlenet()).1, 1_521_756_160)
        let mb = try counts(try Zoo.mobilenetV2(classes: 10))
        XCTAssertEqual(mb.0, 2_236_682); XCTAssertEqual(mb.1, 87_976_448)
        let small = try Zoo.smallCNN()
        XCTAssertEqual(try small.forward(try Tensor(zeros: [2, 1, 28, 28])).shape, [2, 10])
        for name in Zoo.names { XCTAssertNoThrow(try Zoo.make(name, options: Zoo.testOptions(name)), name) }
    }

    /// vgg(cfg:) with a table configuration is vgg(depth:): same keys and shapes for both
    /// classifiers; other inputs size the classifier from the plane left.
    func testVGGFromConfiguration() throws {
        for kind in [Zoo.VGGClassifier.linear, .mlp] {
            var cfg = Zoo.vggConfigs[16]!
            if kind == .mlp { cfg.removeLast() }
            let a = try Zoo.vgg(cfg: cfg, classifier: kind), b = try Zoo.vgg(depth: 16, classifier: kind)
            XCTAssertEqual(a.stateDict().map(\.key), b.stateDict().map(\.key))
            XCTAssertEqual(a.stateDict().map(\.tensor.shape), b.stateDict().map(\.tensor.shape))
        }
        let small = try Zoo.vgg(cfg: [8, 0, 16, 0], inChannels: 1, input: 28)   // 28 → 14 → 7
        XCTAssertEqual(try small.forward(try Tensor(zeros: [2, 1, 28, 28])).shape, [2, 10])
        XCTAssertEqual((small.module(at: "classifier") as? Linear)?.weight.value.shape, [10, 16 * 7 * 7])
        XCTAssertThrowsError(try Zoo.vgg(cfg: [8, 0, 0], input: 2))
        XCTAssertThrowsError(try Zoo.vgg(cfg: [8, 0], input: 2, classifier: .mlp))
        XCTAssertThrowsError(try Zoo.vgg(cfg: [0]))
        XCTAssertEqual(try Zoo.vggConfiguration(.list([.number(4), .string("M")])), [4, 0])
        XCTAssertThrowsError(try Zoo.vggConfiguration(.list([.number(4), .bool(true)])))
        XCTAssertThrowsError(try Zoo.vggConfiguration(.number(4)))
    }

    func testImageNetResNets() throws {
        for (depth, params, macs) in [(18, 11_689_512, 1_814_073_344), (50, 25_557_032, 4_089_184_256)] {
            let (p, m) = try counts(try Zoo.resnet(depth: depth), [1, 3, 224, 224])
            XCTAssertEqual(p, params, "resnet\(depth)"); XCTAssertEqual(m, macs, "resnet\(depth)")
        }
        XCTAssertEqual(try Zoo.resnet(depth: 34).parameterCount, 21_797_672)
        let mb = try counts(try Zoo.mobilenetV2(classes: 1000, cifar: false), [1, 3, 224, 224])
        XCTAssertEqual(mb.0, 3_504_872); XCTAssertEqual(mb.1, 300_774_272)
        // torchvision 0.28's mobilenet_v3_small / _large: 2,542,856 and 5,483,032 parameters (its
        // state dict loads strictly into ours and back, logits equal to 6e-7: checked by hand
        // with torchvision, which CI does not install); MACs as we count them (convs and
        // linears, SE's 1×1 convs included; torchvision's table rounds them to 0.06 and 0.22 G).
        let v3s = try counts(try Zoo.mobilenetV3(small: true, classes: 1000, cifar: false), [1, 3, 224, 224])
        XCTAssertEqual(v3s.0, 2_542_856); XCTAssertEqual(v3s.1, 56_510_400)
        let v3l = try counts(try Zoo.mobilenetV3(small: false, classes: 1000, cifar: false), [1, 3, 224, 224])
        XCTAssertEqual(v3l.0, 5_483_032); XCTAssertEqual(v3l.1, 216_589_760)
        let keys = try Zoo.mobilenetV3(small: true).stateDict().map(\.key)
        XCTAssertEqual(Array(keys.prefix(8)), ["features.0.0.weight", "features.0.1.weight", "features.0.1.bias",
                                               "features.0.1.running_mean", "features.0.1.running_var",
                                               "features.0.1.num_batches_tracked", "features.1.block.0.0.weight",
                                               "features.1.block.0.1.weight"])
        XCTAssertTrue(keys.contains("features.1.block.1.fc1.weight") && keys.contains("features.4.block.2.fc2.bias")
                      && keys.contains("features.12.1.running_var") && keys.contains("classifier.3.bias"))
    }

    func testStateDictKeysFollowPyTorch() throws {
        let r = try Zoo.resnetCifar(depth: 56)
        let keys = r.stateDict().map(\.key)
        XCTAssertEqual(keys.count, 332)
        XCTAssertEqual(Array(keys.prefix(7)), ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                                               "bn1.running_var", "bn1.num_batches_tracked", "layer1.0.conv1.weight"])
        XCTAssertEqual(Array(keys.suffix(2)), ["linear.weight", "linear.bias"])
        XCTAssertTrue(keys.contains("layer3.8.bn2.running_var"))
        // The exact key set of the PyTorch export, when the shared bench files exist.
        if let file = try? SafetensorsFixture(path: "/work/shared/bench/resnet56_seed0.safetensors") {
            XCTAssertEqual(Set(keys), Set(file.entries.map(\.key)))
        }
        let v = try Zoo.vgg(depth: 16, classifier: .linear, convBias: true).stateDict().map(\.key)
        XCTAssertEqual(v.count, 93)
        XCTAssertEqual(Array(v.prefix(3)), ["features.0.weight", "features.0.bias", "features.1.weight"])
        XCTAssertTrue(v.contains("features.41.running_var"))
        XCTAssertEqual(Array(v.suffix(2)), ["classifier.weight", "classifier.bias"])
        let vggA = try Zoo.vgg(depth: 16, classifier: .mlp)
        let a = vggA.stateDict().map(\.key)
        XCTAssertTrue(a.contains("features.conv0.weight") && a.contains("features.norm16.running_mean")
                      && a.contains("classifier.norm1.weight") && a.contains("classifier.linear2.bias"))
        XCTAssertTrue(vggA.module(at: "features.pool13") is MaxPool2d && vggA.module(at: "features.conv16") is Conv2d)
        let r18 = try Zoo.resnet(depth: 18).stateDict().map(\.key)
        XCTAssertTrue(r18.contains("layer2.0.downsample.0.weight") && r18.contains("fc.bias"))
        let mb = try Zoo.mobilenetV2().stateDict().map(\.key)
        XCTAssertTrue(mb.contains("features.1.conv.0.0.weight") && mb.contains("features.2.conv.3.running_var")
                      && mb.contains("features.18.1.weight") && mb.contains("classifier.1.weight"))
        let g = try Zoo.googlenet().stateDict().map(\.key)
        XCTAssertEqual(Array(g.prefix(8)), ["pre_layers.0.weight", "pre_layers.0.bias", "pre_layers.1.weight", "pre_layers.1.bias",
                                            "pre_layers.1.running_mean", "pre_layers.1.running_var",
                                            "pre_layers.1.num_batches_tracked", "a3.b1.0.weight"])
        let d = try Zoo.densenet().stateDict().map(\.key)
        XCTAssertTrue(d.contains("dense1.0.bn1.weight") && d.contains("dense3.11.conv1.weight") && d.contains("trans2.conv1.weight"))
    }

    /// ResNet-56 exported from PyTorch (seed 0) gives PyTorch's eval-mode logits.
    func testResNet56MatchesPyTorchLogits() throws {
        guard let file = try? SafetensorsFixture(path: "/work/shared/bench/resnet56_seed0.safetensors"),
              let json = try? Data(contentsOf: URL(fileURLWithPath: "/work/shared/bench/resnet56_seed0_check.json")),
              let check = try JSONSerialization.jsonObject(with: json) as? [String: Any],
              let logits = check["logits"] as? [[Double]] else {
            throw XCTSkip("shared bench files not present")
        }
        let net = try Zoo.resnetCifar(depth: 56)
        try net.loadStateDict(file.entries)
        net.eval()
        let x = try Tensor(uninitialized: [2, 3, 32, 32])
        for i in 0..<x.numel { x.ptr[i] = Float(sin(0.01 * Double(i))) }
        let y = try net.forward(x)
        let scale = logits.flatMap { $0 }.map(abs).max()!
        for n in 0..<2 { for k in 0..<10 {
            XCTAssertEqual(Double(y.ptr[n * 10 + k]), logits[n][k], accuracy: 1e-4 * scale)
        } }
    }
}

/// A minimal safetensors reader for the tests (F32 and I64 only).
struct SafetensorsFixture {
    let entries: [(key: String, tensor: Tensor)]

    init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + Int(n)))) as! [String: Any]
        var out: [(key: String, tensor: Tensor)] = []
        for (k, v) in header where k != "__metadata__" {
            let d = v as! [String: Any]
            let shape = d["shape"] as! [Int], offs = d["data_offsets"] as! [Int]
            let bytes = data.subdata(in: (8 + Int(n) + offs[0])..<(8 + Int(n) + offs[1]))
            let dtype = d["dtype"] as! String
            let t = try Tensor(uninitialized: shape, dtype: dtype == "I64" ? .int64 : .float32)
            bytes.withUnsafeBytes { b in
                UnsafeMutableRawPointer(t.storage.raw).copyMemory(from: b.baseAddress!, byteCount: b.count)
            }
            out.append((k, t))
        }
        entries = out
    }
}

extension Zoo {
    /// Options every zoo entry builds with: none, except vgg's required cfg.
    static func testOptions(_ name: String) -> [String: ZooOption] {
        name == "vgg" ? ["cfg": .list([.number(16), .string("M"), .number(32), .string("M")]), "in_channels": .number(1)] : [:]
    }
}
