-- Freezing parameters from Lua: p.requires_grad = false and net:requires_grad(on). A frozen
-- parameter gets no gradient and train.fit leaves it unchanged (weight decay and momentum
-- too); the others train. Bad values are clear errors.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(5)

local net = nn.Sequential{{"conv", nn.Conv2d(1, 4, 3, {padding = 1})}, {"bn", nn.BatchNorm2d(4)}, {"relu", nn.ReLU()},
  {"pool", nn.AdaptiveAvgPool2d(1)}, {"flatten", nn.Flatten()}, {"fc", nn.Linear(4, 3)}}
local x = tensor.randn(16, 1, 8, 8)
local y = tensor.new{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0}:long()
local loader = data.loader(data.tensor_dataset(x, y), {batch = 8})

net:requires_grad(false):get("fc"):requires_grad(true)
local frozen, live = {}, {}
for _, p in ipairs(net:parameters()) do
  if p.name:find("^fc%.") then check.same(p.requires_grad, true, p.name); live[p.name] = p.value:clone()
  else check.same(p.requires_grad, false, p.name); frozen[p.name] = p.value:clone() end
end

-- backward gives the frozen ones no gradient
net:train()
local out = net:forward(x)
net:backward(tensor.ones(16, 3))
for _, p in ipairs(net:parameters()) do
  check.same(p.grad == nil, frozen[p.name] ~= nil, "gradient of " .. p.name)
end
net:zero_grad()

train.fit(net, loader, {epochs = 2, optimizer = train.sgd{lr = 0.1, momentum = 0.9, weight_decay = 0.01}, log = false})
for _, p in ipairs(net:parameters()) do
  if frozen[p.name] then check.near(p.value, frozen[p.name], 0, "frozen " .. p.name .. " unchanged")
  else assert((p.value - live[p.name]):abs():max() > 0, p.name .. " trained") end
end

-- thawed, it trains again
net:parameters()[1].requires_grad = true
check.same(net:parameters()[1].requires_grad, true, "thawed")
train.fit(net, loader, {epochs = 1, optimizer = train.sgd{lr = 0.1}, log = false})
assert((net:parameters()[1].value - frozen["conv.weight"]):abs():max() > 0, "a thawed weight trains")

-- bad use
local p = net:parameters()[1]
check.raises(function() p.requires_grad = 1 end, "true or false")
check.raises(function() p.name = "other" end, "read-only")
check.raises(function() p.value = tensor.zeros(4, 1, 3, 3) end, "read-only")
check.raises(function() net:requires_grad("no") end, "true or false")
check.raises(function() net:requires_grad() end, "true or false")
check.same(p.name, "conv.weight", "the name stayed")

-- Per-parameter learning-rate multiples and weight decay (param groups): read back, kept
-- by clone and pruning, used by train.fit; bad values are errors.
do
  local m = nn.Sequential{{"conv", nn.Conv2d(1, 4, 3, {padding = 1})}, {"bn", nn.BatchNorm2d(4)}, {"relu", nn.ReLU()},
    {"pool", nn.AdaptiveAvgPool2d(1)}, {"flatten", nn.Flatten()}, {"fc", nn.Linear(4, 3)}}
  local ps = m:parameters()
  check.same(ps[1].lr_scale, 1, "default lr_scale"); check.same(ps[1].weight_decay, nil, "default: the optimizer's")
  for _, p in ipairs(ps) do
    if p.value:dim() == 1 then p.weight_decay = 0 end
    if p.name:find("^conv%.") then p.lr_scale = 0 end   -- lr 0: the conv does not move
  end
  check.same(ps[2].weight_decay, 0); check.same(ps[1].lr_scale, 0)
  local c = m:clone()
  check.same(c:parameters()[1].lr_scale, 0, "clone keeps lr_scale"); check.same(c:parameters()[2].weight_decay, 0, "and weight_decay")
  local conv = m:get("conv").weight:clone()
  local fc = m:get("fc").weight:clone()
  train.fit(m, loader, {epochs = 1, optimizer = train.sgd{lr = 0.1, momentum = 0.9, weight_decay = 0.1}, log = false})
  check.near(m:get("conv").weight, conv, 0, "lr_scale = 0: the conv stays")
  assert((m:get("fc").weight - fc):abs():max() > 0, "the classifier trains")
  ps[2].weight_decay = nil
  check.same(ps[2].weight_decay, nil, "nil gives the optimizer's back")
  prune.apply(m, {conv = {1, 2}}, {input = {1, 1, 8, 8}})
  check.same(m:parameters()[1].lr_scale, 0, "pruning keeps the options")
  check.raises(function() ps[1].lr_scale = -1 end, "lr_scale must be a non-negative number")
  check.raises(function() ps[1].lr_scale = "fast" end, "lr_scale must be a non-negative number")
  check.raises(function() ps[1].weight_decay = 0 / 0 end, "weight_decay must be a non-negative number")
end

-- freeze_bn: BatchNorms train in eval mode (running statistics stay, γ and β learn), ACConv
-- blocks' own BNs too; the modes come back after fit; without it the statistics move.
do
  local function bn_net()
    tensor.manual_seed(4)
    return nn.Sequential{{"conv", nn.Conv2d(1, 4, 3, {padding = 1})}, {"bn", nn.BatchNorm2d(4)}, {"relu", nn.ReLU()},
      {"block", nn.ACConv2d(4, 4, {padding = 1})}, {"relu2", nn.ReLU()},
      {"pool", nn.AdaptiveAvgPool2d(1)}, {"flatten", nn.Flatten()}, {"fc", nn.Linear(4, 3)}}
  end
  local m = bn_net()
  m:train()
  local mean, var, gamma = m:get("bn").running_mean:clone(), m:get("bn").running_var:clone(), m:get("bn").weight:clone()
  local inner = m:get("block")["square_bn.running_mean"]:clone()
  local modes = {}
  train.fit(m, loader, {epochs = 1, optimizer = train.sgd{lr = 0.1}, log = false, freeze_bn = true,
    on_step = function() modes[#modes + 1] = {m:get("bn").training, m:get("conv").training} end})
  check.near(m:get("bn").running_mean, mean, 0, "running mean stays"); check.near(m:get("bn").running_var, var, 0, "running var stays")
  check.near(m:get("block")["square_bn.running_mean"], inner, 0, "an ACConv block's BN stays")
  assert((m:get("bn").weight - gamma):abs():max() > 0, "γ learns")
  for _, s in ipairs(modes) do check.same(s, {false, true}, "BN in eval mode, the rest in train mode, during fit") end
  check.same(m:get("bn").training, true, "modes come back after fit")
  local n = bn_net()
  n:train()
  train.fit(n, loader, {epochs = 1, optimizer = train.sgd{lr = 0.1}, log = false})
  assert((n:get("bn").running_mean - mean):abs():max() > 0, "without freeze_bn the statistics move")
  check.raises(function() train.fit(n, loader, {optimizer = train.sgd{lr = 0.1}, freeze_bn = "yes"}) end, "freeze_bn")
end
