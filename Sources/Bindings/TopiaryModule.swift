import Foundation
import LuaHost

/// The `topiary` Lua module: facts about the host itself. A wall-clock timer, since Lua's
/// `os.clock` measures CPU time (of all threads: it runs fast while native kernels use both
/// cores) and `os.time` counts whole seconds; and `report`, also a global, which records a
/// run's results for `topiary sweep collect`.
public enum TopiaryModule {
    public static let library = LuaLibrary(name: "topiary") { L in
        L.newTable()
        for f in functions { L.push(f); L.setField(-2, f.name) }
        L.push(report); L.setGlobal("report")
    }

    static let functions: [LuaFunction] = [clock, report, cacheDir]

    static let clock = LuaFunction("clock", doc: """
        topiary.clock() -> seconds
        Wall-clock seconds (a float, nanosecond resolution) from a monotonic clock that
        starts at an arbitrary point: use differences to time code, whatever threads it runs on.
        Example:
          local t = topiary.clock(); local x = tensor.randn(256, 256):matmul(tensor.randn(256, 256)); print(topiary.clock() - t)
        """) { L in
        L.push(Double(DispatchTime.now().uptimeNanoseconds) / 1e9)
        return 1
    }
}
