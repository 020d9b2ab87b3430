-- FPWT and SFM's entropy from Lua: criteria.fpwt / criteria.entropy on plain tensors (hand
-- values), the built-ins through criteria.score and prune.plan with their options, the same
-- scores either way, and every bad option or too-small input as a clear error.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(9)

-- Hand values (haar, 2x2 maps; see PaperCriteriaTests): ch2 is the least redundant.
local x = tensor.new({{{{1, 0}, {0, 0}}, {{2, 0}, {0, 0}}, {{0, 1}, {0, 0}}}})
local s, info = criteria.fpwt(x)
check.near(s, {-0.5, -0.5, 0}, 1e-6, "fpwt by hand")
check.near(info.alpha, {0.25, 0.25, 0.25}, 1e-6, "alpha")
check.near(info.beta, {0.75, 0.75, 0.75}, 1e-6, "beta")
check.same(info.similarity:shape(), {3, 3})
check.near(info.similarity[1][2], 1, 1e-6, "sim(1, 2)")
local e0 = 0.25 * 0.5 + 0.75 * math.sqrt(0.75)
check.near(criteria.fpwt(x, {variant = "energy"}), {e0, 2 * e0, e0}, 1e-6, "energy variant")
assert(select(2, criteria.fpwt(x, {variant = "energy"})).similarity == nil)

-- Entropy by hand: [0, 1, 2, 3] in 4 bins = 2 bits, a constant map 0; mean over images.
local m = tensor.new({{{{0, 1}, {2, 3}}, {{5, 5}, {5, 5}}}, {{{3, 2}, {1, 0}}, {{5, 5}, {5, 5}}}})
check.near(criteria.entropy(m, {bins = 4}), {2, 0}, 1e-6, "entropy by hand")
check.near(criteria.entropy(m, {bins = 2}), {1, 0}, 1e-6, "two bins")
check.near(criteria.entropy(m, {bins = 4, base = math.exp(1)}), {math.log(4), 0}, 1e-6, "nats")
check.near(criteria.entropy(m, {variant = "softmax"}), {criteria.entropy(m, {variant = "softmax"})[1], 2}, 1e-5,
  "softmax: a constant map scores the maximum")
check.near(criteria.entropy(m, {variant = "pooled", bins = 4}), {0, 0}, 1e-6, "pooled: equal image means")

-- The built-ins score a net's groups exactly as the plain functions score its maps.
local net = nn.zoo.resnet20{}
local calib = tensor.randn(16, 3, 32, 32)
local maps = net:capture("layer1.0.relu1", calib)["layer1.0.relu1"]
local opts = {input = {1, 3, 32, 32}, calib = calib, wavelet = "db2", mode = "periodization", weights = "channel"}
local f = criteria.score(net, "fpwt", opts)
check.near(f["layer1.0.conv1"], criteria.fpwt(maps, {wavelet = "db2", mode = "periodization", weights = "channel"}),
  1e-5, "criteria.score fpwt = criteria.fpwt")
local h = criteria.score(net, "entropy", {input = {1, 3, 32, 32}, calib = calib, bins = 32})
check.near(h["layer1.0.conv1"], criteria.entropy(maps, {bins = 32}), 1e-5, "criteria.score entropy = criteria.entropy")
-- batches arrive one by one: 2 batches of 8 give the same scores as one of 16
local loader = data.loader(data.tensor_dataset(calib, tensor.zeros(16)), {batch = 8})
local f2 = criteria.score(net, "fpwt", {input = {1, 3, 32, 32}, calib = loader, batches = 2, wavelet = "db2",
  mode = "periodization", weights = "channel"})
check.near(f2["layer2.1.conv1"], f["layer2.1.conv1"], 1e-5, "fpwt over 2 batches")
for _, v in ipairs({"histogram", "pooled", "softmax"}) do
  local one = criteria.score(net, "entropy", {input = {1, 3, 32, 32}, calib = calib, variant = v})
  local two = criteria.score(net, "entropy", {input = {1, 3, 32, 32}, calib = loader, batches = 2, variant = v})
  -- layer1 runs the direct 3x3 kernel, bit-equal whatever the batch split: the same scores.
  check.near(two["layer1.2.conv1"], one["layer1.2.conv1"], 1e-6, "entropy " .. v .. " over 2 batches, layer1")
  -- Deeper, a batch of 8 and one of 16 may run the convolutions by different kernels or GEMM
  -- widths (Winograd chunks), which round differently (~2e-6 relative). The continuous
  -- variants stay within 5e-5; a histogram is a step function of the values (one value
  -- crossing a bin edge moves a score by ~2e-3), so it is compared at layer1 only.
  if v ~= "histogram" then
    check.near(two["layer3.2.conv1"], one["layer3.2.conv1"], 5e-5, "entropy " .. v .. " over 2 batches")
  end
end
local listed = {}
for _, n in ipairs(criteria.list()) do listed[n] = true end
assert(listed.fpwt and listed.entropy, "criteria.list names fpwt and entropy")

-- A plan with fpwt options prunes half of every group.
local plan = prune.plan(net, {criterion = "fpwt", ratio = 0.5, calib = calib, input = {1, 3, 32, 32}, level = 2,
  details = "coarsest", ignore = {"conv1", "layer%d%.%d+%.conv2", "linear"}})
check.same({#plan.kept["layer1.0.conv1"]}, {8})
local pe = prune.plan(net, {criterion = "entropy", variant = "pooled", bins = 8, ratio = 0.25, calib = calib,
  input = {1, 3, 32, 32}, ignore = {"conv1", "layer%d%.%d+%.conv2", "linear"}})
check.same({#pe.kept["layer3.0.conv1"]}, {48})

-- Bad options name the option and the allowed values.
local fm = tensor.randn(4, 3, 8, 8):relu()
check.raises(function() criteria.fpwt(fm, {wavelet = "db99"}) end, "field 'wavelet': expected one of haar, db1")
check.raises(function() criteria.fpwt(fm, {mode = "mirror"}) end, "field 'mode': expected one of symmetric, periodization")
check.raises(function() criteria.fpwt(fm, {level = 0}) end, "field 'level': expected an integer in 1...16, got 0")
check.raises(function() criteria.fpwt(fm, {level = 1.5}) end, "field 'level': number has no integer representation")
check.raises(function() criteria.fpwt(fm, {weights = "group"}) end, "field 'weights': expected one of layer, channel")
check.raises(function() criteria.fpwt(fm, {variant = "cosine"}) end, "field 'variant': expected one of similarity, energy")
check.raises(function() criteria.fpwt(fm, {details = "some"}) end, "field 'details': expected one of all, coarsest")
check.raises(function() criteria.fpwt(fm, {wavlet = "haar"}) end, "unknown option 'wavlet' for criteria.fpwt")
check.raises(function() criteria.entropy(fm, {bins = 0}) end, "field 'bins': expected an integer in 1...4194304, got 0")
check.raises(function() criteria.entropy(fm, {bins = "many"}) end, "field 'bins': number expected, got string")
check.raises(function() criteria.entropy(fm, {variant = "renyi"}) end,
  "field 'variant': expected one of histogram, pooled, softmax")
check.raises(function() criteria.entropy(fm, {base = 1}) end, "field 'base': expected a positive number other than 1")
check.raises(function() criteria.entropy(fm, {logits = "raw"}) end, "field 'logits': expected one of squared_deviation, values")
check.raises(function() criteria.entropy(fm, {bin = 8}) end, "unknown option 'bin' for criteria.entropy")
check.raises(function() criteria.entropy("maps") end, "bad argument #1 to 'entropy'")
-- through a plan: the plan's argument is named
check.raises(function() prune.plan(net, {criterion = "fpwt", wavelet = "morlet", calib = calib, input = {1, 3, 32, 32}}) end,
  "field 'wavelet': expected one of")
check.raises(function() criteria.score(net, "entropy", {bins = -3, calib = calib, input = {1, 3, 32, 32}}) end,
  "field 'bins': expected an integer in 1...4194304, got -3")

check.raises(function() prune.plan(net, {criterion = "fpwt", wavlet = "db2", calib = calib, input = {1, 3, 32, 32}}) end,
  "unknown option 'wavlet' for prune.plan")
check.raises(function() prune.plan(net, {criterion = "l1", bins = 8, input = {1, 3, 32, 32}}) end,
  "unknown option 'bins' for prune.plan")

-- Too little data for the definition says so.
check.raises(function() criteria.fpwt(fm, {wavelet = "sym8"}) end,
  "8x8 feature maps are too small for sym8 at level 1 (the deepest level they allow is 0")
check.raises(function() criteria.fpwt(fm, {level = 4}) end, "the deepest level they allow is 3")
assert(criteria.fpwt(fm, {wavelet = "sym8", force = true}):size(1) == 3, "force decomposes anyway")
check.raises(function() criteria.fpwt(tensor.randn(4, 3)) end, "feature maps must be [N, C, H, W], got [4, 3]")
check.raises(function() criteria.entropy(fm:narrow(1, 1, 1), {variant = "pooled"}) end,
  "the pooled variant needs at least 2 calibration images")
check.raises(function() criteria.score(net, "entropy", {variant = "pooled", calib = calib:narrow(1, 1, 1),
  input = {1, 3, 32, 32}}) end, "needs at least 2 calibration images")
local nan = fm:clone(); nan[1][1][1][1] = 0 / 0
check.raises(function() criteria.fpwt(nan) end, "NaN")
check.raises(function() criteria.entropy(nan) end, "NaN")
-- a 3-d tensor is [N, C, L] (L×1 maps): when that is too small, the error says how it was read
check.raises(function() criteria.fpwt(tensor.rand(6, 8, 8)) end,
  "(3-d maps [6, 8, 8] are read as [N, C, L] with L×1 maps; give [N, C, H, W] for 2-d maps)")
-- In a plan, a group whose maps are too small for the wavelet at the level asked is skipped and
-- stays whole, saying why (ResNet-20's 8×8 last stage with db4), as 1×1 maps are; the others
-- are pruned. On a plain tensor it stays an error (above), and force = true transforms them.
do
  local net, x = nn.zoo.resnet20{}, tensor.randn(8, 3, 32, 32)
  local p = prune.plan(net, {criterion = "fpwt", wavelet = "db4", ratio = 0.5, calib = x, input = {1, 3, 32, 32}})
  local skipped, pruned = {}, 0
  for _, g in ipairs(p.groups) do
    if g.skipped then skipped[g.name] = g.skipped elseif g.after < g.before then pruned = pruned + 1 end
  end
  check.same(skipped["layer3.0.conv1"], "its 8×8 feature maps are too small for db4 at level 1 (the deepest they allow is 0): "
    .. "a shorter wavelet, or force = true (every coefficient then feels the boundary)")
  assert(skipped["layer1.0.conv1"] == nil and pruned > 0 and #p.kept["layer3.0.conv1"] == 64, "stage 3 whole, the rest pruned")
  local deep = prune.plan(net, {criterion = "fpwt", level = 4, ratio = 0.5, calib = x, input = {1, 3, 32, 32}})
  for _, g in ipairs(deep.groups) do
    if g.name == "layer3.0.conv1" then assert(g.skipped:find("at level 4 (the deepest they allow is 3): a shorter wavelet or a lower level", 1, true), g.skipped) end
    if g.name == "layer1.0.conv1" then assert(g.skipped == nil, "32×32 maps allow haar level 4") end
  end
  local forced = prune.plan(net, {criterion = "fpwt", wavelet = "db4", force = true, ratio = 0.5, calib = x, input = {1, 3, 32, 32}})
  for _, g in ipairs(forced.groups) do assert(g.skipped == nil, g.name) end
end
print("criteria_fpwt_entropy: ok")
