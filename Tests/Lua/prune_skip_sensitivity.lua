-- Criteria that do not score every group, and sensitivity sweeps that cannot vary:
-- bn_scale skips a group without a BatchNorm (as Torch-Pruning's BNScaleImportance) and fpwt
-- one whose maps have no height and width (a Linear's); the plan, plan.groups, plan:save,
-- criteria.score and prune.sensitivity say so, a net with no BatchNorm at all is an error;
-- prune.sensitivity refuses a criterion that chooses its own kept count, naming the options
-- to sweep instead.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(11)
local shape = {1, 1, 28, 28}

-- small_cnn: conv1 and conv2 are followed by BatchNorms; fc1's outputs have none.
local net = nn.zoo.small_cnn{}
local plan = prune.plan(net, {criterion = "bn_scale", ratio = 0.5, input = shape})
local byName = {}
for _, g in ipairs(plan.groups) do byName[g.name] = g end
assert(byName.conv1 and byName.conv2 and byName.fc1, "groups conv1, conv2, fc1")
assert(byName.conv1.after == 16 and byName.conv2.after == 32, "the BN groups are pruned by half")
assert(byName.conv1.skipped == nil and byName.conv1.scores ~= nil)
assert(byName.fc1.after == 128 and byName.fc1.before == 128, "the group without a BatchNorm stays whole")
assert(byName.fc1.skipped == "no BatchNorm holds its channels", tostring(byName.fc1.skipped))
check.same(plan.kept.fc1, (function() local t = {} for i = 1, 128 do t[i] = i end return t end)(), "fc1 keeps all")
local text = tostring(plan)
assert(text:find("fc1%s+128%s+128%s+skipped"), text)
assert(text:find("skipped fc1: bn_scale does not score it (no BatchNorm holds its channels)", 1, true), text)
assert(not text:find("skipped conv1", 1, true), text)
local path = os.tmpname()
plan:save(path)
local f = assert(io.open(path)); local json = f:read("a"); f:close(); os.remove(path)
assert(json:find('"name": "fc1", "before": 128, "after": 128, "kept": [', 1, true), json)
assert(json:find('"skipped": "no BatchNorm holds its channels"}', 1, true), json)
plan:apply()
assert(net.conv1.out_channels == 16 and net.fc1.out_features == 128 and net.bn2.num_features == 32)

-- A global plan ranks the scored groups only.
local global = prune.plan(nn.zoo.small_cnn{}, {criterion = "bn_scale", ratio = 0.5, scope = "global", input = shape})
for _, g in ipairs(global.groups) do
  if g.name == "fc1" then assert(g.after == 128 and g.skipped) end
end

-- criteria.score gives the reason instead of scores.
local s = criteria.score(nn.zoo.small_cnn{}, "bn_scale", {input = shape})
assert(s.fc1.skipped == "no BatchNorm holds its channels" and s.conv1:numel() == 32)

-- A BatchNorm without affine parameters has no scale to read either.
local noaffine = nn.Sequential{nn.Conv2d(1, 4, 3, {padding = 1}), nn.BatchNorm2d(4, {affine = false}), nn.ReLU(),
                               nn.Conv2d(4, 4, 3, {padding = 1}), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 1)}
local p2 = prune.plan(noaffine, {criterion = "bn_scale", ratio = 0.5, input = {1, 1, 6, 6}})
assert(p2.groups[1].skipped == "its BatchNorm has no affine scale", tostring(p2.groups[1].skipped))
assert(p2.groups[2].skipped == nil and p2.groups[2].after == 2)

-- No group with a BatchNorm: nothing to score is an error, in plans and scores alike.
local plain = nn.Sequential{nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 3)}
check.raises(function() prune.plan(plain, {criterion = "bn_scale", ratio = 0.5, input = {1, 1, 8, 8}}) end,
  "criterion 'bn_scale' skipped every group it was given, so nothing can be pruned")
check.raises(function() criteria.score(plain, "bn_scale", {input = {1, 1, 8, 8}}) end,
  "no BatchNorm holds its channels")

-- prune.sensitivity: skipped groups have no curve and a reason; the others are swept.
local ds = data.tensor_dataset(tensor.randn(8, 1, 28, 28), tensor.zeros(8))
local eval = data.loader(ds, {batch = 4})
local sens = prune.sensitivity(nn.zoo.small_cnn{}, {eval = eval, criterion = "bn_scale", ratios = {0.25, 0.5}, input = shape})
assert(sens.curves.conv1 and #sens.curves.conv1 == 2 and sens.curves.conv2)
assert(sens.curves.fc1 == nil and sens.skipped.fc1 == "no BatchNorm holds its channels")

-- A criterion that chooses its own kept count gives the same keep-set at every ratio: refused.
local calib = tensor.randn(4, 1, 28, 28)
for _, case in ipairs{
  {{criterion = "foad"}, "criterion 'foad' chooses how many channels each group keeps", "sweep its own options (t, s)"},
  {{criterion = "foad", t = 2, s = 0.5}, "criterion 'foad'", "(t, s)"},
  {{criterion = "redundancy", method = "dbscan"}, "criterion 'redundancy'", "(eps, min_samples)"},
  {{criterion = "redundancy", clusters = 4}, "criterion 'redundancy'", "(clusters) instead of ratios"},
} do
  local o = case[1]
  o.eval, o.calib, o.ratios, o.input = eval, calib, {0.25, 0.5}, shape
  local err = check.raises(function() prune.sensitivity(nn.zoo.small_cnn{}, o) end, case[2])
  assert(err:find(case[3], 1, true), err)
  assert(err:find("every ratio would prune the same channels", 1, true), err)
end

-- A keep-set sized from the ratio (k-means redundancy, or this Lua selection criterion) is
-- asked for again at every ratio, from one calibration pass.
local asked = {}
criteria.define("first_part", function(ctx)
  asked[#asked + 1] = ctx.ratio or "none"
  local keep = {}
  for i = 1, math.max(1, math.floor(ctx.channels * (1 - (ctx.ratio or 0)))) do keep[i] = i end
  return keep
end, {selection = true})
local fp = prune.sensitivity(nn.zoo.small_cnn{}, {eval = eval, criterion = "first_part", ratios = {0.25, 0.75},
                                                  groups = {"conv1"}, input = shape})
assert(#fp.curves.conv1 == 2)
check.same(asked, {"none", 0.25, 0.75}, "scored once, then once per ratio")
local km = prune.sensitivity(nn.zoo.small_cnn{}, {eval = eval, calib = calib, criterion = "redundancy",
                                                  ratios = {0.25, 0.75}, groups = {"conv1"}, input = shape})
assert(#km.curves.conv1 == 2)

-- fpwt transforms spatial maps: fc1's outputs [N, 128] have none, so its group is skipped
-- (the reason in the plan) and the convolutions are pruned. No `input` here: the traced
-- shape is one image of the calibration batch.
local calib = tensor.randn({8, 1, 28, 28}, {seed = 2})
local fp = prune.plan(nn.zoo.small_cnn{}, {criterion = "fpwt", ratio = 0.5, calib = calib})
local fpBy = {}
for _, g in ipairs(fp.groups) do fpBy[g.name] = g end
assert(fpBy.conv1.after == 16 and fpBy.conv2.after == 32 and fpBy.conv1.skipped == nil, "fpwt prunes the convolutions")
assert(fpBy.fc1.after == 128 and fpBy.fc1.skipped:find("no height and width", 1, true), tostring(fpBy.fc1.skipped))
assert(tostring(fp):find("skipped fc1: fpwt does not score it", 1, true), tostring(fp))
local fs = criteria.score(nn.zoo.small_cnn{}, "fpwt", {calib = calib})
assert(fs.conv1:numel() == 32 and fs.fc1.skipped, "criteria.score: scores for conv1, the reason for fc1")
-- The plain-tensor form still refuses maps without height and width.
check.raises(function() criteria.fpwt(tensor.randn({8, 128})) end, "feature maps must be [N, C, H, W], got [8, 128]")
-- 1×1 maps (global features) have no height and width at any level either: their group is
-- skipped in a plan (force = true transforms them anyway); the plain-tensor form refuses them.
local function pooled()
  return nn.Sequential{{"conv1", nn.Conv2d(3, 8, 3, {padding = 1})}, {"bn1", nn.BatchNorm2d(8)}, {"relu1", nn.ReLU()},
    {"pool", nn.MaxPool2d(4)}, {"conv2", nn.Conv2d(8, 6, 1)}, {"bn2", nn.BatchNorm2d(6)}, {"relu2", nn.ReLU()},
    {"flatten", nn.Flatten()}, {"fc", nn.Linear(6, 2)}}
end
local img = tensor.randn({6, 3, 4, 4}, {seed = 3})
local pp = prune.plan(pooled(), {criterion = "fpwt", ratio = 0.5, calib = img})
local ppBy = {}
for _, g in ipairs(pp.groups) do ppBy[g.name] = g end
assert(ppBy.conv1.after == 4 and ppBy.conv1.skipped == nil, "the 4x4 maps are scored and pruned")
assert(ppBy.conv2.after == 6 and ppBy.conv2.skipped:find("1×1", 1, true), tostring(ppBy.conv2.skipped))
local forced = prune.plan(pooled(), {criterion = "fpwt", ratio = 0.5, calib = img, force = true})
for _, g in ipairs(forced.groups) do if g.name == "conv2" then assert(g.after == 3 and g.skipped == nil, "force scores 1x1 maps") end end
check.raises(function() criteria.fpwt(tensor.randn({6, 8, 1, 1})) end,
  "1x1 feature maps are too small for haar at level 1 (the deepest level they allow is 0: larger maps)")
check.raises(function() criteria.fpwt(tensor.randn({6, 8, 2, 2}), {wavelet = "db2"}) end,
  "the deepest level they allow is 0: use a shorter wavelet such as haar, or larger maps")
-- Neither an input shape nor calibration data: the error names both.
check.raises(function() prune.plan(nn.zoo.small_cnn{}, {criterion = "l1", ratio = 0.5}) end,
  "prune.plan: give the input shape in the options table, argument #2 (prune.plan(…, {input = {1, 3, 32, 32}})), calibration data (calib = a loader)")
print("prune_skip_sensitivity: ok")
