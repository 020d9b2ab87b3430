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
                           convBias: Bool? = nil) throws -> Sequential {
        guard var cfg = vggConfigs[depth] else {
            throw TensorError("vgg: depth must be 11, 13, 16 or 19, got \(depth)")
        }
        let bias = convBias ?? (classifier == .mlp)
        if classifier == .mlp { cfg.removeLast() }
        var layers: [(String, any Module)] = []
        var c = 3
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
            top.append(("avgpool", try AvgPool2d(kernelSize: (2, 2))))
            top.append(("flatten", Flatten()))
            top.append(("classifier", try Sequential(named: [
                ("linear1", try Linear(512, 512)), ("norm1", try BatchNorm1d(512)), ("relu1", ReLU()),
                ("linear2", try Linear(512, classes))])))
        case .linear:
            top.append(("flatten", Flatten()))
            top.append(("classifier", try Linear(512, classes)))
        }
        return try Sequential(named: top, typeName: "VGG")
    }
}
