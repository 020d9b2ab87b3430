import Bindings
import LuaHost
import XCTest

final class HelpTests: XCTestCase {
    static let scaleDoc = """
        demo.scale(x, k) -> number
        Multiplies x by k.
        Example:
          demo.scale(2, 3)   --> 6
        """

    /// An interpreter with a small documented module next to Topiary's.
    func makeInterpreter() -> Interpreter {
        let demo = LuaLibrary(name: "demo") { L in
            L.newTable()
            L.push(LuaFunction("scale", doc: HelpTests.scaleDoc) { L in L.push(try L.checkNumber(1) * L.checkNumber(2)); return 1 })
            L.setField(-2, "scale")
            L.push(LuaFunction("undocumented") { _ in 0 })
            L.setField(-2, "undocumented")
            L.push(3); L.setField(-2, "version")
        }
        return Interpreter(libraries: Libraries.all + [demo])
    }

    /// An output sink that keeps what is written to stdout.
    final class Lines: OutputSink {
        var text = ""
        var isTerminal: Bool { false }
        func write(_ text: String, to stream: OutputChannel) { if stream == .stdout { self.text += text } }
    }

    /// What `code` writes to the interpreter's output sink (help and who write there, not
    /// through the global `print`).
    func printed(_ interp: Interpreter, _ code: String) throws -> String {
        let lines = Lines()
        interp.lua.setOutput(lines)
        try interp.run(code)
        return lines.text.hasSuffix("\n") ? String(lines.text.dropLast()) : lines.text
    }

    func testHelpShowsTheDocOfABinding() throws {
        let interp = makeInterpreter()
        XCTAssertEqual(try printed(interp, "help(demo.scale)"), HelpTests.scaleDoc)
        XCTAssertEqual(try printed(interp, "help('demo.scale')"), HelpTests.scaleDoc)
        XCTAssertEqual(try printed(interp, "help('scale')"), HelpTests.scaleDoc, "a bare name is looked up in the modules")
        XCTAssertEqual(try printed(interp, "help(demo.undocumented)"), "undocumented: no documentation yet.")
        XCTAssertTrue(try printed(interp, "help(help)").hasPrefix("help([x]) -> nothing"))
    }

    func testHelpOfAModuleListsItsFunctions() throws {
        let interp = makeInterpreter()
        XCTAssertEqual(try printed(interp, "help(demo)"), """
            demo: module (3 fields)
              scale         demo.scale(x, k) -> number
              undocumented  (no documentation yet)
              version       number 3
            """)
    }

    func testHelpOfATensorListsItsMethods() throws {
        let interp = makeInterpreter()
        let text = try printed(interp, "help(tensor.zeros(2, 3))")
        XCTAssertTrue(text.hasPrefix("tensor float32 [2, 3]\nMethods (call as x:name(...)):\n"), text)
        XCTAssertTrue(text.contains("\n  sum "), text)
        XCTAssertTrue(text.contains("\n  matmul "), text)
    }

    func testHelpOfOtherValuesAndUnknownNames() throws {
        let interp = makeInterpreter()
        XCTAssertEqual(try printed(interp, "help('no_such_thing')"), "help: nothing is named 'no_such_thing'")
        XCTAssertEqual(try printed(interp, "help(io.write)"),
                       "io.write: a function of Lua's standard library (see the Lua 5.4 reference manual, §6).")
        XCTAssertEqual(try printed(interp, "help(string.format)"),
                       "string.format: a function of Lua's standard library (see the Lua 5.4 reference manual, §6).")
        XCTAssertEqual(try printed(interp, "function f() end help(f)"), "function: a Lua function defined at (string):1 (no documentation).")
        XCTAssertEqual(try printed(interp, "help(42)"), "number 42")
        let overview = try printed(interp, "help()")
        let modules = overview.split(separator: "\n").first { $0.hasPrefix("Modules: ") } ?? ""
        XCTAssertTrue(modules.contains("demo") && modules.contains("tensor") && !modules.contains("string"), overview)
    }

    func testWhoListsUserGlobalsOnly() throws {
        let interp = makeInterpreter()
        XCTAssertEqual(try printed(interp, "who()"), "No user globals yet.")
        let text = try printed(interp, "x = tensor.zeros(2, 3); name = 'conv1'; config = {lr = 0.1}; who()")
        XCTAssertEqual(text, """
            config  table (1 field)
            name    string "conv1"
            x       tensor float32 [2, 3]
            """)
        // A module name reused for something else is the user's.
        XCTAssertTrue(try printed(interp, "tensor = 5; who()").contains("tensor  number 5"))
    }
}
