-- help() and who() exist in scripts too (notebooks use them) and write to the output sink:
-- stdout under `topiary run`, not through the global `print` (replacing it changes nothing).
assert(getmetatable(help).__call, "help is a global (a callable table: help(x), help.search(word))")
assert(type(who) == "function", "who is a global")
assert(require("help") == help)

-- Run them in a child `topiary run` (the shell's parent is this process) and read its stdout.
local bin = io.popen("readlink /proc/$PPID/exe"):read("l")
assert(bin and bin ~= "", "found the topiary binary")
local script = os.tmpname()
local f = assert(io.open(script, "w"))
f:write([[
local real_print = print
print = function() error("help and who do not call print") end
weights = tensor.zeros(4, 3)
who()
real_print("--8<--")
help("tensor.zeros")
real_print("--8<--")
help(weights)
real_print("--8<--")
help()
]])
f:close()
local p = io.popen("'" .. bin .. "' run " .. script .. " 2>&1")
local out = p:read("a")
local ok = p:close()
os.remove(script)
assert(ok, out)
local lines = {}
for part in (out .. "--8<--\n"):gmatch("(.-)\n%-%-8<%-%-\n") do lines[#lines + 1] = part end
assert(#lines == 4, out)

-- `print` is the standard library's name, so who() leaves it out even when replaced.
assert(lines[1] == "weights  tensor float32 [4, 3]", lines[1])
assert(lines[2]:find("zeros", 1, true), lines[2])
assert(lines[3]:find("^tensor float32 %[4, 3%]\nMethods"), lines[3])
assert(lines[4]:find("help(x)", 1, true) and lines[4]:find("Modules: ", 1, true), lines[4])
-- `help` alone (as the REPL shows a value) says how to use it
assert(tostring(help):find("^help%(x%): the doc of x") and tostring(help):find("help.search(\"word\")", 1, true), tostring(help))
