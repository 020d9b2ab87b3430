-- Gradient criteria with a loss of the researcher's: `loss = function(logits, targets, inputs)
-- return dlogits end` in criteria.score, prune.plan and prune.sensitivity. Cross-entropy
-- written in Lua gives the built-in's scores; a label-free loss works on an unlabelled tensor;
-- a teacher may run inside the loss; bad losses are clear errors.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(8)

local net = nn.zoo.resnet20{classes = 10}
net:eval()
local x = tensor.randn(48, 3, 32, 32)
local y = tensor.new{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,
                     4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7}:long()
local loader = data.loader(data.tensor_dataset(x, y), {batch = 24})

-- cross-entropy written in Lua: the built-in taylor's scores
local seen = {}
local function ce(logits, targets, inputs)
  seen[#seen + 1] = {logits:shape()[1], inputs:shape()[1]}
  local _, g = train.cross_entropy(logits, targets)
  return g
end
local builtin = criteria.score(net, "taylor", {calib = loader, batches = 2})
local mine = criteria.score(net, "taylor", {calib = loader, batches = 2, loss = ce})
for g, s in pairs(builtin) do check.near(mine[g], s, 1e-4 * s:abs():max(), "taylor with Lua cross-entropy: " .. g) end
check.same(#seen, 2, "one call per batch")
for _, b in ipairs(seen) do check.same(b, {24, 24}, "whole batches, inputs beside the logits") end

-- a label-free loss on an unlabelled tensor: the mean logit's gradient
local plain = criteria.score(net, "taylor", {calib = x, loss = function(logits)
  return tensor.ones(logits:shape()) / logits:numel()
end})
assert(plain["layer1.0.conv1"]:abs():sum() > 0, "scores from a label-free loss")
local e = check.raises(function() criteria.score(net, "taylor", {calib = x}) end, "needs labels")

-- distillation to a teacher run inside the loss: the scores differ from cross-entropy's
local teacher = net:clone()
teacher:get("linear").weight:copy(tensor.randn(10, 64))
local kd = criteria.score(net, "taylor", {calib = loader, batches = 2, loss = function(logits, _, inputs)
  local t = nn.no_grad(function() return teacher:forward(inputs) end)
  return (logits - t) * (2 / logits:numel())
end})
local differs = false
for g, s in pairs(builtin) do
  assert(kd[g]:ne(kd[g]):sum() == 0, "finite scores: " .. g)
  if (kd[g] - s):abs():max() > 1e-3 * s:abs():max() then differs = true end
end
assert(differs, "a different loss gives different scores")

-- prune.plan and prune.sensitivity take it too
local plan = prune.plan(net, {criterion = "taylor", ratio = 0.25, calib = loader, loss = ce})
check.same(#plan.kept["layer1.0.conv1"], 12)
local s = prune.sensitivity(net, {criterion = "taylor", calib = loader, loss = ce, eval = loader, ratios = {0.5},
  groups = {"layer3.0.conv1"}})
check.same(#s.curves["layer3.0.conv1"], 1, "one ratio evaluated")

-- errors
check.raises(function() criteria.score(net, "taylor", {calib = loader, loss = 3}) end, "function(logits, targets, inputs)")
check.raises(function() criteria.score(net, "taylor", {loss = ce}) end, "give calib too")
check.raises(function() criteria.score(net, "l1", {calib = loader, loss = ce}) end, "takes no gradients")
check.raises(function() prune.plan(net, {criterion = "fpgm", ratio = 0.5, calib = loader, loss = ce}) end, "takes no gradients")
check.raises(function() criteria.score(net, "taylor", {calib = loader, loss = function(l) return tensor.zeros(3) end}) end,
  "the logits' shape [24, 10]")
check.raises(function() criteria.score(net, "taylor", {calib = loader, loss = function(l) return nil end}) end,
  "must return the gradient")
check.raises(function() criteria.score(net, "taylor", {calib = loader, loss = function(l) error("no loss today") end}) end,
  "no loss today")
-- the net is left as it was: the scores afterwards are the same
local again = criteria.score(net, "taylor", {calib = loader, batches = 2})
for g, s0 in pairs(builtin) do check.near(again[g], s0, 0, "unchanged after failed losses: " .. g) end
