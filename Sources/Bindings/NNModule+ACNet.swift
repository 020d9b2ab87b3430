import CLua
import LuaHost
import NN
import Tensor

extension NNModule {
    /// SFM's over-parameterised convolution: the ACConv2d constructor, nn.acnet, nn.fuse.
    static let acnetFunctions: [LuaFunction] = [
        LuaFunction("ACConv2d", doc: """
            nn.ACConv2d(in_channels, out_channels [, {kernel_size = 3, stride = 1, padding = 0, bias = false, eps = 1e-5, momentum = 0.1}]) -> module
            ACNet's asymmetric convolution block (SFM): a k×k, a 1×k and a k×1 convolution of the input,
            each with its own BatchNorm, summed; trained as one layer. block:fuse() folds it into one
            Conv2d with bias (equal in eval mode). State keys follow ACNet: square_conv.weight,
            square_bn.running_mean, hor_conv.weight, ver_bn.weight, ... Pruning sees one layer: its
            branches and their BNs shrink together.
            Example:
              local block = nn.ACConv2d(3, 16, {padding = 1})
              local y = block:forward(tensor.randn(2, 3, 8, 8))   -- 2 x 16 x 8 x 8
              print(block["hor_conv.weight"]:shape())              -- {16, 3, 1, 3}
            """) { L in
            let cin = try L.checkInteger(1), cout = try L.checkInteger(2)
            let o = try LuaOptions(L, 3)
            try o.checkKnown(["kernel_size", "stride", "padding", "bias", "eps", "momentum"], "ACConv2d")
            var momentum: Double? = 0.1
            if o.push("momentum") == LUA_TBOOLEAN && !L.toBool(-1) { momentum = nil } else { momentum = try o.number("momentum", 0.1) }
            L.pop()
            return build(L, try ACConv2d(cin, cout, kernelSize: try o.integer("kernel_size", 3),
                                         stride: try pairOption(L, o, "stride", 3) ?? (1, 1),
                                         padding: try pairOption(L, o, "padding", 3) ?? (0, 0),
                                         bias: try o.bool("bias", false), eps: try o.number("eps", 1e-5), momentum: momentum))
        },
        LuaFunction("acnet", doc: """
            nn.acnet(net [, {gamma = 0}]) -> net, converted
            Swaps every Conv2d with a square odd kernel (3×3, 5×5, ...), groups 1 and dilation 1 for an
            nn.ACConv2d, in place: the square branch takes the conv's weights (and bias), the 1×k and k×1
            branches start at random with their BN γ = gamma. With gamma = 0 the converted net computes
            what the original did (in eval mode, up to BN's eps) and the new branches grow in during
            fine-tuning; gamma = 1 is ACNet's start for training from scratch. The BN after each conv is
            kept. Returns the net (a bare conv comes back converted) and the converted paths.
            Example:
              local vgg = nn.acnet(nn.zoo.vgg11{}, {gamma = 1})
              local _, paths = nn.acnet(nn.zoo.resnet20{})   -- paths: {"conv1", "layer1.0.conv1", ...}
            """) { L in
            let net = try checkModule(L, 1)
            let o = try LuaOptions(L, 2)
            try o.checkKnown(["gamma"], "acnet")
            let r = try ACNet.convert(net, gamma: try o.number("gamma", 0))
            push(L, r.net)
            pushPaths(L, r.converted)
            return 2
        },
        LuaFunction("fuse", doc: """
            nn.fuse(net) -> net, fused
            Swaps every nn.ACConv2d for its fused Conv2d (block:fuse()), in place, so the net computes the
            same in eval mode with one k×k conv per block. Every block must be in eval mode (call
            net:eval() first); otherwise nothing changes and it is an error. Returns the net and the
            fused paths.
            Example:
              local net = nn.acnet(nn.zoo.vgg11{}):eval()
              local plain, paths = nn.fuse(net)
            """) { L in
            let net = try checkModule(L, 1)
            let r = try ACNet.fuse(net)
            push(L, r.net)
            pushPaths(L, r.fused)
            return 2
        },
    ]

    /// A Lua sequence of module paths.
    static func pushPaths(_ L: Lua, _ paths: [String]) {
        L.newTable(array: Int32(paths.count))
        for (i, p) in paths.enumerated() { L.push(p); L.setIndex(-2, i + 1) }
    }

    /// Methods of ACNet blocks (an error on other modules).
    static let acnetMethods: [LuaFunction] = [
        method("fuse", doc: """
            block:fuse() -> conv
            The Conv2d (with bias) that computes what an nn.ACConv2d block computes in eval mode: each BN
            folded into its branch, the 1×k and k×1 kernels added into the centre row and column of the
            k×k one. The block must be in eval mode. nn.fuse(net) does it for a whole net.
            Example:
              local block = nn.ACConv2d(3, 8, {padding = 1}):eval()
              local conv = block:fuse()
              local x = tensor.randn(2, 3, 8, 8)
              assert(((conv:forward(x) - block:forward(x)):abs():max()) < 1e-4)
            """) { L, m in
            guard let a = m as? ACConv2d else {
                throw LuaError.message("fuse: only an ACConv2d block can be fused, not a \(m.typeName) (nn.fuse(net) fuses every block of a net)")
            }
            push(L, try a.fused()); return 1
        },
    ]
}
