import CLua
import LuaHost
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

final class LuaTypeTests: XCTestCase {
    func testMethodsFieldsItemsAndTostring() throws {
        let s = Session([CounterModule.library])
        XCTAssertEqual(try s.eval("local c = counter.new():add(2):add(3); return c.count, c.twice, c[10], tostring(c)"),
                       ["5", "10", "50", "counter 5"])
    }

    func testAMisspelledFieldNamesTheFieldsThatExist() {
        let s = Session([CounterModule.library])
        let e = s.error("local c = counter.new(); return c.cuont")
        XCTAssertTrue(e.contains("test:1: counter has no field 'cuont'; its fields are count, twice"), e)
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
