import Foundation

/// The command line as bytes. Swift decodes `argv` as UTF-8 and replaces every invalid
/// byte with U+FFFD, so a script path, a script argument or `-e` code that is not UTF-8
/// would reach Lua changed. ArgumentParser still parses the command line (validation and
/// help); the values handed to Lua are taken from here.
struct RawArguments {
    /// argv[0]: the interpreter's path, as lua.c stores it in `arg[-1]`.
    let program: [UInt8]
    /// The `-e` chunks given before the subcommand, in order.
    let chunks: [[UInt8]]
    /// The subcommand's name and what follows it (empty without a subcommand).
    let subcommand: [[UInt8]]

    static let current = RawArguments(CommandLine.unsafeArgv, count: Int(CommandLine.argc))

    init(_ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, count: Int) {
        var all: [[UInt8]] = []
        for i in 0..<count {
            guard let p = argv[i] else { continue }
            all.append(Array(UnsafeBufferPointer(start: p, count: strlen(p))).map { UInt8(bitPattern: $0) })
        }
        self.init(all)
    }

    init(_ all: [[UInt8]]) {
        program = all.first ?? Array("topiary".utf8)
        var chunks: [[UInt8]] = []
        var i = 1
        while i < all.count {
            let a = all[i]
            if a == Array("-e".utf8), i + 1 < all.count {
                chunks.append(all[i + 1])
                i += 2
            } else if a.first == UInt8(ascii: "-") {
                i += 1
            } else {
                break
            }
        }
        self.chunks = chunks
        subcommand = i < all.count ? Array(all[i...]) : []
    }

    /// The raw bytes behind `parsed`, values ArgumentParser decoded from `raw`, when they
    /// correspond one to one (each decodes to its parsed value); otherwise `parsed` as UTF-8.
    static func match(_ parsed: [String], _ raw: [[UInt8]]) -> [[UInt8]] {
        guard parsed.count == raw.count,
              zip(parsed, raw).allSatisfy({ $0 == String(decoding: $1, as: UTF8.self) }) else {
            return parsed.map { Array($0.utf8) }
        }
        return raw
    }
}
