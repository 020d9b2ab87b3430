-- Numbers that came out wrong: NaN/Inf in std/var, int64 values through float32,
-- arange at the integer limits and in the wrong direction, empty tensors, many dims.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
local function isnan(v) return v ~= v end

-- std / var keep NaN and Inf (torch gives nan), on every reduction path.
assert(isnan(tensor.new{1, 0/0}:std()), "std with NaN")
assert(isnan(tensor.new{1, 0/0}:var()), "var with NaN")
assert(isnan(tensor.new{1, 1/0}:std()), "std with Inf")
assert(isnan(tensor.new{{1, 0/0}, {1, 2}}:std(2)[1]))
assert(not isnan(tensor.new{{1, 0/0}, {1, 2}}:std(2)[2]))
assert(isnan(tensor.new{{1, 0/0}, {1, 2}}:var(1)[2]))
local big = tensor.randn(4, 3, 5, 5); big[2][1][3][3] = 0/0
assert(isnan(big:var{3, 4}[2][1]) and not isnan(big:var{3, 4}[1][1]))
assert(isnan(big:std{1, 3, 4}[1]) and not isnan(big:std{1, 3, 4}[2]))
check.near(tensor.new{1, 2, 3, 4}:std(), 1.2909944, 1e-6)

-- int64 values are exact: assignment, indexing, sums, running sums, arithmetic.
local i = tensor.zeros(3):long()
i[1] = 16777217
assert(i[1] == 16777217 and math.type(i[1]) == "integer", "int64 assignment through float32")
i[2] = math.maxinteger - 1; i[3] = 1
assert(i[2] == math.maxinteger - 1)
local t = i:totable()
assert(math.type(t[1]) == "integer" and t[1] == 16777217 and t[2] == math.maxinteger - 1, "int64 totable")
local j = tensor.new{16777217, 1, 2}:long()    -- through float32 on the way in: 16777216
j[1] = 16777217
assert(j:sum() == 16777220 and math.type(j:sum()) == "integer", "int64 sum is exact")
assert(j:sum(1):item() == 16777220 and math.type(j:sum(1):item()) == "integer" and j:sum(1):dtype() == "int64")
local c = j:cumsum(1)
assert(c:dtype() == "int64" and c[1] == 16777217 and c[3] == 16777220, "int64 cumsum is exact")
local p = j + 1
assert(p:dtype() == "int64" and p[1] == 16777218, "int64 + integer stays int64")
assert((1 + j):dtype() == "int64" and (j - 1)[1] == 16777216 and (j * 2)[1] == 33554434)
assert((j + j):dtype() == "int64" and (j + j)[1] == 33554434)
assert((j + 0.5):dtype() == "float32", "int64 + float is float32, as torch")
assert((j / 2):dtype() == "float32", "true division is float32")
assert((j + tensor.ones(3)):dtype() == "float32")
local m2 = tensor.new{{1, 2}, {3, 4}}:long()
check.same(m2:sum(2):totable(), {3, 7})
check.same((m2 + tensor.new{10, 20}:long()):totable()[2], {13, 24})
assert(tensor.zeros(2, 3):float():totable()[1][1] == 0.0)

-- arange: exact counts for integers, and a wrong-signed step is an error (as torch).
check.same(tensor.arange(math.maxinteger - 2, math.maxinteger):shape(), {2})
check.raises(function() tensor.arange(0, 5, -1) end, "arange: step -1 has the wrong sign")
check.raises(function() tensor.arange(5, 0) end, "wrong sign")
check.raises(function() tensor.arange(0, 1, -0.25) end, "wrong sign")
check.same(tensor.arange(3, 3):shape(), {0})
check.near(tensor.arange(0, 1, 0.25), {0, 0.25, 0.5, 0.75})
check.near(tensor.arange(5, 0, -2), {5, 3, 1})

-- Empty tensors are contiguous: views work.
check.same(tensor.zeros(3, 0, 4):view(-1):shape(), {0})
check.same(tensor.zeros(3, 0, 4):view(0, 7):shape(), {0, 7})
check.same(tensor.zeros(3, 4):narrow(1, 2, 0):view(-1):shape(), {0})

-- Dimensions are capped at 64 everywhere; converters handle all 64.
local s = {}
for k = 1, 64 do s[k] = 1 end
local d64 = tensor.ones(s)
local tt = d64:totable()
for _ = 1, 63 do tt = tt[1] end
assert(tt[1] == 1)
assert(#tostring(d64) > 0)
s[65] = 1
check.raises(function() tensor.ones(s) end, "too many dimensions (65; at most 64)")
check.raises(function() d64:view(s) end, "too many dimensions")
check.raises(function() d64:unsqueeze(1) end, "too many dimensions")
local dir = os.tmpname()
d64:save(dir .. ".npy")
check.same(tensor.load(dir .. ".npy"):shape(), d64:shape())
tensor.save_safetensors(dir .. ".safetensors", {x = d64})
check.same(tensor.load_safetensors(dir .. ".safetensors").x:shape(), d64:shape())
os.remove(dir .. ".npy"); os.remove(dir .. ".safetensors"); os.remove(dir)

-- Allocation limits: a request past the storage bound is an error, not an abort.
check.raises(function() tensor.zeros(2^31, 2^31) end, "too large")
