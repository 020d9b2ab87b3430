import CLua
import CLuaShim
import LuaHost
import Plot
import Tensor
import XCTest

/// `LuaCallback` and the error mapping of `dispatch`, through a small module:
/// `cb.keep(f)` keeps f, `cb.call(x)` calls it with x and returns its result,
/// `cb.drop()` releases it; `cb.fail(kind)` throws a Swift error of that kind.
final class CallbackModule {
    var kept: LuaCallback?
    var ownThread = false

    lazy var library = LuaLibrary(name: "cb") { [unowned self] L in
        L.newTable()
        L.push(LuaFunction("keep") { L in
            try L.checkFunction(1)
            self.ownThread = L.toBool(2)
            self.kept = LuaCallback(L, 1, what: "cb", ownThread: self.ownThread)
            return 0
        }); L.setField(-2, "keep")
        L.push(LuaFunction("call") { L in
            guard let f = self.kept else { throw LuaError.message("nothing kept") }
            let v = try f.call(on: self.ownThread ? nil : L, nresults: 1, { T in T.push(try L.checkNumber(1)); return 1 }) { T in
                T.toNumber(-1)
            }
            if let v { L.push(v) } else { L.pushNil() }
            return 1
        }); L.setField(-2, "call")
        L.push(LuaFunction("drop") { L in self.kept?.release(L); return 0 }); L.setField(-2, "drop")
        L.push(LuaFunction("forget") { _ in self.kept = nil; return 0 }); L.setField(-2, "forget")
        L.push(LuaFunction("fail") { L in
            switch try L.checkString(1) {
            case "tensor": throw TensorError("narrow: length 5 out of range")
            case "plot": throw PlotError("plot.line: x has 5 values, y has 6")
            case "lua": throw LuaError.argument(2, "number expected, got nil")
            default: throw CocoaError(.fileNoSuchFile)
            }
        }); L.setField(-2, "fail")
    }
}

final class LuaCallbackTests: XCTestCase {
    func testCallsOnTheCallersStackAndOnItsOwnThread() throws {
        for own in ["false", "true"] {
            let m = CallbackModule(), s = Session([m.library])
            XCTAssertEqual(try s.eval("local k = 3; cb.keep(function(x) return x * k end, \(own)); return cb.call(2), cb.call(5)"),
                           ["6.0", "15.0"], own)
        }
    }

    /// Item 9: error objects that are tables lose their fields through callbacks.
    func testATableErrorKeepsItsFields() throws {
        for own in ["false", "true"] {
            let m = CallbackModule(), s = Session([m.library])
            XCTAssertEqual(try s.eval("""
                cb.keep(function() error({code = 7, why = "bad"}) end, \(own))
                local ok, e = pcall(cb.call, 1)
                return ok, type(e), e.code, e.why
                """), ["false", "table", "7", "bad"], own)
            XCTAssertEqual(try s.eval("""
                cb.keep(function() error("plain", 0) end, \(own))
                return select(2, pcall(cb.call, 1))
                """), ["plain"], "a string error is raised unchanged")
        }
    }

    func testAReleasedCallbackIsAClearError() throws {
        let m = CallbackModule(), s = Session([m.library])
        try s.run("cb.keep(function() return 1 end); cb.drop()")
        let e = s.error("cb.call(1)")
        XCTAssertTrue(e.contains("cb: the Lua function is no longer available"), e)
    }

    /// A callback dropped without release() leaves its registry entry until the next
    /// callback is made; then the function can be collected.
    func testDeinitReleasesLater() throws {
        let m = CallbackModule(), s = Session([m.library])
        try s.run("""
            probe = setmetatable({}, {__mode = "k"})
            do local f = function() end; probe[f] = true; cb.keep(f) end
            collectgarbage()
            """)
        XCTAssertEqual(try s.eval("return next(probe) ~= nil"), ["true"], "kept while the callback lives")
        try s.run("cb.forget(); cb.keep(print); collectgarbage(); collectgarbage()")
        XCTAssertEqual(try s.eval("return next(probe) == nil"), ["true"], "released after the callback is gone")
    }

    func testAPendingInterruptStopsTheCall() throws {
        let m = CallbackModule(), s = Session([m.library])
        try s.run("called = false; cb.keep(function() called = true end)")
        topiary_interrupt(nil)
        defer { topiary_clear_interrupt() }
        let e = s.error("cb.call(1)")
        topiary_clear_interrupt()
        XCTAssertTrue(e.contains("interrupted!"), e)
        XCTAssertEqual(try s.eval("return called"), ["false"])
    }

    func testDispatchMapsEveryErrorType() {
        let m = CallbackModule(), s = Session([m.library])
        XCTAssertTrue(s.error("cb.fail('tensor')").hasPrefix("test:1: narrow: length 5 out of range"))
        XCTAssertTrue(s.error("cb.fail('plot')").hasPrefix("test:1: plot.line: x has 5 values, y has 6"))
        XCTAssertTrue(s.error("cb.fail('lua')").hasPrefix("test:1: bad argument #2 to 'fail' (number expected, got nil)"))
        XCTAssertTrue(s.error("cb.fail('other')").hasPrefix("test:1: fail: "))
    }

    /// train.fit's callbacks and loader transforms go through LuaCallback: table errors keep their fields.
    func testTableErrorsThroughTrainFitAndLoaderTransforms() throws {
        let s = Session()
        XCTAssertEqual(try s.eval("""
            local ds = data.tensor_dataset(tensor.randn(4, 1, 2, 2), tensor.zeros(4))
            local net = nn.Sequential{nn.Flatten(), nn.Linear(4, 2)}
            local ok, e = pcall(train.fit, net, data.loader(ds, {batch = 2}), {optimizer = train.sgd{lr = 0.1},
              progress = false, on_step = function() error({code = 7}) end})
            local t = data.loader(ds, {batch = 2, transform = function() error({code = 8}) end})
            local ok2, e2 = pcall(function() for _ in t:iter() do end end)
            return type(e), e.code, type(e2), e2.code
            """), ["table", "7", "table", "8"])
    }
}
