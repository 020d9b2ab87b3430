import ArgumentParser
import Bindings
import CLuaShim
import Foundation
import LuaHost

/// `topiary repl`: reads Lua chunks and prints results (details in ReplSession).
struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Interactive Lua with Topiary's modules.")

    func run() throws {
        let interp = Libraries.makeInterpreter()
        var buffer = ""
        while let line = readLine(strippingNewline: true) {
            buffer += (buffer.isEmpty ? "" : "\n") + line
            var src = buffer
            if src.hasPrefix("=") { src = "return " + src.dropFirst() }
            do {
                let out = try (try? interp.evaluate("return " + src, name: "=stdin")) ?? interp.evaluate(src, name: "=stdin")
                if !out.isEmpty { print(out.joined(separator: "\t")) }
                buffer = ""
            } catch {
                let msg = "\(error)"
                if msg.hasSuffix("<eof>") { continue }
                FileHandle.standardError.write(Data("\(msg)\n".utf8))
                buffer = ""
            }
        }
    }
}
