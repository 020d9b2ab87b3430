import CLua
import Foundation
import LuaHost
import NN
import Tensor
import Text

/// Trained networks kept on disk, so that a notebook trains its baseline once and later
/// runs read it: `train.cached(name, settings, fn)` and `topiary.cache_dir()`.
///
/// The file's name is derived from the name and the settings that define the network
/// (`fpwt-arch=resnet20-epochs=2-lr=0.05-1c9e4f0a.safetensors`: readable, plus a hash of the
/// exact settings), and the settings are stored in its metadata and checked on reading, so
/// changing a setting trains again and never reads another setting's network.
enum ModelCache {
    /// The metadata entry holding the canonical settings.
    static let keyMetadata = "topiary.cache.key"

    /// `$TOPIARY_CACHE`, else `~/.cache/topiary`.
    static func directory(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = environment["TOPIARY_CACHE"], !dir.isEmpty { return dir }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.cache/topiary"
    }

    /// A cache entry's identity: a name and its settings as sorted `key=value` strings.
    struct Key {
        let name: String
        let settings: [(key: String, value: String)]

        /// The exact identity, stored in the file: `name` then one `key=value` line each.
        var canonical: String { ([name] + settings.map { "\($0.key)=\($0.value)" }).joined(separator: "\n") }

        /// The settings on one line, for messages.
        var summary: String { settings.isEmpty ? "no settings" : settings.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }

        /// `name-key=value-…-HASH.safetensors`: characters other than letters, digits and
        /// `._,+-` become `_`, the readable part is cut at 150 bytes, and the hash (FNV-1a of
        /// `canonical`) tells apart settings that read alike.
        var fileName: String {
            func clean(_ s: String) -> String {
                String(s.unicodeScalars.map { u -> Character in
                    u.isASCII && (u.properties.isAlphabetic || ("0"..."9").contains(u) || "._,+-".unicodeScalars.contains(u)) ? Character(u) : "_"
                })
            }
            var readable = ([name] + settings.map { clean($0.key) + "=" + clean($0.value) }).joined(separator: "-")
            if readable.utf8.count > 150 { readable = String(readable.prefix(150)) }
            let h = FNV1a.hash(canonical)
            return readable + "-" + String(format: "%08x", UInt32(truncatingIfNeeded: h ^ (h >> 32))) + ".safetensors"
        }
    }

    /// A name is a file-name stem: letters, digits, `_`, `-`, `.`; not starting with `.`.
    static func checkName(_ name: String) throws {
        let ok = !name.isEmpty && name.utf8.count <= 64 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0)) }
        guard ok else {
            throw LuaError.argument(1, "name: 1 to 64 letters, digits, '_', '-' or '.' (not first) expected, got '\(name)'")
        }
    }

    /// The settings table at stack slot `i`: string keys; values strings, numbers, booleans
    /// or lists of them. A float with an integer value reads as the integer (2.0 → "2").
    static func settings(_ L: Lua, _ i: Int32) throws -> [(key: String, value: String)] {
        guard L.isTable(i) else {
            throw LuaError.argument(Int(i), "table of settings expected ({epochs = 2, lr = 0.1}), got \(L.typeName(i))")
        }
        var out: [(key: String, value: String)] = []
        try L.forEachPair(i) {
            guard L.type(-2) == LUA_TSTRING, let key = try L.toUTF8String(-2, "settings key", argument: Int(i)) else {
                throw LuaError.argument(Int(i), "settings must map names to values ({epochs = 2}), got a \(L.typeName(-2)) key")
            }
            let value: String
            if L.isTable(-1) {
                // a list only: a keyed entry would not reach the key, and two different tables
                // would name the same file
                var entries = 0
                L.forEachPair(L.absIndex(-1)) { entries += 1 }
                guard entries == L.rawLength(-1) else {
                    throw LuaError.argument(Int(i), "setting '\(key)': a list of strings, numbers or booleans expected, got a table with "
                                            + "named or non-sequence keys (give each its own setting, e.g. \(key)_lr = 0.1)")
                }
                var items: [String] = []
                for k in stride(from: 1, through: L.rawLength(-1), by: 1) {
                    L.rawIndex(-1, k)
                    defer { L.pop() }
                    items.append(try scalar(L, -1, key, Int(i)))
                }
                value = items.joined(separator: ",")
            } else {
                value = try scalar(L, -1, key, Int(i))
            }
            out.append((key, value))
        }
        return out.sorted { $0.key < $1.key }
    }

    /// One setting value as text.
    private static func scalar(_ L: Lua, _ i: Int32, _ key: String, _ argument: Int) throws -> String {
        switch L.type(i) {
        case LUA_TSTRING:
            return try L.toUTF8String(i, "setting '\(key)'", argument: argument) ?? ""
        case LUA_TBOOLEAN:
            return L.toBool(i) ? "true" : "false"
        case LUA_TNUMBER:
            if L.isInteger(i) { return String(Int(clua_tointeger(L.state, i))) }
            let v = L.toNumber(i)!
            guard v.isFinite else { throw LuaError.argument(argument, "setting '\(key)': a finite number expected, got \(v)") }
            return v == v.rounded() && abs(v) < 9.0e15 ? String(Int(v)) : "\(v)"
        default:
            throw LuaError.argument(argument, "setting '\(key)': string, number, boolean or a list of them expected, got \(L.typeName(i))")
        }
    }
}

extension TopiaryModule {
    static let cacheDir = LuaFunction("cache_dir", doc: """
        topiary.cache_dir() -> path
        Where train.cached keeps trained networks: $TOPIARY_CACHE if set, else ~/.cache/topiary
        (Scripts/test sets TOPIARY_CACHE=.build/notebook-cache). Delete a file there to retrain.
        Example:
          print(topiary.cache_dir())
        """) { L in
        L.push(ModelCache.directory())
        return 1
    }
}

extension TrainModule {
    static let cached = LuaFunction("cached", doc: """
    train.cached(name, settings, fn [, {dir = topiary.cache_dir()}]) -> net, info
    A trained network, computed once: `fn()` trains and returns it, and it is kept in
    dir/NAME-key=value-...-HASH.safetensors, the file name derived from `name` and `settings`
    (a table of strings, numbers, booleans or lists of them: every setting that shapes the
    network, so that changing one trains again). Later calls with the same name and settings
    read the file instead and do not call `fn`, so its training log appears only when it
    trains. Either way the network returned is the one read from the file (in eval mode), and
    the global generator (tensor.manual_seed) is left as it was before the call: what follows
    runs the same whether the network was trained or read. The file is written atomically;
    a file that cannot be read (truncated, corrupt, or written for other settings) is
    reported on stderr and replaced by training again. One line says which happened and
    where. Processes asking for the same network at once (a sweep's tasks on one cache) train
    it once: the first holds a lock (a hidden .FILE.lock beside it) while it trains, the
    others say they wait, then read its file. `info` = {path =, file =, trained = true|false,
    settings = "k=v k=v"}.
    Example:
      local net, info = train.cached("demo", {epochs = 1, lr = 0.1}, function()
        local m = nn.Sequential{nn.Flatten(), nn.Linear(3 * 8 * 8, 10)}
        train.fit(m, loader, {epochs = 1, optimizer = train.sgd{lr = 0.1}, log = false})
        return m
      end, {dir = "cache"})
      print(info.file, info.trained)
    """) { L in
        let name = try L.checkString(1)
        try ModelCache.checkName(name)
        let key = ModelCache.Key(name: name, settings: try ModelCache.settings(L, 2))
        guard L.isFunction(3) else {
            throw LuaError.argument(3, "function that trains and returns the network expected, got \(L.typeName(3))")
        }
        let o = try LuaOptions(L, 4)
        try o.checkKnown(["dir"], "cached")
        let dir = try o.path("dir") ?? FilePath(ModelCache.directory())
        let path = dir + key.fileName
        try dir.createDirectories(op: "train.cached")
        // one process trains an entry; others asking for it meanwhile wait, then read it
        let lock = try ModelCache.Lock(path) {
            L.write("train.cached: waiting for another process training \(path)\n")
        }
        defer { lock.release() }
        // trained or read, what follows draws the same numbers (reading builds the modules,
        // whose initialisation draws from the generator too)
        let generator = Random.global
        defer { Random.global = generator }

        if path.exists {
            do {
                let (model, metadata) = try NNModule.loadModel(path, op: "train.cached")
                guard metadata[ModelCache.keyMetadata] == key.canonical else {
                    throw LuaError.message("it was written for other settings (\(metadata[ModelCache.keyMetadata].map { $0.replacingOccurrences(of: "\n", with: " ") } ?? "none recorded"))")
                }
                L.write("train.cached: loaded \(path)\n")
                return push(L, model, path: path, key: key, trained: false)
            } catch {
                let why = (error as? LuaMessageError)?.message ?? "\(error)"
                L.write("train.cached: cannot use \(path): \(why); training again\n", to: .stderr)
            }
        }

        L.write("train.cached: training \(name) (\(key.summary)) for \(path)\n")
        let fn = LuaCallback(L, 3, what: "train.cached")
        defer { fn.release(L) }
        let start = DispatchTime.now().uptimeNanoseconds
        let trained = try fn.call(on: L, nresults: 1, { _ in 0 }) { L -> any Module in
            guard let m = try? NNModule.checkModule(L, -1) else {
                throw LuaError.message("train.cached: the function must return the trained network (an nn module), got \(L.typeName(-1))")
            }
            return m
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try NNModule.saveModel(trained, to: path, metadata: [ModelCache.keyMetadata: key.canonical], op: "train.cached")
        let model = try NNModule.loadModel(path, op: "train.cached").model
        L.write("train.cached: trained in \(String(format: "%.1f", seconds)) s, saved \(path)\n")
        return push(L, model, path: path, key: key, trained: true)
    }

    /// Pushes the network and the info table; returns 2.
    private static func push(_ L: Lua, _ model: any Module, path: FilePath, key: ModelCache.Key, trained: Bool) -> Int {
        NNModule.push(L, model)
        L.newTable()
        L.push(bytes: path.bytes); L.setField(-2, "path")
        L.push(bytes: path.lastComponent); L.setField(-2, "file")
        L.push(trained); L.setField(-2, "trained")
        L.push(key.summary); L.setField(-2, "settings")
        return 2
    }
}
