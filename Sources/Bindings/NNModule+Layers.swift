import Dist
import CLua
import LuaHost
import NN
import Tensor

extension NNModule {
    /// A size argument: a number n (meaning n×n) or a table {h, w}.
    static func pair(_ L: Lua, _ index: Int32, _ what: String) throws -> (Int, Int) {
        let i = L.absIndex(index)
        if L.isNumber(i) { let v = try L.checkInteger(i); return (v, v) }
        guard L.isTable(i), L.rawLength(i) == 2 else {
            throw LuaError.argument(Int(i), "\(what): number or {h, w} expected, got \(L.typeName(i))")
        }
        L.rawIndex(i, 1); L.rawIndex(i, 2)
        defer { L.pop(2) }
        guard L.isNumber(-2), L.isNumber(-1) else { throw LuaError.argument(Int(i), "\(what): {h, w} must hold numbers") }
        return (try L.checkInteger(-2), try L.checkInteger(-1))
    }

    /// An optional pair option field: `stride = 2` or `stride = {2, 1}`.
    static func pairOption(_ L: Lua, _ o: LuaOptions, _ key: String, _ arg: Int32) throws -> (Int, Int)? {
        let t = o.push(key)
        defer { L.pop() }
        if t == LUA_TNIL { return nil }
        do { return try pair(L, -1, key) } catch LuaError.argument(_, let m) {
            throw LuaError.argument(Int(arg), "field '\(key)': \(m.replacingOccurrences(of: "\(key): ", with: ""))")
        }
    }

    static func build(_ L: Lua, _ m: any Module) -> Int { push(L, m); return 1 }

    static let layerConstructors: [LuaFunction] = [
        LuaFunction("Conv2d", doc: """
            nn.Conv2d(in_channels, out_channels, kernel_size [, {stride =, padding =, dilation =, groups =, bias =}]) -> module
            2-d convolution over [N, C, H, W] input; sizes are a number or {h, w}. groups = in_channels
            gives a depthwise convolution. Weights use PyTorch's default initialisation.
            Example:
              local conv = nn.Conv2d(1, 32, 3, {padding = 1})
              local dw = nn.Conv2d(32, 32, 3, {padding = 1, groups = 32, bias = false})
            """) { L in
            let cin = try L.checkInteger(1), cout = try L.checkInteger(2)
            let k = try pair(L, 3, "kernel_size")
            let o = try LuaOptions(L, 4)
            try o.checkKnown(["stride", "padding", "dilation", "groups", "bias"], "Conv2d")
            return build(L, try Conv2d(cin, cout, kernelSize: k, stride: try pairOption(L, o, "stride", 4) ?? (1, 1),
                                       padding: try pairOption(L, o, "padding", 4) ?? (0, 0),
                                       dilation: try pairOption(L, o, "dilation", 4) ?? (1, 1),
                                       groups: try o.integer("groups", 1), bias: try o.bool("bias", true)))
        },
        batchNorm("BatchNorm2d", "[N, C, H, W]") { try BatchNorm2d($0, eps: $1, momentum: $2, affine: $3, trackRunningStats: $4) },
        batchNorm("BatchNorm1d", "[N, C] or [N, C, L]") { try BatchNorm1d($0, eps: $1, momentum: $2, affine: $3, trackRunningStats: $4) },
        batchNorm("SyncBatchNorm", "[N, C, ...] (statistics over every rank of dist)") { try SyncBatchNorm($0, eps: $1, momentum: $2, affine: $3, trackRunningStats: $4, collective: try Communicator.world()) },
        LuaFunction("Linear", doc: """
            nn.Linear(in_features, out_features [, {bias = true}]) -> module
            y = x·Wᵀ + b over the last dimension.
            Example:
              local fc = nn.Linear(512, 10)
            """) { L in
            let a = try L.checkInteger(1), b = try L.checkInteger(2)
            let o = try LuaOptions(L, 3)
            try o.checkKnown(["bias"], "Linear")
            return build(L, try Linear(a, b, bias: try o.bool("bias", true)))
        },
        LuaFunction("MaxPool2d", doc: """
            nn.MaxPool2d(kernel_size [, {stride = kernel_size, padding = 0, dilation = 1, ceil_mode = false}]) -> module
            Max pooling over [N, C, H, W] input.
            Example:
              local pool = nn.MaxPool2d(2)                              -- halves H and W
              local stem = nn.MaxPool2d(3, {stride = 2, padding = 1})
            """) { L in
            let k = try pair(L, 1, "kernel_size")
            let o = try LuaOptions(L, 2)
            try o.checkKnown(["stride", "padding", "dilation", "ceil_mode"], "MaxPool2d")
            return build(L, try MaxPool2d(kernelSize: k, stride: try pairOption(L, o, "stride", 2),
                                          padding: try pairOption(L, o, "padding", 2) ?? (0, 0),
                                          dilation: try pairOption(L, o, "dilation", 2) ?? (1, 1), ceilMode: try o.bool("ceil_mode", false)))
        },
        LuaFunction("AvgPool2d", doc: """
            nn.AvgPool2d(kernel_size [, {stride = kernel_size, padding = 0, ceil_mode = false, count_include_pad = true}]) -> module
            Average pooling over [N, C, H, W] input.
            Example:
              local pool = nn.AvgPool2d(2)
            """) { L in
            let k = try pair(L, 1, "kernel_size")
            let o = try LuaOptions(L, 2)
            try o.checkKnown(["stride", "padding", "ceil_mode", "count_include_pad"], "AvgPool2d")
            return build(L, try AvgPool2d(kernelSize: k, stride: try pairOption(L, o, "stride", 2),
                                          padding: try pairOption(L, o, "padding", 2) ?? (0, 0), ceilMode: try o.bool("ceil_mode", false),
                                          countIncludePad: try o.bool("count_include_pad", true)))
        },
        LuaFunction("AdaptiveAvgPool2d", doc: """
            nn.AdaptiveAvgPool2d(output_size) -> module
            Average pooling to a fixed output size (a number or {h, w}); 1 is global average pooling.
            Example:
              local gap = nn.AdaptiveAvgPool2d(1)
            """) { L in
            let s = try pair(L, 1, "output_size")
            return build(L, try AdaptiveAvgPool2d(outputSize: s))
        },
        LuaFunction("Flatten", doc: """
            nn.Flatten([start_dim = 2 [, end_dim = -1]]) -> module
            Merges dimensions start_dim..end_dim (1-based, negative from the end) into one.
            Example:
              local f = nn.Flatten()        -- [N, C, H, W] -> [N, C·H·W]
            """) { L in
            let a = try L.optInteger(1, 2), b = try L.optInteger(2, -1)
            guard a != 0 else { throw LuaError.argument(1, "dimension 0 is invalid (dimensions are 1-based)") }
            guard b != 0 else { throw LuaError.argument(2, "dimension 0 is invalid (dimensions are 1-based)") }
            return build(L, Flatten(startDim: a > 0 ? a - 1 : a, endDim: b > 0 ? b - 1 : b))
        },
        LuaFunction("Dropout", doc: """
            nn.Dropout([p = 0.5]) -> module
            In training mode zeroes elements with probability p (masks from the generator seeded by
            tensor.manual_seed) and scales the rest by 1/(1 - p); the identity in eval mode.
            Example:
              local drop = nn.Dropout(0.2)
            """) { L in build(L, try Dropout(p: try L.optNumber(1, 0.5))) },
        LuaFunction("Identity", doc: """
            nn.Identity() -> module
            Returns its input.
            Example:
              local skip = nn.Identity()
            """) { L in build(L, Identity()) },
    ]

    static func batchNorm(_ name: String, _ layout: String,
                          _ make: @escaping (Int, Double, Double?, Bool, Bool) throws -> BatchNorm) -> LuaFunction {
        LuaFunction(name, doc: """
            nn.\(name)(num_features [, {eps = 1e-5, momentum = 0.1, affine = true, track_running_stats = true}]) -> module
            Batch normalisation of \(layout) input: batch statistics in training mode (updating the running
            ones), running statistics in eval mode. momentum = false gives a cumulative average.
            Example:
              local bn = nn.\(name)(64, {momentum = 0.01})
            """) { L in
            let c = try L.checkInteger(1)
            let o = try LuaOptions(L, 2)
            try o.checkKnown(["eps", "momentum", "affine", "track_running_stats"], name)
            var momentum: Double? = 0.1
            if o.push("momentum") == LUA_TBOOLEAN && !L.toBool(-1) { momentum = nil } else { momentum = try o.number("momentum", 0.1) }
            L.pop()
            let eps = try o.number("eps", 1e-5), affine = try o.bool("affine", true), track = try o.bool("track_running_stats", true)
            return build(L, try make(c, eps, momentum, affine, track))
        }
    }
}
