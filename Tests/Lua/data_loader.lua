-- Loaders from Lua: batching, seeded shuffling per epoch, replay, drop_last, transforms
-- (native and Lua functions), the background thread, and bad options.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

-- 10 samples 1×2×2; sample i (0-based) is filled with i, label i.
local x = tensor.arange(10):view(10, 1, 1, 1):expand(10, 1, 2, 2):contiguous()
local y = tensor.arange(10)
local ds = data.tensor_dataset(x, y)

local function labels(loader, epoch)
  local out = {}
  for bx, by in loader:iter(epoch) do
    for i = 1, #by do
      assert(bx[i][1][1][1] == by[i], "inputs travel with their labels")
      out[#out + 1] = math.tointeger(by[i])
    end
  end
  return out
end

local plain = data.loader(ds, {batch = 4})
assert(#plain == 3 and plain:batches() == 3 and plain:samples() == 10)
check.same(labels(plain), {0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
local sizes = {}
for bx in plain:iter() do sizes[#sizes + 1] = bx:shape()[1] end
check.same(sizes, {4, 4, 2})
local dropped = data.loader(ds, {batch = 4, drop_last = true})
assert(#dropped == 2 and dropped:samples() == 8)

-- Seeded shuffling: a permutation per epoch, different across epochs, replayable.
local a = data.loader(ds, {batch = 3, shuffle = true, seed = 42})
local e1, e2 = labels(a), labels(a)                   -- epochs 1 and 2
local sorted = {table.unpack(e1)}
table.sort(sorted)
check.same(sorted, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
assert(table.concat(e1, ",") ~= table.concat(e2, ","), "each epoch reshuffles")
check.same(labels(a, 1), e1, "epoch 1 replays")
check.same(labels(a, 2), e2, "epoch 2 replays")
local b = data.loader(ds, {batch = 5, shuffle = true, seed = 42, background = false})
check.same(labels(b), e1, "same seed, same order, with or without the background thread")
tensor.manual_seed(7)
local s1 = labels(data.loader(ds, {batch = 3, shuffle = true}))
tensor.manual_seed(7)
check.same(labels(data.loader(ds, {batch = 3, shuffle = true})), s1, "the default seed follows tensor.manual_seed")

-- Native transforms on known inputs.
local img = tensor.new{{{{1, 2, 3}, {4, 5, 6}}}}      -- 1×1×2×3
local flipped = data.hflip{p = 1}(img)
check.near(flipped, {{{{3, 2, 1}, {6, 5, 4}}}})
check.near(data.normalize(2, 0.5)(img), {{{{-2, 0, 2}, {4, 6, 8}}}})
local crop = data.random_crop({2, 3}, {padding = 1})(img)
check.same(crop:shape(), {1, 1, 2, 3})
check.near(crop:sum() <= 21 and 1 or 0, 1)
local full = data.random_crop({4, 5}, {padding = 1})(img)
check.near(full, {{{{0, 0, 0, 0, 0}, {0, 1, 2, 3, 0}, {0, 4, 5, 6, 0}, {0, 0, 0, 0, 0}}}})
local composed = data.compose{data.hflip{p = 1}, data.normalize(1, 1)}
check.near(composed(img), {{{{2, 1, 0}, {5, 4, 3}}}})
assert(tostring(composed):find("compose{hflip{p = 1.0}, normalize", 1, true), tostring(composed))

-- Random transforms are the same with and without the background thread.
local aug = {data.random_crop(2, {padding = 1}), data.hflip(), data.normalize(0.5, 0.25)}
local bg = data.loader(ds, {batch = 3, shuffle = true, seed = 3, transform = aug})
local fg = data.loader(ds, {batch = 3, shuffle = true, seed = 3, transform = aug, background = false})
for epoch = 1, 2 do
  local got = {}
  for bx in bg:iter(epoch) do got[#got + 1] = bx end
  local i = 0
  for bx in fg:iter(epoch) do i = i + 1; check.near(got[i], bx, 0, "epoch " .. epoch .. " batch " .. i) end
  check.near(bg:batch(2, epoch), got[2], 0)
end

-- Lua functions as transforms get the whole batch (after the native ones before them).
local seen = 0
local lua_t = data.loader(ds, {batch = 5, transform = {data.normalize(0, 0.5), function(bx, by)
  seen = seen + 1
  return bx + 100, by * 2
end}})
for bx, by in lua_t:iter() do
  check.near(bx[1][1][1][1], by[1] + 100, 1e-5)   -- sample i: 2i + 100, label 2i
end
assert(seen == 2)
local broken = data.loader(ds, {batch = 5, transform = function() return 1 end})
check.raises(function() for _ in broken:iter() do end end, "loader transform: the function must return the batch tensor")
local raising = data.loader(ds, {batch = 5, transform = function() error("no luck") end})
check.raises(function() for _ in raising:iter() do end end, "no luck")
-- An abandoned epoch does not disturb the next one.
for _ in bg:iter(1) do break end
local again = {}
for bx in bg:iter(1) do again[#again + 1] = bx end
assert(#again == 4)

-- Bad options and transforms.
check.raises(function() data.loader(ds, {batch = 0}) end, "batch size must be at least 1")
check.raises(function() data.loader(ds, {bacth = 2}) end, "unknown option 'bacth'")
check.raises(function() data.loader(ds, {shuffle = "yes"}) end, "field 'shuffle': boolean expected, got string")
check.raises(function() data.loader(ds, {transform = 3}) end, "transform must be a data.Transform, a function or a list")
check.raises(function() data.loader({}, {}) end, "data.Dataset expected, got table")
check.raises(function() data.normalize({1, 2}, {1}) end, "mean has 2 values and std 1")
check.raises(function() data.normalize(0, 0) end, "std must be finite and non-zero")
check.raises(function() data.hflip{p = 2} end, "probability must be in [0, 1]")
check.raises(function() data.random_crop(0) end, "size must be a positive integer")
check.raises(function() data.random_crop(5, {padding = 1})(img) end, "larger than the padded image 4×5")
check.raises(function() data.normalize({1, 2}, {1, 1})(img) end, "2 means for a batch with 1 channels")
check.raises(function() plain:batch(4) end, "batch 4 out of range (loader has 3)")
check.raises(function() plain:iter(0) end, "epoch must be at least 1")

-- An error in a transform says it came from the loader's transform.
do
  local ds = data.tensor_dataset(tensor.randn(4, 3, 8, 8), tensor.zeros(4):long())
  local l = data.loader(ds, {batch = 2, transform = function(x, y) error("bad crop") end})
  local e = check.raises(function() for x in l:iter() do end end, "loader transform: ")
  assert(e:find("bad crop", 1, true), e)
end
