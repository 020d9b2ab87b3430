-- Loader transforms that iterate loaders whose transforms iterate loaders... end in a Lua
-- error, as deep recursion through pcall does, never in a C stack overflow (SIGSEGV at
-- about 4,500 levels while every transform ran on a fresh Lua thread of its own).
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
local ds = data.tensor_dataset(tensor.randn(4, 1, 2, 2), tensor.zeros(4))

-- In a child `topiary run`: a crash must not end this script.
local file = os.tmpname()
local f = assert(io.open(file, "w"))
f:write([[
local ds = data.tensor_dataset(tensor.randn(4, 1, 2, 2), tensor.zeros(4))
local tf; tf = function(x, y)
  for a in data.loader(ds, {batch = 2, transform = {tf}}):iter() do end; return x, y end
print(pcall(function() for x in data.loader(ds, {batch = 2, transform = {tf}}):iter() do end end))
print("still here")
]])
f:close()
local p = assert(io.popen(string.format("%q run %q 2>&1", arg[-1], file)))
local out = p:read("a")
local ok, how, status = p:close()
os.remove(file)
assert(ok and how == "exit" and status == 0, "nested transforms: " .. tostring(how) .. " " .. tostring(status) .. "\n" .. out)
assert(out:find("^false\t") and out:find("stack overflow", 1, true) and out:find("still here", 1, true), out)

-- A bounded nesting still works, and the error leaves later loaders usable.
local depth = 0
local function nest(levels)
  local tf = function(x, y)
    depth = depth + 1
    if levels > 1 then for _ in nest(levels - 1):iter() do end end
    return x, y
  end
  return data.loader(ds, {batch = 4, transform = {tf}})
end
for _ in nest(20):iter() do end
assert(depth == 20, "twenty nested loaders ran their transforms")
local n = 0
for x in data.loader(ds, {batch = 2, transform = {function(x, y) n = n + 1; return x * 2 end}}):iter() do
  check.same(x:shape(), {2, 1, 2, 2})
end
assert(n == 2)
print("data_transform_nesting: ok")
