import CLua
import LuaHost

/// The notebook's output sink: collects a cell's outputs in order. Consecutive stream
/// text of one kind joins into one output, as Jupyter shows it. Installed as the state's
/// `Lua.output`, it receives what Swift code writes (train.fit's epoch lines, `help`) and,
/// through the Lua functions it installs, `print`, `io.write`, `io.stdout:write`,
/// `io.stderr:write` and `warn`.
final class CellCapture: OutputSink {
    var outputs: [CellOutput] = []
    /// Called with each piece of output as it is produced (a live cell: the Jupyter kernel
    /// publishes streams while the cell runs).
    var live: ((CellOutput) -> Void)?

    /// Cell outputs are not a terminal: no progress bars.
    var isTerminal: Bool { false }

    func write(_ text: String, to stream: OutputChannel) {
        let kind: OutputKind
        switch stream {
        case .stdout: kind = .stdout
        case .stderr: kind = .stderr
        case .warning: kind = .warning
        }
        live?(CellOutput(kind: kind, text: text))
        if let last = outputs.last, last.kind == kind {
            outputs[outputs.count - 1].text += text
        } else {
            outputs.append(CellOutput(kind: kind, text: text))
        }
    }

    func add(_ output: CellOutput) {
        live?(output)
        outputs.append(output)
    }

    /// Makes this the interpreter's output sink and installs the capturing `print`,
    /// `io.write`, `io.stdout:write`, `io.stderr:write` and `warn`.
    func install(in interpreter: Interpreter) throws {
        let L = interpreter.lua
        L.setOutput(self)
        let base = L.top
        try interpreter.compile(CellCapture.prelude, name: "=notebook")
        L.push(CellCapture.emit)
        try interpreter.call(nargs: 1)
        L.setTop(base)
    }

    /// `emit(channel, text)`: writes to the state's output sink.
    static let emit = LuaFunction("emit") { L in
        let channel = try L.checkString(1), text = try L.checkString(2)
        L.write(text, to: OutputChannel(rawValue: channel) ?? .stdout)
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
