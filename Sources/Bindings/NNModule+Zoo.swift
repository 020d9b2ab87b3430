import CLua
import LuaHost
import NN
import Tensor

extension NNModule {
    /// What each zoo entry builds (for the docs).
    static let zooDocs: [String: (String, String)] = [
        "small_cnn": ("{classes = 10, in_channels = 1}", "Small CNN for 28×28 grayscale (2 conv–BN–ReLU–pool stages, 2 linear layers)."),
        "vgg11": ("{classes = 10, classifier = \"linear\"|\"mlp\", conv_bias =}", "VGG-11 with BN for CIFAR."),
        "vgg13": ("{classes = 10, classifier = \"linear\"|\"mlp\", conv_bias =}", "VGG-13 with BN for CIFAR."),
        "vgg16": ("{classes = 10, classifier = \"linear\"|\"mlp\", conv_bias =}",
                  "VGG-16 with BN for CIFAR; classifier \"mlp\" is PAPERS.md's (a) (HRank keys), \"linear\" its (b) (models.py keys)."),
        "vgg19": ("{classes = 10, classifier = \"linear\"|\"mlp\", conv_bias =}", "VGG-19 with BN for CIFAR."),
        "resnet20": ("{classes = 10, option = \"A\"|\"B\"}", "ResNet-20 for CIFAR (option A zero-padding or B 1×1-conv shortcuts)."),
        "resnet32": ("{classes = 10, option = \"A\"|\"B\"}", "ResNet-32 for CIFAR."),
        "resnet56": ("{classes = 10, option = \"A\"|\"B\"}", "ResNet-56 for CIFAR (keys of ../shared/bench/models.py)."),
        "resnet110": ("{classes = 10, option = \"A\"|\"B\"}", "ResNet-110 for CIFAR."),
        "resnet18": ("{classes = 1000}", "ResNet-18, torchvision's ImageNet layout and keys."),
        "resnet34": ("{classes = 1000}", "ResNet-34, torchvision's ImageNet layout and keys."),
        "resnet50": ("{classes = 1000}", "ResNet-50 (bottleneck blocks), torchvision's ImageNet layout and keys."),
        "densenet40": ("{classes = 10, growth = 12, depth = 40}", "DenseNet-40 for CIFAR (HRank's layout and keys)."),
        "googlenet": ("{classes = 10}", "GoogLeNet for CIFAR (kuangliu's layout and keys)."),
        "mobilenetv2": ("{classes = 10, width = 1, cifar = true}", "MobileNetV2, torchvision's keys; cifar keeps stride 1 in the stem and stage 2."),
    ]

    static var zooFunctions: [LuaFunction] {
        Zoo.names.map { name in
            let (opts, what) = zooDocs[name] ?? ("{}", name)
            return LuaFunction(name, doc: """
                nn.zoo.\(name)(\(opts)) -> module
                \(what)
                Example:
                  local net = nn.zoo.\(name){}
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
                        default: throw LuaError.argument(1, "field '\(k)': number, string or boolean expected, got \(L.typeName(-1))")
                        }
                    }
                }
                push(L, try Zoo.make(name, options: options)); return 1
            }
        }
    }
}
