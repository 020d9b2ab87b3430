-- Hostile sizes and shapes for nn: layers past the tensor limits, cyclic and too deeply
-- nested containers are Lua errors, never an abort or a stack overflow.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

-- Layer sizes past the tensor limits (these aborted, or wrote out of bounds in Init.uniform).
check.raises(function() nn.Linear(2^40, 2) end, "Linear: shape [2, 1099511627776] is too large")
check.raises(function() nn.Linear(100000, 100000) end, "Linear: shape [100000, 100000] is too large")
check.raises(function() nn.Linear(math.maxinteger, 2) end, "Linear: shape [2, 9223372036854775807] is too large")
check.raises(function() nn.Conv2d(65536, 65536, 3) end, "Conv2d: shape [65536, 65536, 3, 3] is too large")
check.raises(function() nn.Conv2d(1, 1, 2^31) end, "Conv2d: shape [1, 1, 2147483648, 2147483648] is too large")
check.raises(function() nn.Conv2d(1, 1, {2^40, 4}) end, "too large")
check.raises(function() nn.BatchNorm2d(4e12) end, "BatchNorm: shape [4000000000000] is too large")
check.raises(function() nn.BatchNorm1d(math.maxinteger) end, "too large")
-- The process lives on and ordinary layers still work.
check.same(nn.Linear(3, 2).weight:shape(), {2, 3})
check.same(nn.BatchNorm2d(5).running_var:shape(), {5})

-- A module cannot contain itself, directly or through a Residual / Concat.
local s = nn.Sequential{nn.ReLU()}
check.raises(function() s:add(s) end, "Sequential: a module cannot contain itself")
local r = nn.Residual(s)
check.raises(function() s:add(r) end, "a module cannot contain itself")
local outer = nn.Sequential{nn.Concat{r}}
check.raises(function() s:add(outer) end, "a module cannot contain itself")
check.same(s:forward(tensor.ones(2)):shape(), {2})          -- still usable, unchanged
assert(#s:children() == 1 and tostring(s):find("ReLU"))
local shared = nn.Sequential{r, r}                          -- sharing a module is not a cycle
check.same(shared:forward(tensor.ones(2)):shape(), {2})

-- Nesting depth is bounded (128 levels) however the tree is built, so forward,
-- printing, spec, save and the garbage collector never run out of stack.
local deep = nn.ReLU()
for _ = 1, 128 do deep = nn.Sequential{deep} end
check.raises(function() nn.Sequential{deep} end, "nested more than 128 levels deep")
check.raises(function() nn.Sequential():add(deep) end, "nested more than 128 levels deep")
check.raises(function() nn.Residual(deep) end, "nested more than 128 levels deep")
check.raises(function() nn.Concat{deep} end, "nested more than 128 levels deep")
check.same(deep:forward(tensor.ones(3)):shape(), {3})
local t0 = os.clock()
local text = tostring(deep)
assert(os.clock() - t0 < 1, "tostring of a 128-level tree took " .. (os.clock() - t0) .. " s")
assert(select(2, text:gsub("\n", "")) == 256, "one line per level, opening and closing")
assert(#deep:parameters() == 0)
local spec = deep:spec()
local rebuilt = nn.from_spec(spec)
assert(tostring(rebuilt) == text)
local dir = os.tmpname(); os.remove(dir); os.execute("mkdir -p " .. dir)
deep:save(dir .. "/deep.safetensors")
assert(tostring(nn.load(dir .. "/deep.safetensors")) == text)
-- Top-down: the parents above count too.
local root = nn.Sequential()
local cur = root
for _ = 1, 127 do local n = nn.Sequential(); cur:add(n); cur = n end
check.raises(function() cur:add(nn.Sequential{nn.ReLU()}) end, "nested more than 128 levels deep")
cur:add(nn.ReLU())
check.raises(function() nn.Sequential{root} end, "nested more than 128 levels deep")
-- A description nested deeper than the limit is refused before it is built.
local json = string.rep('{"class":"Sequential","type":"Sequential","children":[["0",', 3000) .. '{"class":"ReLU","type":"ReLU"}' .. string.rep("]]}", 3000)
check.raises(function() nn.from_spec(json) end, "nested more than 128 modules deep")
-- tostring is linear in its output: 128 levels of 8 layers each print quickly.
local wide = nn.Sequential{nn.ReLU(), nn.ReLU(), nn.ReLU(), nn.ReLU()}
for _ = 1, 127 do wide = nn.Sequential{wide, nn.ReLU(), nn.ReLU(), nn.ReLU()} end
t0 = os.clock()
for _ = 1, 10 do text = tostring(wide) end
assert(os.clock() - t0 < 2, "tostring x10 took " .. (os.clock() - t0) .. " s")
deep, root, cur, rebuilt, wide = nil, nil, nil, nil, nil
collectgarbage(); collectgarbage()
os.execute("rm -rf " .. dir)
