import CLua
import LuaHost
import NN
import Tensor

extension NNModule {
    /// What each zoo entry builds (for the docs).
    static let zooDocs: [String: (String, String)] = [
        "small_cnn": ("{classes = 10, in_channels = 1}", "Small CNN for 28×28 grayscale (2 conv–BN–ReLU–pool stages, 2 linear layers)."),
        "vgg": ("{cfg = {64, \"M\", 128, \"M\", ...}, in_channels = 3, input = 32, classes = 10, classifier = \"linear\"|\"mlp\", conv_bias =}",
                "VGG with BN from a configuration (conv widths, \"M\" = 2×2 max-pool), as network slimming builds a pruned one;\n"
                + "the classifier reads the features' last width × the plane left (mlp: after AvgPool(2)). Layer names as vgg11–vgg19's."),
        "vgg11": ("{classes = 10, classifier = \"linear\"|\"mlp\", conv_bias =, in_channels = 3, input = 32}", "VGG-11 with BN for CIFAR."),
        "vgg13": ("{classes = 10, classifier = \"linear\"|\"mlp\", conv_bias =, in_channels = 3, input = 32}", "VGG-13 with BN for CIFAR."),
        "vgg16": ("{classes = 10, classifier = \"linear\"|\"mlp\", conv_bias =, in_channels = 3, input = 32}",
                  "VGG-16 with BN for CIFAR; classifier \"mlp\" is PAPERS.md's (a) (HRank keys), \"linear\" its (b) (models.py keys). Five pools need input ≥ 32 (28×28 Fashion-MNIST: nn.zoo.vgg{cfg = ...} with four)."),
        "vgg19": ("{classes = 10, classifier = \"linear\"|\"mlp\", conv_bias =, in_channels = 3, input = 32}", "VGG-19 with BN for CIFAR."),
        "resnet20": ("{classes = 10, option = \"A\"|\"B\", in_channels = 3}", "ResNet-20 for CIFAR (option A zero-padding or B 1×1-conv shortcuts); in_channels = 1 for Fashion-MNIST (any image side)."),
        "resnet32": ("{classes = 10, option = \"A\"|\"B\", in_channels = 3}", "ResNet-32 for CIFAR."),
        "resnet56": ("{classes = 10, option = \"A\"|\"B\", in_channels = 3}", "ResNet-56 for CIFAR (keys of ../shared/bench/models.py)."),
        "resnet110": ("{classes = 10, option = \"A\"|\"B\", in_channels = 3}", "ResNet-110 for CIFAR."),
        "resnet18": ("{classes = 1000, in_channels = 3}", "ResNet-18, torchvision's ImageNet layout and keys."),
        "resnet34": ("{classes = 1000, in_channels = 3}", "ResNet-34, torchvision's ImageNet layout and keys."),
        "resnet50": ("{classes = 1000, in_channels = 3}", "ResNet-50 (bottleneck blocks), torchvision's ImageNet layout and keys."),
        "densenet40": ("{classes = 10, growth = 12 (≤ 512), depth = 40 (≤ 1000), in_channels = 3, input = 32}", "DenseNet-40 for CIFAR (HRank's layout and keys); in_channels = 1, input = 28 for Fashion-MNIST (the last AvgPool takes the plane left)."),
        "googlenet": ("{classes = 10, in_channels = 3, input = 32}", "GoogLeNet for CIFAR (kuangliu's layout and keys); in_channels = 1, input = 28 for Fashion-MNIST."),
        "mobilenetv2": ("{classes = 10, width = 1, cifar = true, in_channels = 3}", "MobileNetV2, torchvision's keys; cifar keeps stride 1 in the stem and stage 2; width a multiplier in (0, 4]."),
        "mobilenetv3_small": ("{classes = 10, width = 1, cifar = true, in_channels = 3}",
                              "MobileNetV3-Small (squeeze-and-excitation, Hardswish), torchvision's layout and keys; cifar keeps stride 1 in the stem and the first stride-2 block."),
        "mobilenetv3_large": ("{classes = 10, width = 1, cifar = true, in_channels = 3}",
                              "MobileNetV3-Large, torchvision's layout and keys; cifar as for mobilenetv3_small."),
    ]

    static var zooFunctions: [LuaFunction] {
        Zoo.names.map { name in
            let (opts, what) = zooDocs[name] ?? ("{}", name)
            return LuaFunction(name, doc: """
                nn.zoo.\(name)(\(opts)) -> module
                \(what)
                Example:
                  local net = \(name == "vgg" ? "nn.zoo.vgg{cfg = {32, \"M\", 64, \"M\", 128, \"M\"}, in_channels = 1, input = 28}" : "nn.zoo.\(name){}")
                """) { L in
                var options: [String: ZooOption] = [:]
                _ = try LuaOptions(L, 1)   // a table or nothing
                if L.isTable(1) {
                    try L.forEachPair(1) {
                        guard let k = L.toString(-2) else { throw LuaError.argument(1, "option names must be strings") }
                        switch L.type(-1) {
                        case LUA_TNUMBER: options[k] = .number(L.toNumber(-1)!)
                        case LUA_TSTRING: options[k] = .string(L.toString(-1)!)
                        case LUA_TBOOLEAN: options[k] = .bool(L.toBool(-1))
                        case LUA_TTABLE: options[k] = .list(try zooList(L, k))
                        default: throw LuaError.argument(1, "field '\(k)': number, string or boolean expected, got \(L.typeName(-1))")
                        }
                    }
                }
                push(L, try Zoo.make(name, options: options)); return 1
            }
        }
    }

    /// The list at the top of the stack (a zoo option such as VGG's `cfg`): numbers and
    /// strings, at most 4096 of them.
    static func zooList(_ L: Lua, _ key: String) throws -> [ZooOption] {
        let n = L.rawLength(-1)
        guard n <= 4096 else { throw LuaError.argument(1, "field '\(key)': at most 4096 entries, got \(n)") }
        var out: [ZooOption] = []
        for i in stride(from: 1, through: n, by: 1) {
            L.rawIndex(-1, i)
            defer { L.pop() }
            switch L.type(-1) {
            case LUA_TNUMBER: out.append(.number(L.toNumber(-1)!))
            case LUA_TSTRING: out.append(.string(L.toString(-1)!))
            default: throw LuaError.argument(1, "field '\(key)': entry \(i) must be a number or a string, got \(L.typeName(-1))")
            }
        }
        return out
    }
}
