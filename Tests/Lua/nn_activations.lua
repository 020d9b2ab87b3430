-- The activation family (Sigmoid, Tanh, SiLU, GELU, ELU, Hardswish, Hardsigmoid) from Lua:
-- values from their definitions, a whole net swapped to each one pruned exactly (surgery equal
-- to the masked net, even where f(0) ≠ 0), counted, saved and reloaded, scored by a gradient
-- criterion; bad options are errors that name them.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(5)

-- Values at a few points, written out from the definitions.
local v = tensor.new{-1, 0, 1, 2}
local function sig(x) return 1 / (1 + math.exp(-x)) end
local function erf(x)   -- Abramowitz & Stegun 7.1.26 is not exact enough here: a series
  local s, term, n = 0, x, 0
  repeat s = s + term / (2 * n + 1); n = n + 1; term = -term * x * x / n until math.abs(term) < 1e-17
  return 2 / math.sqrt(math.pi) * s
end
local function want(f) local t = {} for i, x in ipairs{-1, 0, 1, 2} do t[i] = f(x) end return tensor.new(t) end
local k = math.sqrt(2 / math.pi)
local cases = {
  {nn.Sigmoid(), sig},
  {nn.Tanh(), function(x) return (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1) end},
  {nn.SiLU(), function(x) return x * sig(x) end},
  {nn.GELU(), function(x) return 0.5 * x * (1 + erf(x / math.sqrt(2))) end},
  {nn.GELU{approximate = "tanh"}, function(x)
    local u = k * (x + 0.044715 * x ^ 3)
    return 0.5 * x * (1 + (math.exp(2 * u) - 1) / (math.exp(2 * u) + 1))
  end},
  {nn.ELU(0.5), function(x) return x > 0 and x or 0.5 * (math.exp(x) - 1) end},
  {nn.Hardswish(), function(x) return x * math.min(math.max(x + 3, 0), 6) / 6 end},
  {nn.Hardsigmoid(), function(x) return math.min(math.max(x + 3, 0), 6) / 6 end},
}
for _, c in ipairs(cases) do
  check.near(c[1]:forward(v), want(c[2]), 2e-6, c[1].type .. " values")
end
check.same(nn.GELU{approximate = "tanh"}.approximate, "tanh")
check.same(nn.GELU().approximate, "none")
check.near(nn.ELU(0.5).alpha, 0.5, 0, "ELU's alpha reads back")

-- A small CNN with BatchNorms between convs and each activation: pruned by L1 it computes
-- what the masked full net computes (Sigmoid and Hardsigmoid give 0.5 on a silent channel:
-- the mask zeroes the next layer's weights on it), counts fewer MACs, and reloads.
local function cnn(act)
  tensor.manual_seed(7)
  local net = nn.Sequential{
    {"conv1", nn.Conv2d(3, 12, 3, {padding = 1})}, {"bn1", nn.BatchNorm2d(12)}, {"act1", act()},
    {"conv2", nn.Conv2d(12, 16, 3, {padding = 1, stride = 2})}, {"bn2", nn.BatchNorm2d(16)}, {"act2", act()},
    {"pool", nn.AdaptiveAvgPool2d(1)}, {"flatten", nn.Flatten()}, {"fc", nn.Linear(16, 5)}}
  net:train()
  for _ = 1, 3 do net:forward(tensor.randn(8, 3, 8, 8)) end   -- running statistics that are not 0 and 1
  net:eval()
  return net
end
local x = tensor.randn(4, 3, 8, 8)
local dir = os.tmpname(); os.remove(dir); os.execute("mkdir -p " .. dir)
for _, act in ipairs{nn.Sigmoid, nn.Tanh, nn.SiLU, nn.GELU, nn.ELU, nn.Hardswish, nn.Hardsigmoid} do
  local net = cnn(act)
  local name = net:get("act1").type
  local before = net:flops{1, 3, 8, 8}.macs
  local masked = net:clone()
  prune.plan(masked, {criterion = "l1", ratio = 0.5, input = {1, 3, 8, 8}}):mask()
  local plan = prune.plan(net, {criterion = "l1", ratio = 0.5, input = {1, 3, 8, 8}})
  plan:apply()
  local y = net:forward(x)
  check.near(masked:forward(x), y, 1e-5, name .. ": the masked net computes what the pruned one does")
  assert(net:flops{1, 3, 8, 8}.macs < before, name .. ": fewer MACs after pruning")
  local path = dir .. "/" .. name .. ".safetensors"
  net:save(path)
  local back = nn.load(path)
  back:eval()
  check.near(back:forward(x), y, 0, name .. ": saved and reloaded")
end

-- A zoo net swapped to SiLU trains a step and takes a gradient criterion.
local r = nn.zoo.resnet20{classes = 10}
local _, swapped = nn.swap(r, function(_, m) if m.type == "ReLU" then return nn.SiLU() end end)
assert(#swapped > 0, "nn.swap replaced the ReLUs")
for _, e in ipairs(r:named_modules()) do assert(e.module.type ~= "ReLU", "no ReLU left at " .. e.name) end
local xs, ys = tensor.randn(16, 3, 32, 32), tensor.new{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5}:long()
local loader = data.loader(data.tensor_dataset(xs, ys), {batch = 8})
local scores = criteria.score(r, "taylor", {calib = loader, input = {1, 3, 32, 32}, batches = 2})
local groups = 0
for _, s in pairs(scores) do
  if type(s) == "userdata" then groups = groups + 1; assert(s:abs():max() > 0, "taylor scores through SiLU") end
end
assert(groups > 0)
local plan = prune.plan(r, {criterion = "taylor", ratio = 0.3, calib = loader, batches = 2, input = {1, 3, 32, 32}})
plan:apply()
train.fit(r, loader, {epochs = 1, optimizer = train.sgd{lr = 0.01}, log = false})

-- APoZ counts zeros: after SiLU (or GELU, ELU, Sigmoid, …) there are none, so it skips the
-- groups and says why; after Hardswish, whose output is 0 below −3, it scores them.
local calib = tensor.randn(16, 3, 8, 8)
check.raises(function() criteria.score(cnn(nn.SiLU), "apoz", {calib = calib, input = {1, 3, 8, 8}}) end,
             "its activation SiLU (maps at act1) outputs no zeros")
check.raises(function() prune.plan(cnn(nn.GELU), {criterion = "apoz", ratio = 0.5, calib = calib, input = {1, 3, 8, 8}}) end,
             "outputs no zeros")
local hs = criteria.score(cnn(nn.Hardswish), "apoz", {calib = calib, input = {1, 3, 8, 8}})
check.same(type(hs.conv1), "userdata")

-- Bad options: clear errors, and the process lives on.
check.raises(function() nn.GELU{approximate = "fast"} end, 'approximate must be "none" or "tanh"')
check.raises(function() nn.GELU{approx = "tanh"} end, "approx")
check.raises(function() nn.ELU("x") end, "number expected")
check.raises(function() nn.ELU(0 / 0) end, "alpha must be a finite number")
check.raises(function() nn.Sigmoid():backward(tensor.ones(3)) end, "forward")
os.execute("rm -rf " .. dir)
print("nn_activations ok")
