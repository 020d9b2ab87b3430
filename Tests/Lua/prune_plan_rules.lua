-- prune.plan's counting and ranking rules: normalisers keep the order of negative scores,
-- kept counts are ⌊n·(1 − ratio)⌋ of the exact value and within max_ratio, overlapping
-- `ratios` patterns resolve the same way every run, `ignore` takes containers, a Linear
-- reading a 4-d map is not mistaken for a channel consumer, gradient criteria refuse
-- unlabelled calibration data, and fpwt ranks a dead channel last.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

-- 1. negative scores: every normaliser keeps the group's best (here channels 1 and 2)
local vgg = nn.zoo.vgg{cfg = {4, "M", 4}, in_channels = 1, input = 8}
criteria.define("negative", function(ctx) return tensor.new{-1, -2, -3, -4} end, {needs = "weights"})
for _, nz in ipairs{"none", "mean", "max", "sum", "l2", "standardize"} do
  local p = prune.plan(vgg, {criterion = "negative", ratio = 0.5, normalizer = nz, input = {1, 1, 8, 8}})
  check.same(p.kept["features.0"], {1, 2}, "normalizer " .. nz)
end
local g = prune.plan(vgg, {criterion = "negative", ratio = 0.5, scope = "global", input = {1, 1, 8, 8}})
check.same(g.kept["features.0"], {1, 2}, "global (mean) with negative scores")

-- 2. kept counts: 20·(1 − 0.8) keeps 4 (not 3.999… → 3); max_ratio caps the local scope too
local twenty = nn.zoo.vgg{cfg = {20, "M", 10}, in_channels = 1, input = 8}
local p = prune.plan(twenty, {ratio = 0.8, input = {1, 1, 8, 8}})
check.same({p.groups[1].after, p.groups[2].after}, {4, 2}, "kept at ratio 0.8")
local ten = nn.zoo.vgg{cfg = {10, "M", 16}, in_channels = 1, input = 8}
p = prune.plan(ten, {ratio = 0.5, max_ratio = 0.25, input = {1, 1, 8, 8}})
check.same(p.groups[1].after, 8, "at most ⌊10·0.25⌋ = 2 removed")
p = prune.plan(ten, {ratio = 0.5, max_ratio = 0.25, scope = "global", input = {1, 1, 8, 8}})
check.same(p.groups[1].after, 8, "the global scope agrees")

-- 3. ratios: an exact name wins over a pattern, whatever the table's order; two patterns
-- giving one group different ratios are an error
local r20 = nn.zoo.resnet20{}
for _ = 1, 8 do
  local q = prune.plan(r20, {ratios = {["layer1%..*"] = 0.25, ["layer1.0.conv1"] = 0.75, ["layer2%..*"] = 0.5}, input = {1, 3, 32, 32}})
  check.same(#q.kept["layer1.0.conv1"], 4, "exact name wins")
  check.same(#q.kept["layer1.1.conv1"], 12, "pattern elsewhere")
end
check.raises(function() prune.plan(r20, {ratios = {["layer1%..*"] = 0.25, ["layer1%.0%..*"] = 0.5}, input = {1, 3, 32, 32}}) end,
  "group 'layer1.0.conv1' matches 'layer1%..*' (0.25) and 'layer1%.0%..*' (0.5)")
-- the same ratio from two patterns is fine
prune.plan(r20, {ratios = {["layer1%..*"] = 0.5, ["layer1%.0%..*"] = 0.5}, input = {1, 3, 32, 32}})

-- 4. ignore: a container's name ignores every layer inside it
p = prune.plan(r20, {ratio = 0.5, ignore = {"layer1"}, input = {1, 3, 32, 32}})
check.same(#p.kept["layer1.0.conv1"], 16, "layer1 ignored")
check.same(#p.kept["layer2.0.conv1"], 16, "layer2 pruned")
check.raises(function() prune.plan(r20, {ratio = 0.5, ignore = {"layer9"}, input = {1, 3, 32, 32}}) end,
  "'layer9' matches no layer of the net")

-- 5. a Linear on a 4-d map reads the width, not the channels: reported, its producer frozen
local s = nn.Sequential{nn.Conv2d(3, 8, 3, {padding = 1}), nn.ReLU(), nn.Linear(8, 5), nn.ReLU(), nn.Conv2d(8, 4, 1)}
local problems = prune.check(s, {1, 3, 8, 8})
check.same(#problems, 1, "one problem")
check.same(problems[1].layer, "2")
check.same(problems[1].reason, "Linear on a 4-d input (it reads the last dimension, not the channels)")
check.raises(function() prune.apply(s, {["0"] = {1, 2, 3, 4}}, {input = {1, 3, 8, 8}}) end,
  "group 0 cannot be pruned (2: Linear on a 4-d input")
s:forward(tensor.randn(1, 3, 8, 8))   -- still whole and working

-- 6. gradient criteria need labels: a tensor as calib has none
local cnn, x = nn.zoo.small_cnn{}, tensor.randn(8, 1, 28, 28)
check.raises(function() criteria.score(cnn, "taylor", {calib = x, input = {1, 1, 28, 28}}) end,
  "taylor: this criterion takes gradients of the loss, which needs labels")
check.raises(function() prune.plan(cnn, {criterion = "taylor", ratio = 0.5, calib = x}) end, "needs labels")
criteria.define("grad_mean", function(ctx) return ctx.grads:abs():mean{1, 3, 4} end, {needs = "grads"})
check.raises(function() criteria.score(cnn, "grad_mean", {calib = x}) end, "needs labels")
local labelled = data.loader(data.tensor_dataset(x, tensor.zeros(8):long()), {batch = 8})
criteria.score(cnn, "taylor", {calib = labelled})   -- a loader works
criteria.score(cnn, "l1", {calib = x})               -- and a tensor for what needs no labels

-- 7. fpwt: a channel dead in every image scores 0 by the formula (above every live one);
-- with dead = "prune" it is the first to go, in plans too
tensor.manual_seed(1)
local m = tensor.randn(8, 6, 8, 8):relu()
m:narrow(2, 2, 1):zero()
check.same(criteria.fpwt(m):argmax(), 2, "the formula ranks the dead channel first")
local f = criteria.fpwt(m, {dead = "prune"})
check.same(f:argmin(), 2, "the dead channel scores lowest")
check.near(f[2], -1, 0)
check.raises(function() criteria.fpwt(m, {dead = "yes"}) end, "dead")
local dn = nn.Sequential{{"conv", nn.Conv2d(1, 4, 3, {padding = 1})}, {"relu", nn.ReLU()}, {"pool", nn.AdaptiveAvgPool2d(1)},
                         {"flat", nn.Flatten()}, {"fc", nn.Linear(4, 2)}}
dn.conv.weight:narrow(1, 3, 1):zero(); dn.conv.bias:narrow(1, 3, 1):fill(-1)   -- channel 3 is dead after the ReLU
local dcal = tensor.randn(6, 1, 8, 8)
check.same(prune.plan(dn, {criterion = "fpwt", ratio = 0.25, calib = dcal, dead = "prune"}).kept.conv, {1, 2, 4})
-- 8. APoZ counts an activation's zeros: a group whose maps come from no activation (a
-- MobileNetV2 projection, a pre-activation DenseNet conv) is skipped, saying why, instead of
-- tying every channel and keeping channels by index
local mb = nn.zoo.mobilenetv2{}
local mq = prune.plan(mb, {criterion = "apoz", ratio = 0.3, calib = tensor.randn(2, 3, 32, 32), input = {1, 3, 32, 32}})
local skipped = 0
for _, grp in ipairs(mq.groups) do
  if grp.skipped then
    skipped = skipped + 1
    assert(grp.skipped:find("no activation follows its conv", 1, true), grp.skipped)
  end
end
check.same(skipped, 7, "MobileNetV2's projection groups")
check.raises(function() prune.plan(r20, {criterion = "apoz", ratio = 0.5, calib = tensor.randn(2, 3, 32, 32), point = "conv"}) end,
  "so there are no zeros for APoZ to count")
print("prune_plan_rules ok")
