import Tensor

extension Zoo {
    /// DenseNet-40 for CIFAR (Huang et al.; HRank's layout and keys): conv1 3×3 to
    /// 2·growth channels, three dense blocks of (depth − 4)/3 layers (BN–ReLU–conv3×3 to
    /// `growth` channels, concatenated to the input), transitions BN–ReLU–conv1×1–AvgPool(2)
    /// keeping the width (compression 1), then BN–ReLU–AvgPool(8)–fc. Keys: `conv1`,
    /// `dense1.0.bn1`, `dense1.0.conv1`, `trans1.bn1`, `trans1.conv1`, …, `bn`, `fc`.
    /// `inChannels` × `input` × `input` images: the last AvgPool takes the whole plane the two
    /// transitions leave (8×8 from CIFAR's 32, 7×7 from Fashion-MNIST's 28).
    public static func densenet(depth: Int = 40, growth: Int = 12, classes: Int = 10,
                                inChannels: Int = 3, input: Int = 32) throws -> Sequential {
        guard depth >= 7, (depth - 4) % 3 == 0, growth > 0 else {
            throw TensorError("densenet: depth must be 3n + 4 and growth positive, got depth \(depth), growth \(growth)")
        }
        let plane = input / 2 / 2
        guard plane >= 1 else { throw TensorError("densenet: input must be at least 4 (two transitions halve it), got \(input)") }
        let n = (depth - 4) / 3
        var c = 2 * growth
        var top: [(String, any Module)] = [("conv1", try Parts.conv(inChannels, c, 3, padding: 1, weights: .kaimingFanOut))]
        for stage in 1...3 {
            var layers: [any Module] = []
            for _ in 0..<n {
                let body = try Sequential(named: [("bn1", try Parts.bn(c)), ("relu", ReLU()),
                                                  ("conv1", try Parts.conv(c, growth, 3, padding: 1, weights: .kaimingFanOut))])
                layers.append(try Concat(named: [("", Identity()), ("", body)], typeName: "DenseBasicBlock"))
                c += growth
            }
            top.append(("dense\(stage)", Sequential(layers)))
            if stage < 3 {
                top.append(("trans\(stage)", try Sequential(named: [
                    ("bn1", try Parts.bn(c)), ("relu", ReLU()),
                    ("conv1", try Parts.conv(c, c, 1, weights: .kaimingFanOut)),
                    ("avgpool", try AvgPool2d(kernelSize: (2, 2)))], typeName: "Transition")))
            }
        }
        top += [("bn", try Parts.bn(c)), ("relu", ReLU()), ("avgpool", try AvgPool2d(kernelSize: (plane, plane))),
                ("flatten", Flatten()), ("fc", try Linear(c, classes))]
        return try Sequential(named: top, typeName: "DenseNet")
    }
}
