import CLua
import CLuaShim
import LuaHost

/// `help(x)` and `who()`, as globals in every interpreter (REPL, scripts, notebooks).
/// The library's value is the `help` function (`require "help"`); opening it also sets
/// the global `who`. Both write to the state's output sink (`Lua.output`), so a notebook
/// cell captures them.
public enum HelpLibrary {
    public static let library = LuaLibrary(name: "help") { L in
        L.push(who)
        L.setGlobal("who")
        // help is a callable table: help(x), and help.search(word).
        L.newTable()
        L.push(search); L.setField(-2, "search")
        L.newTable()
        L.push(call); L.setField(-2, "__call")
        // `help` typed alone (the REPL shows its value) says how to use it
        L.push(usage); L.setField(-2, "__tostring")
        lua_setmetatable(L.state, -2)
    }

    static let usage = LuaFunction("__tostring") { L in
        L.push("help(x): the doc of x (a function, module, layer or tensor) · help(): the modules · help.search(\"word\"): docs that mention it · who(): your globals")
        return 1
    }

    /// `help(x)` as the `__call` of the help table (argument 1 is the table itself).
    static let call = LuaFunction("help", doc: help.doc) { L in
        L.remove(1)
        return try help.body(L)
    }

    static let search = LuaFunction("search", doc: """
        help.search(word) -> nothing
        Prints the bound functions whose name or documentation mentions word (ignoring case),
        each with the first line of its documentation.
        Example:
          help.search("rank")
        """) { L in
        try printText(L, Help.searchText(L, try L.checkString(1)))
    }

    static let help = LuaFunction("help", doc: """
        help([x]) -> nothing
        Prints the documentation of x: a function's signature, description and example; the
        functions of a module (help(tensor)); a tensor's methods (help(t)); or the binding
        named by a string (help("tensor.sum")). Without an argument, how to get started.
        help.search(word) lists the functions that mention a word.
        Example:
          help(tensor.zeros)
          help("sum")
        """) { L in
        try printText(L, Help.text(L, 1))
    }

    static let who = LuaFunction("who", doc: """
        who() -> nothing
        Prints the global variables you defined (not the standard library or Topiary's
        modules), each with its type, and dtype and shape for tensors.
        Example:
          x = tensor.zeros(2, 3)
          who()   --> x  tensor float32 [2, 3]
        """) { L in
        try printText(L, Who.text(L))
    }

    /// Writes `text` and a newline to the state's output sink.
    static func printText(_ L: Lua, _ text: String) throws -> Int {
        L.write(text + "\n")
        return 0
    }
}
