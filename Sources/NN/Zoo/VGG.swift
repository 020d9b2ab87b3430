import Tensor

extension Zoo {
    /// Channel configurations ("M" = 2×2 max-pool as 0).
    static let vggConfigs: [Int: [Int]] = [
        11: [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
        13: [64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
        16: [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0],
        19: [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0],
    ]

    /// The classifier variants of PAPERS.md.
    public enum VGGClassifier: String, Sendable {
        /// (a) network-slimming / HRank layout: the last max-pool replaced by AvgPool(2),
        /// classifier Linear(512, 512)–BN1d–ReLU–Linear(512, classes); keys
        /// `features.conv0`, `features.norm0`, …, `classifier.linear1`, `classifier.norm1`,
        /// `classifier.linear2`.
        case mlp
        /// (b) kuangliu / ../shared/bench/models.py layout: five max-pools, then
        /// Linear(512, classes); keys `features.0`, `features.1`, …, `classifier`.
        case linear
    }

    /// VGG-11/13/16/19 with BatchNorm for 32×32 inputs. `convBias` defaults to true for
    /// (a) (HRank) and false for (b) (PAPERS.md's 14.72 M count; models.py uses true).
    public static func vgg(depth: Int, classes: Int = 10, classifier: VGGClassifier = .linear,
                           convBias: Bool? = nil, inChannels: Int = 3, input: Int = 32) throws -> Sequential {
        guard var cfg = vggConfigs[depth] else {
            throw TensorError("vgg: depth must be 11, 13, 16 or 19, got \(depth)")
        }
        if classifier == .mlp { cfg.removeLast() }   // (a) ends in AvgPool(2) instead
        return try vgg(cfg: cfg, inChannels: inChannels, input: input, classes: classes, classifier: classifier, convBias: convBias)
    }

    /// A VGG with BatchNorm from a channel configuration (conv widths, 0 = 2×2 max-pool), as
    /// network slimming's `vgg(cfg=…)` builds a pruned VGG: `inChannels` × `input` × `input`
    /// images. The classifier reads the features' last width × the remaining plane: .linear
    /// one Linear; .mlp AvgPool(2) first (the plane left must be at least 2), then
    /// Linear(·, 512)–BN1d–ReLU–Linear(512, classes). Names and initialisation order are those
    /// of `vgg(depth:)`, which is this with its table's configuration.
    public static func vgg(cfg: [Int], inChannels: Int = 3, input: Int = 32, classes: Int = 10,
                           classifier: VGGClassifier = .linear, convBias: Bool? = nil) throws -> Sequential {
        guard cfg.contains(where: { $0 > 0 }) else { throw TensorError("vgg: cfg must hold at least one convolution width") }
        if let bad = cfg.first(where: { $0 < 0 || $0 > 16384 }) {
            throw TensorError("vgg: cfg widths must be from 1 to 16384 (or \"M\" for a max-pool), got \(bad)")
        }
        guard (1...16384).contains(inChannels), (1...4096).contains(input), (1...1_000_000).contains(classes) else {
            throw TensorError("vgg: in_channels must be 1…16384, input 1…4096 and classes 1…1000000, got \(inChannels), \(input), \(classes)")
        }
        var plane = input
        for v in cfg where v == 0 {
            guard plane >= 2 else {
                throw TensorError("vgg: cfg pools \(input)×\(input) images below 1×1 (\(cfg.filter { $0 == 0 }.count) max-pools; a 2×2 pool "
                                  + "needs a 2×2 plane): give larger images, or nn.zoo.vgg{cfg = ...} with fewer \"M\"")
            }
            plane /= 2
        }
        if classifier == .mlp && plane < 2 {
            throw TensorError("vgg: the mlp classifier's AvgPool(2) needs a plane of at least 2×2 after the features, got \(plane)×\(plane) (drop cfg's last \"M\")")
        }
        let bias = convBias ?? (classifier == .mlp)
        var layers: [(String, any Module)] = []
        var c = inChannels
        for (i, v) in cfg.enumerated() {
            let numbered = classifier == .linear
            if v == 0 {
                layers.append((numbered ? String(layers.count) : "pool\(i)", try MaxPool2d(kernelSize: (2, 2))))
                continue
            }
            let conv = try Parts.conv(c, v, 3, padding: 1, bias: bias)
            let parts: [(String, any Module)] = [("conv\(i)", conv), ("norm\(i)", try Parts.bn(v)), ("relu\(i)", ReLU())]
            for (name, m) in parts { layers.append((numbered ? String(layers.count) : name, m)) }
            c = v
        }
        var top: [(String, any Module)] = [("features", try Sequential(named: layers))]
        switch classifier {
        case .mlp:
            let kept = plane / 2
            top.append(("avgpool", try AvgPool2d(kernelSize: (2, 2))))
            top.append(("flatten", Flatten()))
            top.append(("classifier", try Sequential(named: [
                ("linear1", try Linear(c * kept * kept, 512)), ("norm1", try BatchNorm1d(512)), ("relu1", ReLU()),
                ("linear2", try Linear(512, classes))])))
        case .linear:
            top.append(("flatten", Flatten()))
            top.append(("classifier", try Linear(c * plane * plane, classes)))
        }
        return try Sequential(named: top, typeName: "VGG")
    }
}
