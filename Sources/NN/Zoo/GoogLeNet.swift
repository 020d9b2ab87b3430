import Tensor

extension Zoo {
    /// GoogLeNet for CIFAR (kuangliu/pytorch-cifar): `pre_layers` (3×3 conv to 192, BN,
    /// ReLU), Inception blocks a3, b3, maxpool, a4…e4, maxpool, a5, b5, AvgPool(8),
    /// `linear`. Each Inception concatenates branches `b1` (1×1), `b2` (1×1, 3×3), `b3`
    /// (1×1, 3×3, 3×3) and `b4` (3×3 max-pool, 1×1), every conv followed by BN and ReLU.
    /// `inChannels` × `input` × `input` images: the last AvgPool takes the whole plane the two
    /// max-pools leave (8×8 from CIFAR's 32, 7×7 from Fashion-MNIST's 28).
    public static func googlenet(classes: Int = 10, inChannels: Int = 3, input: Int = 32) throws -> Sequential {
        let plane = (((input - 1) / 2 + 1) - 1) / 2 + 1   // two 3×3 max-pools, stride 2, padding 1
        func inception(_ cin: Int, _ n1: Int, _ r3: Int, _ n3: Int, _ r5: Int, _ n5: Int, _ pool: Int) throws -> Concat {
            func cbr(_ a: Int, _ b: Int, _ k: Int) throws -> [any Module] {
                [try Parts.conv(a, b, k, padding: k / 2, bias: true), try Parts.bn(b), ReLU()]
            }
            return try Concat(named: [
                ("b1", Sequential(try cbr(cin, n1, 1))),
                ("b2", Sequential(try cbr(cin, r3, 1) + cbr(r3, n3, 3))),
                ("b3", Sequential(try cbr(cin, r5, 1) + cbr(r5, n5, 3) + cbr(n5, n5, 3))),
                ("b4", Sequential([try MaxPool2d(kernelSize: (3, 3), stride: (1, 1), padding: (1, 1))] + cbr(cin, pool, 1))),
            ], typeName: "Inception")
        }
        return try Sequential(named: [
            ("pre_layers", Sequential([try Parts.conv(inChannels, 192, 3, padding: 1, bias: true), try Parts.bn(192), ReLU()])),
            ("a3", try inception(192, 64, 96, 128, 16, 32, 32)),
            ("b3", try inception(256, 128, 128, 192, 32, 96, 64)),
            ("maxpool", try MaxPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1))),
            ("a4", try inception(480, 192, 96, 208, 16, 48, 64)),
            ("b4", try inception(512, 160, 112, 224, 24, 64, 64)),
            ("c4", try inception(512, 128, 128, 256, 24, 64, 64)),
            ("d4", try inception(512, 112, 144, 288, 32, 64, 64)),
            ("e4", try inception(528, 256, 160, 320, 32, 128, 128)),
            ("maxpool2", try MaxPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1))),
            ("a5", try inception(832, 256, 160, 320, 32, 128, 128)),
            ("b5", try inception(832, 384, 192, 384, 48, 128, 128)),
            ("avgpool", try AvgPool2d(kernelSize: (plane, plane), stride: (1, 1))),
            ("flatten", Flatten()),
            ("linear", try Linear(1024, classes)),
        ], typeName: "GoogLeNet")
    }
}
