import CLua
import LuaHost
import NN
import Tensor

extension NNModule {
    /// Children from a list whose entries are modules (named "0", "1", …, as in PyTorch)
    /// or {name, module} pairs.
    static func childList(_ L: Lua, _ i: Int32, _ fn: String) throws -> [(String, any Module)] {
        try L.checkTable(i)
        let i = L.absIndex(i)
        var out: [(String, any Module)] = []
        for k in stride(from: 1, through: L.rawLength(i), by: 1) {
            L.rawIndex(i, k)
            defer { L.pop() }
            if let m = try module(L, -1) { out.append((String(k - 1), m)); continue }
            if L.isTable(-1), L.rawLength(-1) == 2 {
                let entry = L.absIndex(-1)
                L.rawIndex(entry, 1); L.rawIndex(entry, 2)
                defer { L.pop(2) }
                if let name = L.toString(-2), let m = try module(L, -1) { out.append((name, m)); continue }
            }
            throw LuaError.argument(Int(i), "entry \(k): nn.Module or {name, module} expected, got \(L.typeName(-1))")
        }
        return out
    }

    static let containerConstructors: [LuaFunction] = [
        LuaFunction("Sequential", doc: """
            nn.Sequential([{module, ... or {name, module}, ...}]) -> module
            Runs modules in order. Children are named "0", "1", … (PyTorch's keys) unless given as
            {name, module} pairs; net:add(module [, name]) appends.
            Example:
              local net = nn.Sequential{ nn.Conv2d(1, 8, 3), nn.ReLU() }
              local named = nn.Sequential{ {"conv1", nn.Conv2d(1, 8, 3)}, {"relu1", nn.ReLU()} }
            """) { L in
            if L.isNoneOrNil(1) { return build(L, Sequential()) }
            let kids = try childList(L, 1, "Sequential")
            return build(L, try Sequential(named: kids))
        },
        LuaFunction("Residual", doc: """
            nn.Residual(body [, shortcut [, {post =, shortcut_name = "shortcut", post_name = "relu", type = "Residual"}]]) -> module
            post(body(x) + shortcut(x)). shortcut: nil (identity), a module (option B: 1×1 conv + BN), or
            {option = "A" [, stride =, pad =]} for the zero-padding shortcut (subsample + zero channels; stride
            and padding follow the body's output when omitted). A Sequential body (or a list of modules) is
            transparent: its layers are named directly under the block, as in a PyTorch BasicBlock.
            Example:
              local block = nn.Residual(nn.Sequential{ {"conv1", nn.Conv2d(16, 32, 3, {stride = 2, padding = 1, bias = false})},
                {"bn1", nn.BatchNorm2d(32)}, {"relu1", nn.ReLU()},
                {"conv2", nn.Conv2d(32, 32, 3, {padding = 1, bias = false})}, {"bn2", nn.BatchNorm2d(32)} },
                {option = "A"}, {post = nn.ReLU()})
            """) { L in
            var body: any Module
            if let m = try module(L, 1) { body = m } else if L.isTable(1) {
                let kids = try childList(L, 1, "Residual")
                body = try Sequential(named: kids)
            } else { throw L.typeError(1, "nn.Module") }
            var shortcut: (any Module)?
            if let m = try module(L, 2) { shortcut = m } else if L.isTable(2) {
                let o = try LuaOptions(L, 2)
                try o.checkKnown(["option", "stride", "pad"], "shortcut")
                guard (try o.string("option"))?.uppercased() == "A" else {
                    throw LuaError.argument(2, "field 'option': only \"A\" is built in (pass a module for option B)")
                }
                shortcut = try shortcutA(L, o, 2)
            } else if !L.isNoneOrNil(2) { throw L.typeError(2, "nn.Module, {option = \"A\"} or nil") }
            let o = try LuaOptions(L, 3)
            try o.checkKnown(["post", "shortcut_name", "post_name", "type"], "Residual")
            var post: (any Module)?
            if o.push("post") != LUA_TNIL {
                guard let m = try module(L, -1) else {
                    L.pop(); throw LuaError.argument(3, "field 'post': nn.Module expected")
                }
                post = m
            }
            L.pop()
            return build(L, try Residual(body: body, shortcut: shortcut, post: post, shortcutName: try o.string("shortcut_name", "shortcut"),
                                         postName: try o.string("post_name", "relu"), typeName: try o.string("type", "Residual")))
        },
        LuaFunction("Concat", doc: """
            nn.Concat{branch, ... or {name, branch}, ...} -> module
            Runs every branch on the same input and concatenates the outputs along channels (dim 2).
            A branch named "" (a Sequential or Identity) is transparent, as in a DenseNet layer.
            Example:
              local inception = nn.Concat{ {"b1", nn.Conv2d(64, 16, 1)}, {"b2", nn.Conv2d(64, 32, 3, {padding = 1})} }
              local dense = nn.Concat{ {"", nn.Identity()}, {"", nn.Sequential{ {"bn1", nn.BatchNorm2d(24)}, {"conv1", nn.Conv2d(24, 12, 3, {padding = 1})} }} }
            """) { L in
            let kids = try childList(L, 1, "Concat")
            return build(L, try Concat(named: kids))
        },
        LuaFunction("SqueezeExcite", doc: """
            nn.SqueezeExcite(channels, squeeze_channels [, {activation = nn.ReLU(), scale_activation = nn.Sigmoid()}]) -> module
            Squeeze-and-excitation as torchvision's ops.SqueezeExcitation: x times
            scale_activation(fc2(activation(fc1(avgpool(x))))), one scale per image and channel; children
            avgpool, fc1, activation, fc2, scale_activation (1×1 convs with bias). Pruning sees through it:
            the block's channels shrink fc1's inputs and fc2's outputs, the squeeze channels are a group.
            Example:
              local se = nn.SqueezeExcite(64, 16)
              local v3 = nn.SqueezeExcite(96, 24, {scale_activation = nn.Hardsigmoid()})   -- MobileNetV3's
            """) { L in
            let c = try L.checkInteger(1), r = try L.checkInteger(2)
            let o = try LuaOptions(L, 3)
            try o.checkKnown(["activation", "scale_activation"], "SqueezeExcite")
            let act = try o.object("activation", moduleType), gate = try o.object("scale_activation", moduleType)
            return build(L, try SqueezeExcite(channels: c, squeezeChannels: r, activation: act, scaleActivation: gate))
        },
        LuaFunction("ShortcutA", doc: """
            nn.ShortcutA([{stride =, pad = n or {before, after}}]) -> module
            Option-A shortcut: x[:, :, ::stride, ::stride] zero-padded with channels before and after.
            Without options, stride and padding follow the enclosing Residual's body output.
            Example:
              local sc = nn.ShortcutA{stride = 2, pad = 8}   -- 16 -> 32 channels, half the size
            """) { L in
            let o = try LuaOptions(L, 1)
            try o.checkKnown(["stride", "pad"], "ShortcutA")
            return build(L, try shortcutA(L, o, 1))
        },
    ]

    static func shortcutA(_ L: Lua, _ o: LuaOptions, _ arg: Int32) throws -> ShortcutA {
        let stride = try o.integer("stride")
        let pad = try pairOption(L, o, "pad", arg)
        if stride == nil && pad == nil { return ShortcutA() }
        return try ShortcutA(stride: stride ?? 2, padBefore: pad?.0 ?? 0, padAfter: pad?.1 ?? 0)
    }
}
