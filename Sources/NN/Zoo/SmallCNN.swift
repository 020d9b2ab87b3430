import Tensor

extension Zoo {
    /// A small CNN for 28×28 grayscale images (MNIST, Fashion-MNIST): two 3×3 conv–BN–
    /// ReLU–maxpool stages (32 and 64 channels), then Linear(3136, 128)–ReLU–Linear(128,
    /// classes). About 4.2 M MACs per image, 0.42 M parameters.
    public static func smallCNN(classes: Int = 10, inChannels: Int = 1) throws -> Sequential {
        try Sequential(named:
            Parts.convBNReLU("1", Parts.conv(inChannels, 32, 3, padding: 1, bias: false))
            + [("pool1", try MaxPool2d(kernelSize: (2, 2)))]
            + Parts.convBNReLU("2", Parts.conv(32, 64, 3, padding: 1, bias: false))
            + [("pool2", try MaxPool2d(kernelSize: (2, 2))),
               ("flatten", Flatten()),
               ("fc1", try Linear(64 * 7 * 7, 128)),
               ("relu3", ReLU()),
               ("fc2", try Linear(128, classes))],
            typeName: "SmallCNN")
    }
}
