-- File paths given to Topiary's file functions are passed to the system as the bytes they
-- are, like Lua's own io.open: a name that is not UTF-8 opens exactly that file (never one
-- whose invalid bytes became U+FFFD). A NUL byte, which would cut the path, is refused.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

local base = os.tmpname()          -- a fresh file name in the temporary directory
local x = tensor.arange(3)
local net = nn.Sequential{nn.Linear(2, 2)}
local p = plot.line({1, 2, 3})

for _, bad in ipairs({base .. "a\0b.npy", base .. "\0"}) do
  check.raises(function() x:save(bad) end, "path contains a NUL byte")
  check.raises(function() tensor.load(bad) end, "path contains a NUL byte")
  check.raises(function() tensor.save_safetensors(bad, {x = x}) end, "path contains a NUL byte")
  check.raises(function() tensor.load_safetensors(bad) end, "path contains a NUL byte")
  check.raises(function() net:save(bad) end, "path contains a NUL byte")
  check.raises(function() nn.load(bad) end, "path contains a NUL byte")
  check.raises(function() p:save(bad) end, "path contains a NUL byte")
  check.raises(function() data.mnist{root = bad} end, "field 'root': path contains a NUL byte")
end
local err = check.raises(function() x:save(base .. "a\0b.npy") end, "bad argument #1 to 'save'")
assert(err:find("(at byte " .. (#base + 2) .. ")", 1, true), err)

local raw = base .. "\255.npy"
-- Written by Topiary, read back by io.open and by Topiary, under exactly those bytes.
x:save(raw)
local f = assert(io.open(raw, "rb")); assert(f:read(6) == "\147NUMPY"); f:close()
check.same(tensor.load(raw):totable(), {0, 1, 2})
-- Two names that differ only in invalid bytes stay two files.
local other = base .. "\254.npy"
tensor.arange(5):save(other)
check.same(tensor.load(raw):totable(), {0, 1, 2})
check.same(tensor.load(other):totable(), {0, 1, 2, 3, 4})
os.remove(other)
-- A file made by io.open under raw bytes is found by Topiary's readers.
local st = base .. "\xe9t\xe9.safetensors"
tensor.save_safetensors(st, {w = x})
check.same(tensor.load_safetensors(st).w:totable(), {0, 1, 2})
net:save(base .. "\200net.safetensors")
assert((nn.load(base .. "\200net.safetensors")[1].weight - net[1].weight):abs():max() == 0)
os.remove(base .. "\200net.safetensors"); os.remove(st)
local svg = base .. "\193.svg"
p:save(svg)
f = assert(io.open(svg)); assert(f:read("a"):find("<svg", 1, true)); f:close(); os.remove(svg)
-- Messages show the invalid bytes escaped, so two names never print alike.
os.remove(raw)
local e1 = check.raises(function() tensor.load(raw) end, "no such file")
assert(e1:find("\\xFF.npy", 1, true), e1)
check.raises(function() data.cifar10{root = base .. "\255dir"} end, "\\xFFdir")

-- Nothing was written under a rewritten name.
for _, name in ipairs({base .. "a%00b.npy", base .. "a", base .. "\239\191\189.npy"}) do
  assert(io.open(name) == nil, "no file " .. name)
end
-- A UTF-8 path works.
x:save(base .. "é.npy")
check.same(tensor.load(base .. "é.npy"):totable(), {0, 1, 2})
os.remove(base .. "é.npy")
os.remove(base)
