-- nn layers from Lua: construction, fields, forward values, backward against finite
-- differences, modes, printing.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(3)

-- Conv2d: fields and a hand-computed forward (all-ones 2x2 kernel sums windows).
local conv = nn.Conv2d(1, 1, 2, {bias = false})
assert(conv.type == "Conv2d" and conv.in_channels == 1 and conv.out_channels == 1)
check.same(conv.kernel_size, {2, 2})
check.same(conv.weight:shape(), {1, 1, 2, 2})
assert(conv.bias == nil)
conv.weight = tensor.ones(1, 1, 2, 2)
local x = tensor.new{{{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}}}
check.near(conv:forward(x), {{{{12, 16}, {24, 28}}}}, 1e-5, "conv windows")
check.same(nn.Conv2d(3, 8, 3, {stride = 2, padding = 1}):forward(tensor.randn(2, 3, 9, 9)):shape(), {2, 8, 5, 5})
check.same(nn.Conv2d(4, 8, {3, 1}, {padding = {1, 0}, groups = 2}):forward(tensor.randn(1, 4, 5, 5)):shape(), {1, 8, 5, 5})
check.same(nn.Conv2d(4, 4, 3, {dilation = 2, groups = 4}):forward(tensor.randn(1, 4, 7, 7)):shape(), {1, 4, 3, 3})
assert(tostring(nn.Conv2d(3, 16, 3, {padding = 1, bias = false})) ==
  "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)")

-- Finite-difference check of one input coordinate and one weight through Lua.
local function fd_check(m, input, what)
  local y = m:forward(input)
  local r = tensor.randn(table.unpack(y:shape()))
  m:zero_grad()
  local dx = m:backward(r)
  local function L() return (m:forward(input) * r):sum() end
  local eps = 1e-2
  local flat = input:view(-1)
  local i = math.floor(input:numel() / 2) + 1
  local old = flat[i]
  flat[i] = old + eps; local lp = L()
  flat[i] = old - eps; local lm = L()
  flat[i] = old
  check.near((lp - lm) / (2 * eps), dx:view(-1)[i], 2e-2 * math.max(1, math.abs(dx:view(-1)[i])), what .. " input grad")
  for _, p in ipairs(m:parameters()) do
    local v = p.value:view(-1)
    local j = math.floor(p.value:numel() / 3) + 1
    local o = v[j]
    v[j] = o + eps; local a = L()
    v[j] = o - eps; local b = L()
    v[j] = o
    local g = p.grad:view(-1)[j]
    check.near((a - b) / (2 * eps), g, 2e-2 * math.max(1, math.abs(g)), what .. " " .. p.name)
  end
end
fd_check(nn.Conv2d(2, 3, 3, {padding = 1, stride = 2}), tensor.randn(2, 2, 5, 5), "conv")
fd_check(nn.Linear(4, 3), tensor.randn(5, 4), "linear")
fd_check(nn.BatchNorm2d(3), tensor.randn(4, 3, 2, 2), "bn2d")
fd_check(nn.AvgPool2d(2), tensor.randn(1, 2, 4, 4), "avgpool")

-- Activations and pools: values.
check.near(nn.ReLU():forward(tensor.new{-1, 0.5, 7}), {0, 0.5, 7})
check.near(nn.ReLU6():forward(tensor.new{-1, 0.5, 7}), {0, 0.5, 6})
check.near(nn.LeakyReLU(0.1):forward(tensor.new{-2, 3}), {-0.2, 3})
check.near(nn.MaxPool2d(2):forward(tensor.new{{{{1, 5, 2, 0}, {3, 4, 8, 7}}}}), {{{{5, 8}}}})
check.near(nn.AdaptiveAvgPool2d(1):forward(tensor.new{{{{1, 2}, {3, 6}}}}), {{{{3}}}})
check.same(nn.MaxPool2d(3, {stride = 2, padding = 1}):forward(tensor.zeros(1, 1, 8, 8)):shape(), {1, 1, 4, 4})
check.same(nn.Flatten():forward(tensor.zeros(2, 3, 4, 5)):shape(), {2, 60})
check.same(nn.Flatten(3):forward(tensor.zeros(2, 3, 4, 5)):shape(), {2, 3, 20})
local relu = nn.ReLU()
relu:forward(tensor.new{-1, 2})
check.near(relu:backward(tensor.new{5, 5}), {0, 5})

-- BatchNorm: running statistics, modes.
local bn = nn.BatchNorm2d(1)
bn:forward(tensor.new{1, 2, 3, 4}:view(4, 1, 1, 1))
check.near(bn.running_mean, {0.25}, 1e-6)
check.near(bn.running_var, {0.9 + 0.1 * 5 / 3}, 1e-6)
assert(bn.num_batches_tracked:item() == 1 and bn.num_batches_tracked:dtype() == "int64")
bn:eval()
assert(bn.training == false)
local y = bn:forward(tensor.new{1}:view(1, 1, 1, 1))
check.near(y:view(-1)[1], (1 - 0.25) / math.sqrt(0.9 + 0.1 * 5 / 3 + 1e-5), 1e-5, "bn eval")
assert(nn.BatchNorm1d(4):forward(tensor.randn(3, 4)):dim() == 2)

-- Dropout: seeded masks, identity in eval mode.
local drop = nn.Dropout(0.5)
tensor.manual_seed(7); local a = drop:forward(tensor.ones(100))
tensor.manual_seed(7); local b = drop:forward(tensor.ones(100))
check.near(a, b, 0, "same seed, same mask")
local kept = (a:view(-1):max()) -- scaled by 2
check.near(kept, 2, 1e-6)
drop:eval()
check.near(drop:forward(tensor.ones(3)), {1, 1, 1})
check.near(nn.Identity():forward(tensor.new{1, 2}), {1, 2})

-- nn.no_grad(fn, ...): fn's results, activation caching off inside, the setting restored
-- afterwards (also after an error, which passes through unchanged).
local fc = nn.Linear(3, 2)
local y, extra = nn.no_grad(function(a, b) return fc:forward(a), b end, tensor.ones(1, 3), "x")
assert(extra == "x" and y:shape()[2] == 2)
check.raises(function() fc:backward(tensor.ones(1, 2)) end, "backward called without a forward pass (or with gradients disabled)")
assert(nn.set_grad_enabled(true) == true, "no_grad restores the setting")
nn.no_grad(function() assert(nn.set_grad_enabled(false) == false, "off inside no_grad") end)
local ok, e = pcall(nn.no_grad, function() error({code = 3}) end)
assert(not ok and type(e) == "table" and e.code == 3)
assert(nn.set_grad_enabled(true) == true, "restored after an error")
nn.set_grad_enabled(false)
nn.no_grad(function() end)
assert(nn.set_grad_enabled(true) == false, "no_grad restores an off setting as off")
check.raises(function() nn.no_grad(42) end, "no_grad' (function expected, got number)")
assert(select("#", nn.no_grad(function() return nil, nil end)) == 2)
-- the fused inference path it enables gives the plain path's outputs
local rnet = nn.zoo.resnet20{}
rnet:eval()
local x = tensor.randn(2, 3, 16, 16)
check.near(nn.no_grad(function() return rnet:forward(x) end), rnet:forward(x), 1e-4)
-- an empty plane has nothing to average: an error, not a NaN
local ap = nn.AdaptiveAvgPool2d(1)
check.raises(function() ap:forward(tensor.zeros(1, 2, 0, 0)) end, "adaptive_avg_pool2d: input 0x0 has no values to average")
check.raises(function() ap:forward(tensor.zeros(1, 2, 3, 0)) end, "input 3x0 has no values")
print("nn_layers ok")
