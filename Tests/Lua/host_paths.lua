-- File paths given to Topiary's file functions are refused, not rewritten, when they hold a
-- NUL byte (which would cut the path) or bytes that are not UTF-8 (which would turn into
-- U+FFFD and name another file). Lua's own io.open takes any bytes.
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
check.raises(function() x:save(raw) end, "path is not valid UTF-8")
check.raises(function() tensor.load(raw) end, "path is not valid UTF-8")
check.raises(function() data.cifar10{root = raw} end, "field 'root': path is not valid UTF-8")

-- Nothing was written under a rewritten name.
for _, name in ipairs({base .. "a%00b.npy", base .. "a", base .. "\239\191\189.npy"}) do
  assert(io.open(name) == nil, "no file " .. name)
end
-- io.open takes the raw bytes.
local f = assert(io.open(raw, "w")); f:write("raw"); f:close()
f = assert(io.open(raw)); assert(f:read("a") == "raw"); f:close()
os.remove(raw)
-- A UTF-8 path works.
x:save(base .. "é.npy")
check.same(tensor.load(base .. "é.npy"):totable(), {0, 1, 2})
os.remove(base .. "é.npy")
os.remove(base)
