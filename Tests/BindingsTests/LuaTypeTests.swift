import CLua
@testable import LuaHost
import XCTest

/// A counter class bound with `LuaType`, as the doc comment at its definition shows.
final class Counter {
    var count = 0
    nonisolated(unsafe) static var alive = 0
    init() { Counter.alive += 1 }
    deinit { Counter.alive -= 1 }
}

enum CounterModule {
    static let type = LuaType<Counter>("counter")
    static let library = LuaLibrary(name: "counter") { L in
        type.register(L, methods: [
            type.method("add", doc: """
                c:add(n) -> c
                Adds n to the count.
                Example: c:add(2)
                """) { L, c in c.count += try L.checkInteger(2); L.setTop(1); return 1 },
        ], metamethods: [type.tostring { "counter \($0.count)" }],
           fields: LuaFields(names: { _ in ["count", "twice"] }) { L, c, key in
               switch key {
               case "count": L.push(c.count); return true
               case "twice": L.push(2 * c.count); return true
               default: return false
               }
           },
           items: { L, c in L.push(try L.checkInteger(2) * c.count); return 1 })
        L.newTable()
        L.push(LuaFunction("new", doc: "counter.new() -> c\nA new counter.\nExample: local c = counter.new()") { L in
            type.push(L, Counter()); return 1
        })
        L.setField(-2, "new")
    }
}

/// A type bound with methods only (no fields, no items).
final class Bare {}

enum BareModule {
    static let type = LuaType<Bare>("bare")
    static let library = LuaLibrary(name: "bare") { L in
        type.register(L, methods: [type.method("poke", doc: "b:poke() -> 1") { L, _ in L.push(1); return 1 }])
        L.newTable()
        L.push(LuaFunction("new", doc: "bare.new() -> b") { L in type.push(L, Bare()); return 1 })
        L.setField(-2, "new")
    }
}

final class LuaTypeTests: XCTestCase {
    func testMethodsFieldsItemsAndTostring() throws {
        let s = Session([CounterModule.library])
        XCTAssertEqual(try s.eval("local c = counter.new():add(2):add(3); return c.count, c.twice, c[10], tostring(c)"),
                       ["5", "10", "50", "counter 5"])
    }

    func testAMisspelledFieldNamesTheFieldsThatExist() {
        let s = Session([CounterModule.library])
        let e = s.error("local c = counter.new(); return c.cuont")
        XCTAssertTrue(e.contains("test:1: counter has no field 'cuont' (did you mean 'count'?); its fields are count, twice"), e)
    }

    /// A type bound without fields or items: methods read, anything else is an error naming
    /// the methods (it used to read as nil, so `ipairs(x)` silently ran no iteration).
    func testAnUnknownKeyOfATypeWithoutFieldsIsAnError() throws {
        let s = Session([CounterModule.library, BareModule.library])
        XCTAssertEqual(try s.eval("local b = bare.new(); return type(b.poke), b:poke()"), ["function", "1"])
        XCTAssertTrue(s.error("return bare.new().pokes").contains("bare has no field or method 'pokes' (did you mean 'poke'?); its methods are poke"))
        XCTAssertTrue(s.error("return bare.new().zzz").contains("bare has no field or method 'zzz'; its methods are poke"))
        XCTAssertTrue(s.error("for _ in ipairs(bare.new()) do end").contains("bare has no items: x[1] is not defined; its methods are poke"))
        XCTAssertTrue(s.error("return bare.new()[2.5]").contains("bare has no items: x[2.5] is not defined"))
        XCTAssertTrue(s.error("return bare.new()[true]").contains("bare has no items: x[boolean] is not defined"))
        // a type with items still answers x[i]; its unknown string keys are errors too
        XCTAssertEqual(try s.eval("local c = counter.new():add(2); return c[3]"), ["6"])
    }

    func testNameSuggestions() {
        let names = ["weight", "bias", "running_mean", "running_var", "conv1", "iter", "batches"]
        XCTAssertEqual(NameSuggestion.nearest("wieght", in: names), ["weight"])        // a swap is one edit
        XCTAssertEqual(NameSuggestion.nearest("running_vars", in: names), ["running_var"])
        XCTAssertEqual(NameSuggestion.nearest("running_men", in: names), ["running_mean"])
        XCTAssertEqual(NameSuggestion.nearest("conv2", in: names), [])                   // digits only: no suggestion
        XCTAssertEqual(NameSuggestion.nearest("xyz", in: names), [])
        XCTAssertEqual(NameSuggestion.nearest("bas", in: ["bias", "bass", "base"]), ["bias", "bass", "base"])
        XCTAssertEqual(NameSuggestion.hint("iterr", in: names), " (did you mean 'iter'?)")
        XCTAssertEqual(NameSuggestion.hint("qqq", in: names), "")
        XCTAssertEqual(NameSuggestion.distance(Array("kitten".utf8), Array("sitting".utf8), limit: 5), 3)
        XCTAssertEqual(NameSuggestion.distance(Array("abc".utf8), Array("abcdefgh".utf8), limit: 2), 3)   // past the limit
        XCTAssertEqual(NameSuggestion.distance([], Array("ab".utf8), limit: 2), 2)
    }

    func testAWrongSelfIsAnArgumentError() {
        let s = Session([CounterModule.library])
        let e = s.error("local c = counter.new(); c.add(3, 1)")
        XCTAssertTrue(e.contains("bad argument #1 to 'add' (counter expected, got number)"), e)
    }

    func testHelpAndCompletionSeeTheFields() throws {
        let s = Session([CounterModule.library])
        let text = try s.run("c = counter.new():add(4); help(c)")
        XCTAssertTrue(text.hasPrefix("counter\nFields (x.name):\n  count  number 4\n  twice  number 8\nMethods"), text)
        XCTAssertEqual(Completion.candidates(s.interp.lua, line: "c.tw").candidates, ["twice"])
    }

    func testGarbageAndCloseReleaseTheObject() throws {
        let s = Session([CounterModule.library])
        let before = Counter.alive
        try s.run("do local c = counter.new() end")
        s.interp.collectGarbage()
        XCTAssertEqual(Counter.alive, before)
        let e = s.error("local d = counter.new(); getmetatable(d).__close(d); d:add(1)")
        XCTAssertTrue(e.contains("counter was closed and can no longer be used"), e)
    }

    func testTheMethodsTableIsInTheRegistry() throws {
        let s = Session([CounterModule.library])
        let L = s.interp.lua
        XCTAssertEqual(L.rawField(clua_registryindex(), Lua.methodsKey("counter")), LUA_TTABLE)
        XCTAssertEqual(L.rawField(-1, "add"), LUA_TFUNCTION)
        L.pop(2)
    }

    /// Every Topiary type is registered through the one idiom: a methods table in the
    /// registry and a metatable whose __name is the type name.
    func testEveryTopiaryTypeIsRegistered() throws {
        let s = Session()
        let L = s.interp.lua
        for name in ["tensor", "nn.Module", "data.Dataset", "data.Loader", "data.Transform", "data.LoaderIterator",
                     "train.Optimizer", "train.Schedule", "plot"] {
            XCTAssertEqual(L.rawField(clua_registryindex(), Lua.methodsKey(name)), LUA_TTABLE, name)
            L.pop()
        }
    }
}
