import CLua
import LuaHost
import NN
import Tensor

extension NNModule {
    /// nn.ReLU … nn.Hardsigmoid: the element-wise activations (channels pass through them,
    /// so pruning, counting, export and nn.swap treat them all alike).
    static let activationConstructors: [LuaFunction] = [
        LuaFunction("ReLU", doc: """
            nn.ReLU() -> module
            max(x, 0), element-wise.
            Example:
              local y = nn.ReLU():forward(tensor.new{-1, 2})   -- {0, 2}
            """) { L in build(L, ReLU()) },
        LuaFunction("ReLU6", doc: """
            nn.ReLU6() -> module
            min(max(x, 0), 6), element-wise (MobileNetV2).
            Example:
              local act = nn.ReLU6()
            """) { L in build(L, ReLU6()) },
        LuaFunction("LeakyReLU", doc: """
            nn.LeakyReLU([negative_slope = 0.01]) -> module
            x for x > 0, negative_slope·x otherwise.
            Example:
              local act = nn.LeakyReLU(0.1)
            """) { L in build(L, LeakyReLU(negativeSlope: Float(try L.optNumber(1, 0.01)))) },
        LuaFunction("Sigmoid", doc: """
            nn.Sigmoid() -> module
            1 / (1 + e^(−x)), element-wise.
            Example:
              local y = nn.Sigmoid():forward(tensor.new{0})   -- {0.5}
            """) { L in build(L, Sigmoid()) },
        LuaFunction("Tanh", doc: """
            nn.Tanh() -> module
            tanh x, element-wise.
            Example:
              local act = nn.Tanh()
            """) { L in build(L, Tanh()) },
        LuaFunction("SiLU", doc: """
            nn.SiLU() -> module
            x·sigmoid(x) (SiLU, Swish), element-wise (EfficientNet).
            Example:
              local y = nn.SiLU():forward(tensor.new{-1, 0, 2})
            """) { L in build(L, SiLU()) },
        LuaFunction("GELU", doc: """
            nn.GELU([{approximate = "none"}]) -> module
            x·Φ(x), Φ the standard normal distribution function; approximate = "tanh" gives
            0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as PyTorch's nn.GELU.
            Example:
              local exact, fast = nn.GELU(), nn.GELU{approximate = "tanh"}
            """) { L in
            let o = try LuaOptions(L, 1)
            try o.checkKnown(["approximate"], "GELU")
            let a = try o.string("approximate", "none")
            guard a == "none" || a == "tanh" else {
                throw LuaError.argument(1, "GELU: approximate must be \"none\" or \"tanh\", got \"\(a)\"")
            }
            return build(L, GELU(tanhApproximation: a == "tanh"))
        },
        LuaFunction("ELU", doc: """
            nn.ELU([alpha = 1]) -> module
            x for x > 0, alpha·(e^x − 1) otherwise.
            Example:
              local act = nn.ELU(0.5)
            """) { L in
            let a = try L.optNumber(1, 1)
            guard a.isFinite else { throw LuaError.argument(1, "ELU: alpha must be a finite number, got \(a)") }
            return build(L, ELU(alpha: Float(a)))
        },
        LuaFunction("Hardswish", doc: """
            nn.Hardswish() -> module
            x·min(max(x + 3, 0), 6) / 6, element-wise (MobileNetV3).
            Example:
              local y = nn.Hardswish():forward(tensor.new{-4, 0, 1, 4})   -- {0, 0, 2/3, 4}
            """) { L in build(L, Hardswish()) },
        LuaFunction("Hardsigmoid", doc: """
            nn.Hardsigmoid() -> module
            min(max(x + 3, 0), 6) / 6, element-wise (MobileNetV3's squeeze-excitation gate).
            Example:
              local act = nn.Hardsigmoid()
            """) { L in build(L, Hardsigmoid()) },
    ]
}
