-- help() and who() exist in scripts too (notebooks use them) and print through `print`.
assert(getmetatable(help).__call, "help is a global (a callable table: help(x), help.search(word))")
assert(type(who) == "function", "who is a global")
assert(require("help") == help)

local lines, real_print = {}, print
print = function(s) lines[#lines + 1] = s end
weights = tensor.zeros(4, 3)
who()
help("tensor.zeros")
help(weights)
help()
print = real_print

-- `print` is the standard library's name, so who() leaves it out even when replaced.
assert(lines[1] == "weights  tensor float32 [4, 3]", lines[1])
assert(lines[2]:find("zeros", 1, true), lines[2])
assert(lines[3]:find("^tensor float32 %[4, 3%]\nMethods"), lines[3])
assert(lines[4]:find("help(x)", 1, true) and lines[4]:find("Modules: ", 1, true), lines[4])
