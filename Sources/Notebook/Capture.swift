import CLua
import LuaHost

/// Collects a cell's outputs in order. Consecutive stream text of one kind joins into one
/// output, as Jupyter shows it.
final class OutputSink {
    var outputs: [CellOutput] = []

    func stream(_ kind: OutputKind, _ text: String) {
        if let last = outputs.last, last.kind == kind, kind == .stdout || kind == .stderr || kind == .warning {
            outputs[outputs.count - 1].text += text
        } else {
            outputs.append(CellOutput(kind: kind, text: text))
        }
    }

    func add(_ output: CellOutput) { outputs.append(output) }

    static let typeName = "topiary.notebook.sink"

    /// Installs the capturing `print`, `io.write`, `io.stdout:write`, `io.stderr:write` and
    /// `warn` in `interpreter`, all writing to this sink.
    func install(in interpreter: Interpreter) throws {
        let L = interpreter.lua
        L.pushObject(self, as: OutputSink.typeName)
        L.setField(clua_registryindex(), OutputSink.typeName)
        let base = L.top
        try interpreter.compile(OutputSink.prelude, name: "=notebook")
        L.push(OutputSink.emit)
        try interpreter.call(nargs: 1)
        L.setTop(base)
    }

    /// `emit(kind, text)`: appends to the sink registered in the state.
    static let emit = LuaFunction("emit") { L in
        let kind = try L.checkString(1), text = try L.checkString(2)
        L.rawField(clua_registryindex(), typeName)
        let sink = (try? L.object(-1, of: typeName)) as? OutputSink
        L.pop()
        sink?.stream(OutputKind(rawValue: kind) ?? .stdout, text)
        return 0
    }

    /// Lua side of the capture. Numbers are written as `io.write` writes them (%d or %.14g).
    static let prelude = #"""
    local emit = ...
    local select, tostring, type, concat, format, mtype = select, tostring, type, table.concat, string.format, math.type

    function print(...)
      local parts = {}
      for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
      emit("stdout", concat(parts, "\t") .. "\n")
    end

    local function writer(stream)
      return function(level, ...)
        for i = 1, select("#", ...) do
          local v = select(i, ...)
          if type(v) == "string" then emit(stream, v)
          elseif type(v) == "number" then emit(stream, mtype(v) == "integer" and format("%d", v) or format("%.14g", v))
          else error(format("bad argument #%d to 'write' (string expected, got %s)", i, type(v)), level) end
        end
      end
    end
    local out, err = writer("stdout"), writer("stderr")

    function io.write(...)
      out(3, ...)
      return io.stdout
    end

    local methods = getmetatable(io.stdout).__index
    local rawwrite = methods.write
    methods.write = function(f, ...)
      if f == io.stdout then out(3, ...) return f end
      if f == io.stderr then err(3, ...) return f end
      return rawwrite(f, ...)
    end

    function warn(...)
      local n = select("#", ...)
      if n == 0 then error("bad argument #1 to 'warn' (string expected, got no value)", 2) end
      for i = 1, n do
        if type((select(i, ...))) ~= "string" then
          error(format("bad argument #%d to 'warn' (string expected, got %s)", i, type((select(i, ...)))), 2)
        end
      end
      local msg = concat({...})
      if n == 1 and msg:sub(1, 1) == "@" then return end   -- control messages (@on, @off)
      emit("warning", msg .. "\n")
    end
    """#
}
