import LuaHost

/// Every Lua module Topiary opens in a new interpreter.
public enum Libraries {
    public static var all: [LuaLibrary] {
        [TensorModule.library, NNModule.library, DataModule.library, TrainModule.library, PlotModule.library,
         PruneModule.library, CriteriaModule.library, HelpLibrary.library, TopiaryModule.library,
         DistModule.library]
    }

    /// A new interpreter with all of Topiary's modules loaded.
    public static func makeInterpreter() -> Interpreter {
        Interpreter(libraries: all)
    }
}
