-- plan:mask(): soft pruning. The masked net computes what the pruned net computes (zoo nets
-- with ReLU-family activations: plain, residual, concat, depthwise, ACNet blocks), nothing
-- changes shape, the plan still applies, and masking after training steps keeps the
-- channels at zero while the consumers' weights let training grow them back.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(2)

local x = tensor.randn(2, 3, 32, 32)
for _, case in ipairs{{"vgg11", nn.zoo.vgg11{}}, {"resnet20", nn.zoo.resnet20{}}, {"googlenet", nn.zoo.googlenet{}},
                      {"mobilenetv2", nn.zoo.mobilenetv2{}}, {"densenet40", nn.zoo.densenet40{}},
                      {"acnet resnet20", nn.acnet(nn.zoo.resnet20{}, {gamma = 1})}} do
  local name, net = case[1], case[2]
  check.randomize_bn(net)
  net:eval()
  local plan = prune.plan(net, {criterion = "l1", ratio = 0.4, input = {1, 3, 32, 32}})
  local pruned = net:clone()
  local shapes = {}
  for k, v in pairs(net:state_dict()) do shapes[k] = v:shape() end
  plan:mask()
  for k, v in pairs(net:state_dict()) do check.same(v:shape(), shapes[k], name .. ": " .. k .. " keeps its shape") end
  local masked = net:forward(x)
  prune.plan(pruned, {criterion = "l1", ratio = 0.4, input = {1, 3, 32, 32}}):apply()
  local y = pruned:forward(x)
  check.near(masked, y, 1e-4 * math.max(1, y:abs():max()), name .. ": the masked net computes what the pruned one does")
  plan:apply()
  check.near(net:forward(x), y, 1e-4 * math.max(1, y:abs():max()), name .. ": the plan still applies after masking")
end

-- Trained after an exact mask, the channels stay silent (no gradient passes a ReLU at 0);
-- after filters_only (soft filter pruning) they grow back, while BN's γ and β were kept.
local function small()
  tensor.manual_seed(3)
  return nn.Sequential{{"conv1", nn.Conv2d(1, 8, 3, {padding = 1})}, {"bn1", nn.BatchNorm2d(8)}, {"relu1", nn.ReLU()},
    {"conv2", nn.Conv2d(8, 8, 3, {padding = 1})}, {"bn2", nn.BatchNorm2d(8)}, {"relu2", nn.ReLU()},
    {"pool", nn.AdaptiveAvgPool2d(1)}, {"flatten", nn.Flatten()}, {"fc", nn.Linear(8, 3)}}
end
local function trained_looking(net)   -- a trained BN's β is not zero
  net:get("bn1").bias = tensor.rand(8) * 0.5 + 0.1
  return net
end
local xs = tensor.randn(32, 1, 8, 8)
local ys = tensor.new{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1}:long()
local loader = data.loader(data.tensor_dataset(xs, ys), {batch = 8})
local function zero_rows(w, kept)
  local keep = {}
  for _, c in ipairs(kept) do keep[c] = true end
  local zeros = 0
  for c = 1, w:size(1) do if not keep[c] and w[c]:abs():max() == 0 then zeros = zeros + 1 end end
  return zeros
end

local hard = trained_looking(small())
local plan = prune.plan(hard, {criterion = "l1", ratio = 0.5, input = {1, 1, 8, 8}})
plan:mask()
local kept = plan.kept["conv1"]
check.same(zero_rows(hard:get("conv1").weight, kept), 4, "masked: four filters at zero")
local before = hard:get("conv1").weight:clone()
train.fit(hard, loader, {epochs = 1, optimizer = train.sgd{lr = 0.1, momentum = 0.9, weight_decay = 1e-3}, log = false})
check.same(zero_rows(hard:get("conv1").weight, kept), 4, "trained after an exact mask, the channels stay silent")
assert((hard:get("conv1").weight - before):abs():max() > 0, "the kept filters trained")

local soft = trained_looking(small())
local sp = prune.plan(soft, {criterion = "l1", ratio = 0.5, input = {1, 1, 8, 8}})
local gamma = soft:get("bn1").weight:clone()
sp:mask{filters_only = true}
check.same(zero_rows(soft:get("conv1").weight, sp.kept["conv1"]), 4, "filters_only: four filters at zero")
check.near(soft:get("bn1").weight, gamma, 0, "filters_only keeps BN's γ")
train.fit(soft, loader, {epochs = 1, optimizer = train.sgd{lr = 0.1, momentum = 0.9}, log = false})
check.same(zero_rows(soft:get("conv1").weight, sp.kept["conv1"]), 0, "after filters_only, the filters grow back")
sp:mask{filters_only = true}
check.same(zero_rows(soft:get("conv1").weight, sp.kept["conv1"]), 4, "masked again")
check.raises(function() sp:mask{filters = true} end, "filters")

-- An optimizer that goes on training: its momentum, gathered before the mask, would move the
-- zeroed filters at its next step; plan:mask{optimizer = opt} zeroes the same entries of it
-- (SGD's momentum, Adam's moments; train.fit-stepped or opt:step-stepped alike).
local function moved_after_mask(make_opt, with_optimizer)
  local net = trained_looking(small())
  local opt = make_opt()
  train.fit(net, loader, {epochs = 1, optimizer = opt, log = false})   -- momentum gathered
  local p = prune.plan(net, {criterion = "l1", ratio = 0.5, input = {1, 1, 8, 8}})
  p:mask(with_optimizer and {optimizer = opt} or nil)
  check.same(zero_rows(net:get("conv1").weight, p.kept["conv1"]), 4, "masked")
  train.fit(net, loader, {epochs = 1, optimizer = opt, log = false})
  return 4 - zero_rows(net:get("conv1").weight, p.kept["conv1"])
end
for _, case in ipairs{{"sgd", function() return train.sgd{lr = 0.1, momentum = 0.9} end},
                      {"adam", function() return train.adam{lr = 0.01} end}} do
  assert(moved_after_mask(case[2], false) > 0, case[1] .. ": without the optimizer its state moves masked filters")
  check.same(moved_after_mask(case[2], true), 0, case[1] .. ": with {optimizer = opt} they stay at zero")
end
-- opt:step on plain tensors: the state of the tensors it stepped is zeroed too.
do
  local net = trained_looking(small())
  local opt = train.sgd{lr = 0.1, momentum = 0.9}
  local params = {}
  for _, e in ipairs(net:parameters()) do params[#params + 1] = e.value end
  for i = 1, 2 do
    net:zero_grad()
    local _, g = train.cross_entropy(net:forward(xs:narrow(1, 1 + 8 * (i - 1), 8)), ys:narrow(1, 1 + 8 * (i - 1), 8))
    net:backward(g)
    local grads = {}
    for _, e in ipairs(net:parameters()) do grads[#grads + 1] = e.grad end
    opt:step(params, grads)
  end
  local p = prune.plan(net, {criterion = "l1", ratio = 0.5, input = {1, 1, 8, 8}})
  p:mask{optimizer = opt}
  net:zero_grad()
  local _, g = train.cross_entropy(net:forward(xs:narrow(1, 17, 8)), ys:narrow(1, 17, 8))
  net:backward(g)
  local grads = {}
  for _, e in ipairs(net:parameters()) do grads[#grads + 1] = e.grad end
  opt:step(params, grads)
  check.same(zero_rows(net:get("conv1").weight, p.kept["conv1"]), 4, "opt:step-stepped state zeroed with the mask")
end
check.raises(function()
  prune.plan(small(), {criterion = "l1", ratio = 0.5, input = {1, 1, 8, 8}}):mask{optimizer = 3}
end, "optimizer")

-- errors
local net = nn.zoo.resnet20{}
local p = prune.plan(net, {criterion = "l1", ratio = 0.5, input = {1, 3, 32, 32}})
p:apply()
check.raises(function() p:mask() end, "plan:mask: this plan was already applied")
local q = prune.plan(nn.zoo.resnet20{}, {criterion = "l1", ratio = 0.5, input = {1, 3, 32, 32}})
collectgarbage(); collectgarbage()
check.raises(function() q:mask() end, "the net of this plan is gone")
local r = nn.zoo.resnet20{}
local pr = prune.plan(r, {criterion = "l1", ratio = 0.5, input = {1, 3, 32, 32}})
prune.plan(r, {criterion = "l1", ratio = 0.25, input = {1, 3, 32, 32}}):apply()
check.raises(function() pr:mask() end, "the net changed since it was planned")
