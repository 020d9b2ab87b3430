-- A training loop written in Lua (opt:step(params, grads)) keeps its momentum through
-- pruning: plan:apply(opt) and prune.apply(..., {optimizer = opt}) slice the state of the
-- stepped tensors with the weights, and the new tensors carry it on.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(6)

local lr, mu = 0.1, 0.9
local function net()
  tensor.manual_seed(6)
  return nn.Sequential{{"conv1", nn.Conv2d(3, 8, 3, {padding = 1, bias = false})}, {"bn1", nn.BatchNorm2d(8)},
    {"relu1", nn.ReLU()}, {"conv2", nn.Conv2d(8, 4, 3, {padding = 1, bias = false})}, {"bn2", nn.BatchNorm2d(4)},
    {"relu2", nn.ReLU()}, {"pool", nn.AdaptiveAvgPool2d(1)}, {"flatten", nn.Flatten()}, {"fc", nn.Linear(4, 2)}}
end
local function values(m) local v = {} for _, p in ipairs(m:parameters()) do v[#v + 1] = p.value end return v end

for _, how in ipairs{"plan", "prune.apply"} do
  local m = net()
  local opt = train.sgd{lr = lr, momentum = mu}
  -- one step with known gradients: the momentum buffer is g0
  local g0 = {}
  for i, v in ipairs(values(m)) do g0[i] = tensor.randn(v:shape()) end
  opt:step(values(m), g0)
  local kept = {1, 3, 4, 6, 8}
  if how == "plan" then
    local plan = prune.plan(m, {criterion = "l1", ratios = {conv1 = 0.375}, input = {1, 3, 8, 8}})
    kept = plan.kept["conv1"]
    plan:apply(opt)
  else
    prune.apply(m, {conv1 = kept}, {input = {1, 3, 8, 8}, optimizer = opt})
  end
  local idx = tensor.new(kept):long()
  local w1 = m:get("conv1").weight:clone(); local w2 = m:get("conv2").weight:clone()
  -- a step with zero gradients moves each weight by −lr·μ·buf: the sliced g0
  local zeros = {}
  for i, v in ipairs(values(m)) do zeros[i] = tensor.zeros(v:shape()) end
  opt:step(values(m), zeros)
  check.near(m:get("conv1").weight - w1, g0[1]:index_select(1, idx) * (-lr * mu), 1e-6, how .. ": conv1 (output channels) kept its momentum")
  check.near(m:get("conv2").weight - w2, g0[4]:index_select(2, idx) * (-lr * mu), 1e-6, how .. ": conv2 (input channels) kept its momentum")
end

-- Without the optimizer the state does not follow (it is keyed by the old tensors): the same
-- zero-gradient step then moves nothing, which is why apply takes the optimizer.
local m = net()
local opt = train.sgd{lr = lr, momentum = mu}
local g = {}
for i, v in ipairs(values(m)) do g[i] = tensor.randn(v:shape()) end
opt:step(values(m), g)
prune.apply(m, {conv1 = {1, 2, 3, 4}}, {input = {1, 3, 8, 8}})
local w = m:get("conv1").weight:clone()
local zeros = {}
for i, v in ipairs(values(m)) do zeros[i] = tensor.zeros(v:shape()) end
opt:step(values(m), zeros)
check.near(m:get("conv1").weight, w, 0, "without the optimizer, fresh state")
