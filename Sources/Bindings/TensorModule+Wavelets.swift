import Kernels
import LuaHost
import Tensor

extension TensorModule {
    /// The 2-D wavelet transform (PyWavelets' conventions and coefficients):
    /// ```lua
    /// local b = x:dwt2("haar")                 -- {ll=, lh=, hl=, hh=} = pywt's cA, cH, cV, cD
    /// local y = tensor.idwt2(b, "haar")
    /// local c = x:wavedec2("db2", 2, {mode = "periodization"})   -- {cA2, {lh=, hl=, hh=}, {…}}
    /// local z = tensor.waverec2(c, "db2", {mode = "periodization"})
    /// ```
    static let waveletMethods: [LuaFunction] = [
        LuaFunction("dwt2", doc: """
            x:dwt2(wavelet [, {mode = "symmetric"}]) -> {ll =, lh =, hl =, hh =}
            One level of the 2-D discrete wavelet transform over the last two dims, batched
            over the leading ones; the bands are PyWavelets' cA, cH, cV, cD (same sizes and
            coefficients as pywt.dwt2). Wavelets: see tensor.wavelets().
            Example:
              local b = tensor.randn(8, 16, 32, 32):dwt2("db2", {mode = "periodization"})
              print(b.ll:shape())   -- {8, 16, 16, 16}
            """) { L in
            let x = try L.checkTensor(1), w = try checkWavelet(L, 2)
            let mode = try waveletMode(L, 3, "dwt2", extra: [])
            pushBands(L, try x.dwt2(w, mode: mode))
            return 1
        },
        LuaFunction("wavedec2", doc: """
            x:wavedec2(wavelet, level [, {mode = "symmetric", force = false}]) -> {cA, {lh =, hl =, hh =}, …}
            Multi-level 2-D decomposition as pywt.wavedec2: element 1 is the coarsest
            approximation, then the detail bands from the coarsest level to the finest.
            A level deeper than the maps allow is an error naming the maximum level
            (force = true decomposes anyway, as PyWavelets does with a warning).
            Example:
              local c = tensor.randn(4, 8, 32, 32):wavedec2("haar", 2)
              print(c[1]:shape(), c[2].hh:shape(), c[3].hh:shape())   -- 8x8, 8x8, 16x16
            """) { L in
            let x = try L.checkTensor(1), w = try checkWavelet(L, 2)
            let level = try L.checkInteger(3)
            let mode = try waveletMode(L, 4, "wavedec2", extra: ["force"])
            let force = try LuaOptions(L, 4).bool("force", false)
            let c = try x.wavedec2(w, level: level, mode: mode, force: force)
            L.newTable(array: Int32(c.details.count + 1))
            L.push(c.approximation); L.setIndex(-2, 1)
            for (i, d) in c.details.enumerated() { pushBands(L, d); L.setIndex(-2, i + 2) }
            return 1
        },
    ]

    static let waveletFunctions: [LuaFunction] = [
        LuaFunction("idwt2", doc: """
            tensor.idwt2({ll =, lh =, hl =, hh =}, wavelet [, {mode = "symmetric"}]) -> tensor
            Inverse of x:dwt2 (pywt.idwt2). The bands share one shape; a missing band counts
            as zeros. Odd-sized originals come back one row/column larger, as in PyWavelets.
            Example:
              local x = tensor.randn(2, 3, 16, 16)
              local y = tensor.idwt2(x:dwt2("sym4"), "sym4")   -- y:narrow(3, 1, 16):narrow(4, 1, 16) == x
            """) { L in
            try L.checkTable(1)
            let bands = try readBands(L, 1, withApprox: true)
            let w = try checkWavelet(L, 2), mode = try waveletMode(L, 3, "idwt2", extra: [])
            L.push(try Tensor.idwt2(bands, w, mode: mode))
            return 1
        },
        LuaFunction("waverec2", doc: """
            tensor.waverec2(coeffs, wavelet [, {mode = "symmetric"}]) -> tensor
            Inverse of x:wavedec2 (pywt.waverec2): coeffs = {cA, {lh =, hl =, hh =}, …}
            from the coarsest level to the finest.
            Example:
              local x = tensor.randn(2, 3, 32, 32)
              local y = tensor.waverec2(x:wavedec2("db4", 2), "db4")
            """) { L in
            try L.checkTable(1)
            let w = try checkWavelet(L, 2), mode = try waveletMode(L, 3, "waverec2", extra: [])
            L.setTop(3)
            let n = L.rawLength(1)
            guard n >= 1 else { throw LuaError.argument(1, "coefficient list is empty (expected {cA, {lh =, hl =, hh =}, …})") }
            L.rawIndex(1, 1)
            let first = try L.tensor(-1), firstType = L.typeName(-1)
            L.pop()   // the table keeps the tensor alive
            guard let approx = first else {
                throw LuaError.argument(1, "element 1 must be the approximation tensor, got \(firstType)")
            }
            var details: [WaveletBands] = []
            for i in 2...max(n, 2) where i <= n {
                L.rawIndex(1, i)
                defer { L.pop() }
                guard L.isTable(-1) else { throw LuaError.argument(1, "element \(i) must be a table {lh =, hl =, hh =}, got \(L.typeName(-1))") }
                details.append(try readBands(L, -1, withApprox: false))
            }
            L.push(try Tensor.waverec2(WaveletDecomposition(approximation: approx, details: details), w, mode: mode))
            return 1
        },
        LuaFunction("wavelets", doc: """
            tensor.wavelets() -> names, modes
            The wavelet names and boundary modes the wavelet functions accept.
            Example:
              local names, modes = tensor.wavelets()
              print(table.concat(names, " "), table.concat(modes, " "))
            """) { L in
            L.newTable(array: Int32(Wavelet.names.count))
            for (i, n) in Wavelet.names.enumerated() { L.push(n); L.setIndex(-2, i + 1) }
            let modes = WaveletMode.allCases.map(\.rawValue)
            L.newTable(array: Int32(modes.count))
            for (i, n) in modes.enumerated() { L.push(n); L.setIndex(-2, i + 1) }
            return 2
        },
    ]

    static func checkWavelet(_ L: Lua, _ i: Int32) throws -> Wavelet {
        let name = try L.checkString(i)
        guard Wavelet.names.contains(name) else {
            throw LuaError.argument(Int(i), "unknown wavelet '\(name)' (valid: \(Wavelet.names.joined(separator: ", ")))")
        }
        return try Wavelet.named(name)
    }

    static func waveletMode(_ L: Lua, _ i: Int32, _ what: String, extra: Set<String>) throws -> WaveletMode {
        let o = try LuaOptions(L, i)
        try o.checkKnown(Set(["mode"]).union(extra), what)
        let names = WaveletMode.allCases.map(\.rawValue)
        return try WaveletMode.named(try o.choice("mode", names, "symmetric"))
    }

    static func pushBands(_ L: Lua, _ b: WaveletBands) {
        L.newTable(record: 4)
        for (key, t) in [("ll", b.ll), ("lh", b.lh), ("hl", b.hl), ("hh", b.hh)] {
            if let t { L.push(t); L.setField(-2, key) }
        }
    }

    static func readBands(_ L: Lua, _ index: Int32, withApprox: Bool) throws -> WaveletBands {
        let t = L.absIndex(index)
        var got: [Tensor?] = []
        for key in ["ll", "lh", "hl", "hh"] {
            L.rawField(t, key)
            defer { L.pop() }
            if L.isNoneOrNil(-1) { got.append(nil); continue }
            guard let x = try L.tensor(-1) else {
                throw LuaError.message("wavelet bands: field '\(key)' must be a tensor, got \(L.typeName(-1))")
            }
            got.append(x)
        }
        if !withApprox && got[0] != nil {
            throw LuaError.message("waverec2: detail entries hold lh, hl, hh only (the approximation is element 1)")
        }
        return WaveletBands(ll: got[0], lh: got[1], hl: got[2], hh: got[3])
    }
}
