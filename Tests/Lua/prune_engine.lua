-- The pruning engine from Lua: groups, surgery by hand, capture and hooks, criteria (built in
-- and defined in Lua), plans, history and replay, and every bad input as a clear error.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(5)
local shape = {1, 3, 32, 32}

-- Groups of a CIFAR ResNet-20 (option A): 9 inner groups, 3 residual streams, the frozen linear.
local net = nn.zoo.resnet20{}
local groups = prune.groups(net, shape)
assert(#groups == 13, "13 groups, got " .. #groups)
assert(#prune.check(net, shape) == 0, "the pre-flight check finds no problem")
local byName = {}
for _, g in ipairs(groups) do byName[g.name] = g end
local inner = byName["layer1.0.conv1"]
assert(inner and inner.channels == 16 and inner.prunable)
check.same(inner.layers, {"layer1.0.conv1", "layer1.0.bn1", "layer1.0.conv2"})
assert(tostring(inner):find("group layer1.0.conv1 (16 channels)", 1, true))
local stream = byName["conv1"]
assert(stream.prunable and #stream.layers > 10, "the stage-1 residual stream is one prunable group")
assert(not byName["linear"].prunable and byName["linear"].reason:find("network output"))
check.raises(function() return inner.wieght end, "prune.Group has no field 'wieght'")

-- Surgery by hand: kept channels are 1-based; weights, BN and the consumer are sliced.
local x = tensor.randn(2, 3, 32, 32)
net:eval()
local w = net.layer1[1].conv1.weight:clone()
prune.apply(net, {["layer1.0.conv1"] = {1, 3, 4}})
assert(net.layer1[1].conv1.out_channels == 3 and net.layer1[1].bn1.num_features == 3)
assert(net.layer1[1].conv2.in_channels == 3)
check.near(net.layer1[1].conv1.weight[2], w[3], 0, "kept filter 3 is now filter 2")
check.same(net:forward(x):shape(), {2, 10})
assert(net:validate(shape))
check.same(prune.history(net)[1]["layer1.0.conv1"], {1, 3, 4})

-- Bad keep-sets name the group and leave the net untouched.
check.raises(function() prune.apply(net, {["layer1.0.conv1"] = {}}) end, "keep-set of group layer1.0.conv1 is empty")
check.raises(function() prune.apply(net, {["layer1.0.conv1"] = {1, 1}}) end, "lists channel 1 twice")
check.raises(function() prune.apply(net, {["layer1.0.conv1"] = {0, 2}}) end, "channel index 0 is out of range")
check.raises(function() prune.apply(net, {["layer1.0.conv1"] = tensor.new{1, 1e30}}) end,
  "group layer1.0.conv1: index 1.0000000150474662e+30 is not an integer channel index")
check.raises(function() prune.apply(net, {["layer1.0.conv1"] = tensor.new{1, 0/0}}) end, "is not an integer channel index")
check.raises(function() prune.apply(net, {["layer1.0.conv1"] = {1, 9}}) end, "index 9 is out of range")
check.raises(function() prune.apply(net, {["nope"] = {1}}) end, "no group named 'nope'")
check.raises(function() prune.apply(net, {["linear"] = {1, 2}}) end, "cannot be pruned")
check.raises(function() prune.apply(nn.zoo.resnet20{}, {}, {}) end,
  "prune.apply: give the input shape in the options table, argument #3 (prune.apply(…, {input = {1, 3, 32, 32}}))")
check.raises(function() prune.apply(nn.zoo.resnet20{}, {["layer1.0.conv1"] = {1}, input = {1, 3, 32, 32}}) end,
  "'input' goes in the options table, argument #3: prune.apply(net, {[group] = kept}, {input = …})")
-- a member layer's name says which group holds it
check.raises(function() prune.apply(net, {["layer1.0.bn1"] = {1}}) end,
  "no group named 'layer1.0.bn1': that layer is a member of group 'layer1.0.conv1'")
assert(net.layer1[1].conv1.out_channels == 3)

-- Capture: outputs by name or pattern, batch dim concatenated, optional per-batch reduce.
local fresh = nn.zoo.resnet20{}
local maps = fresh:capture({"layer1.0.relu1", "layer2%.%d+%.relu2"}, x)
check.same(maps["layer1.0.relu1"]:shape(), {2, 16, 32, 32})
check.same(maps["layer2.2.relu2"]:shape(), {2, 32, 16, 16})
local red = fresh:capture("layer1.0.relu1", x, {reduce = function(t) return t:mean{3, 4} end})
check.same(red["layer1.0.relu1"]:shape(), {2, 16})
check.near(red["layer1.0.relu1"], maps["layer1.0.relu1"]:mean{3, 4}, 1e-5, "reduce")
-- Over several batches of a loader (the last one short), fused runs write the maps straight
-- into the result: the same values as a hook sees layer by layer (a hook turns fusion off)
-- and as a reduce that hands each batch back whole.
local imgs = tensor.randn(7, 3, 32, 32)
local ld = data.loader(data.tensor_dataset(imgs, tensor.zeros(7)), {batch = 3})
local names = {"layer1.0.relu1", "layer3.2.relu1"}
local whole = fresh:capture(names, ld, {batches = 3})
check.same(whole["layer1.0.relu1"]:shape(), {7, 16, 32, 32})
check.same(whole["layer3.2.relu1"]:shape(), {7, 64, 8, 8})
local kept = fresh:capture(names, ld, {batches = 3, reduce = function(t) return t:clone() end})
local seen = {}
local hook = fresh:register_forward_hook("layer3.2.relu1", function(m, inp, out) seen[#seen + 1] = out:clone() end)
local hooked = fresh:capture(names, ld, {batches = 3})
hook:remove()
assert(#seen == 3, "the hook saw three batches")
for _, n in ipairs(names) do
  check.near(whole[n], kept[n], 0, "in place = reduce's copies: " .. n)
  check.near(whole[n], hooked[n], 0, "in place = layer by layer: " .. n)
end
check.near(whole["layer3.2.relu1"], tensor.cat(seen), 0, "= the hook's own outputs")
check.near(fresh:capture(names, ld, {batches = 2})["layer1.0.relu1"], whole["layer1.0.relu1"]:narrow(1, 1, 6), 0, "two batches")
check.raises(function() fresh:capture({"layer9.relu"}, x) end, "no module named or matching 'layer9.relu'")
check.raises(function() fresh:capture("conv1", x, {batches = 0}) end, "must be positive")

-- Forward hooks: called on every forward, may replace the output, removable.
local calls = 0
local h = fresh:register_forward_hook("layer1.0.relu1", function(m, inp, out) calls = calls + 1 end)
fresh:forward(x); fresh:forward(x)
assert(calls == 2)
h:remove(); fresh:forward(x)
assert(calls == 2, "a removed hook is not called")
local z = fresh:register_forward_hook("linear", function(m, inp, out) return out * 0 end)
assert(fresh:forward(x):abs():sum() == 0, "a hook's tensor replaces the output")
z:remove()

-- Criteria: built-ins, a Lua one equal to l1, scores without planning.
criteria.define("l1_lua", function(ctx) return ctx.weight:abs():sum{2, 3, 4} end)
local s1 = criteria.score(fresh, "l1", {input = shape})
local s2 = criteria.score(fresh, "l1_lua", {input = shape})
check.near(s1["layer2.0.conv1"], s2["layer2.0.conv1"], 1e-3, "Lua l1 equals built-in l1")
local names = criteria.list()
assert(names[1] == "random" and names[#names] == "l1_lua")
local hr = criteria.score(fresh, "hrank", {input = shape, calib = x})
assert(hr["layer1.0.conv1"]:numel() == 16 and hr["layer1.0.conv1"]:max() <= 32)
check.raises(function() criteria.score(fresh, "hrank", {input = shape}) end, "needs calibration data")
check.raises(function() criteria.score(fresh, "nope", {input = shape}) end, "unknown criterion 'nope'")

-- Bad criteria: wrong count, NaN, wrong type, bad keep-sets.
criteria.define("short", function(ctx) return tensor.ones(3) end)
criteria.define("nan", function(ctx) return tensor.ones(ctx.channels) / 0 * 0 end)
criteria.define("word", function(ctx) return "high" end)
criteria.define("dups", function(ctx) return {1, 1} end, {selection = true})
criteria.define("none", function(ctx) return {} end, {selection = true})
criteria.define("boom", function(ctx) error("criterion exploded") end)
local p = {input = shape, ratio = 0.5}
local function plan_with(c) p.criterion = c; return prune.plan(fresh, p) end
check.raises(function() plan_with("short") end, "for group conv1 returned a tensor of shape [3]; expected 16 scores")
check.raises(function() plan_with("nan") end, "returned a score of")
check.raises(function() plan_with("word") end, "returned a string")
check.raises(function() plan_with("dups") end, "twice")
check.raises(function() plan_with("none") end, "kept no channel")
check.raises(function() plan_with("boom") end, "criterion exploded")

-- Plans: touch nothing, print, expose kept indices, apply once.
local before = fresh.layer1[1].conv1.out_channels
local plan = prune.plan(fresh, {criterion = "l1", ratio = 0.5, ignore = {"conv1", "layer%d%.%d+%.conv2", "linear"}, input = shape})
assert(fresh.layer1[1].conv1.out_channels == before, "planning touches nothing")
assert(#plan.kept["layer1.0.conv1"] == 8 and #plan.kept["conv1"] == 16)
assert(tostring(plan):find("MACs"), tostring(plan))
assert(plan.params.after < plan.params.before)
plan:apply()
assert(fresh.layer1[1].conv1.out_channels == 8 and fresh.conv1.out_channels == 16)
check.raises(function() plan:apply() end, "already applied")
local path = os.tmpname()
plan:save(path)
local f = io.open(path); local text = f:read("a"); f:close(); os.remove(path)
assert(text:find('"criterion": "l1"', 1, true) and text:find('"layer1.0.conv1"', 1, true))
-- A criterion's name is the user's: quotes, backslashes and control characters are escaped.
criteria.define('my "odd"\\ l1\n', function(ctx) return ctx.weight:abs():sum{2, 3, 4} end)
local odd = prune.plan(nn.zoo.resnet20{}, {criterion = 'my "odd"\\ l1\n', ratio = 0.25, input = shape})
odd:save(path)
f = io.open(path); text = f:read("a"); f:close(); os.remove(path)
assert(text:find('"criterion": "my \\"odd\\"\\\\ l1\\n",', 1, true), text)

-- A plan applied to a net that changed since is refused.
local n2 = nn.zoo.resnet20{}
local stale = prune.plan(n2, {ratio = 0.3, input = shape})
prune.apply(n2, {["layer1.1.conv1"] = {1, 2}})
check.raises(function() stale:apply() end, "changed since it was planned")

-- Bad plan options.
check.raises(function() prune.plan(n2, {ratio = 1.2, input = shape}) end, "ratio must be in [0, 1)")
check.raises(function() prune.plan(n2, {ratio = -0.1, input = shape}) end, "ratio must be in [0, 1)")
check.raises(function() prune.plan(n2, {ratio = 0.5, ignore = {"nothing%d"}, input = shape}) end, "'nothing%d' matches no layer")
check.raises(function() prune.plan(n2, {ratios = {["zzz"] = 0.5}, input = shape}) end, "'zzz' matches no group")
check.raises(function() prune.plan(n2, {ratio = 0.5, target_macs = 1e6, input = shape}) end, "give one of")
check.raises(function() prune.plan(n2, {ratio = 0.5, scope = "galactic", input = shape}) end, "field 'scope'")

-- History and replay: a saved pruned net reloads with its channels and history; replay on fresh weights.
local saved = os.tmpname() .. ".safetensors"
fresh:save(saved)
local back = nn.load(saved)
os.remove(saved)
assert(back.layer1[1].conv1.out_channels == 8)
fresh:eval()
check.near(back:forward(x), fresh:forward(x), 1e-4, "reloaded pruned net")
local replayed = prune.replay(nn.zoo.resnet20{}, prune.history(back), {input = shape})
assert(replayed.layer3[1].conv1.out_channels == 32)
-- The history of a traced net carries its input shape, so replay needs none; net:save keeps
-- the shape, so a loaded net's history has it too. A history without one asks for it.
local h = prune.history(fresh)
check.same(h.input, shape, "history.input")
assert(prune.replay(nn.zoo.resnet20{}, h).layer3[1].conv1.out_channels == 32, "replayed without input")
check.same(prune.history(back).input, shape, "a loaded net's history.input")
assert(prune.replay(nn.zoo.resnet20{}, prune.history(back)).layer3[1].conv1.out_channels == 32)
check.raises(function() prune.replay(nn.zoo.resnet20{}, {{["layer1.0.conv1"] = {1, 2}}}) end, "prune.replay: give the input shape")

-- Target MACs: the plan meets the target.
local t = prune.plan(nn.zoo.resnet20{}, {criterion = "l2", target_macs = 25e6, input = shape})
assert(t.macs.after <= 25e6 and t.macs.after > 15e6, t.macs.after)
-- Global scope keeps at least one channel per group and prunes the requested share overall.
local gp = prune.plan(nn.zoo.resnet20{}, {criterion = "l1", scope = "global", ratio = 0.4, input = shape})
for _, g in ipairs(gp.groups) do assert(g.after >= 1) end
-- load_state_dict{reshape = true} checks the loaded net at its input shape: a forgotten slice
-- names the layer and nothing is loaded; the complete pruned dict loads.
local src = nn.zoo.resnet20{}
prune.apply(src, {["layer1.0.conv1"] = {1, 2, 3}}, {input = shape})
local good = src:state_dict()
local forgot = src:state_dict()
local full = nn.zoo.resnet20{}:state_dict()
for _, k in ipairs({"weight", "bias", "running_mean", "running_var"}) do
  forgot["layer1.0.bn1." .. k] = full["layer1.0.bn1." .. k]   -- bn1 left unsliced
end
local dst = nn.zoo.resnet20{}
local w0 = dst.layer1[1].conv1.weight:clone()
local err = check.raises(function() dst:load_state_dict(forgot, {reshape = true, input = shape}) end, "layer1.0.bn1")
assert(err:find("nothing was loaded", 1, true), err)
assert(dst.layer1[1].conv1.out_channels == 16, "a refused load leaves the net as it was")
check.near(dst.layer1[1].conv1.weight, w0, 0, "weights restored")
-- Without `input`, the shape last used with the net (prune.groups, validate) is the one checked.
local dst2 = nn.zoo.resnet20{}
assert(dst2:validate(shape))
check.raises(function() dst2:load_state_dict(forgot, {reshape = true}) end, "layer1.0.bn1")
assert(dst2.layer1[1].conv1.out_channels == 16)
-- An unknown shape: the load is not checked (as before); a bad input option is an error.
local dst3 = nn.zoo.resnet20{}
dst3:load_state_dict(forgot, {reshape = true})
assert(dst3.layer1[1].conv1.out_channels == 3)
check.raises(function() dst3:validate(shape) end, "layer1.0.bn1")
dst2:load_state_dict(good, {reshape = true})
assert(dst2.layer1[1].conv1.out_channels == 3 and dst2.layer1[1].bn1.num_features == 3)
dst2:eval(); src:eval()
check.near(dst2:forward(x), src:forward(x), 1e-5, "the complete pruned dict loads")
-- A stream pruned in an option-A ResNet cannot be loaded from a dict: the error says what can.
local streamy = nn.zoo.resnet20{}
prune.plan(streamy, {criterion = "l1", ratio = 0.5, input = shape}):apply()
check.raises(function() nn.zoo.resnet20{}:load_state_dict(streamy:state_dict(), {reshape = true, input = shape}) end,
  "(this net has option-A shortcuts, whose channel maps a state dict does not hold: read a pruned net back with nn.load from its net:save file)")

-- Patterns: names in `ignore` and `ratios` match whole names; one plan matches many at once.
local pp = prune.plan(nn.zoo.resnet20{}, {ratio = 0.5, ratios = {["layer1%.%d%.conv1"] = 0.25},
                                          ignore = {"conv1", "layer%d%.%d+%.conv2", "linear", "layer3.2.conv1"}, input = shape})
assert(#pp.kept["layer1.0.conv1"] == 12 and #pp.kept["layer2.0.conv1"] == 16 and #pp.kept["layer3.2.conv1"] == 64)
check.raises(function() prune.plan(nn.zoo.resnet20{}, {ratio = 0.5, ignore = {"layer1.0.conv"}, input = shape}) end,
  "'layer1.0.conv' matches no layer")
check.raises(function() prune.plan(nn.zoo.resnet20{}, {ratio = 0.5, ignore = {"layer[1"}, input = shape}) end,
  "malformed pattern")
-- A Lua criterion whose reduce maps each image to its own rows may say so (per_image = true):
-- a large calibration batch then runs through the model in parts, with the same scores.
local sizes = {}
local function taylor_rows(maps, grads)
  sizes[#sizes + 1] = maps:size(1)
  return (maps * grads):mean{3, 4}
end
local function taylor_score(ctx) return ctx.fmaps:mean{1}:abs() end
criteria.define("taylor_parts", taylor_score, {needs = "grads", reduce = taylor_rows, per_image = true})
criteria.define("taylor_whole", taylor_score, {needs = "grads", reduce = taylor_rows})
local tnet = nn.zoo.resnet20{}
tnet:eval()
local labels = {}
for i = 1, 96 do labels[i] = (i - 1) % 10 end
local calib = data.loader(data.tensor_dataset(tensor.randn(96, 3, 32, 32), tensor.new(labels):long()), {batch = 96})
local parted = criteria.score(tnet, "taylor_parts", {input = shape, calib = calib})
local partSizes = sizes
sizes = {}
local whole = criteria.score(tnet, "taylor_whole", {input = shape, calib = calib})
for _, n in ipairs(partSizes) do assert(n < 96, "per_image: the batch ran in parts, got one of " .. n) end
for _, n in ipairs(sizes) do assert(n == 96, "without per_image the reducer sees whole batches, got " .. n) end
assert(#partSizes > #sizes, "more reductions in parts")
for name, s in pairs(whole) do
  check.near(parted[name], s, 1e-5 * (s:abs():max() + 1e-30), "group " .. name .. " scores the same in parts")
end
check.raises(function() criteria.define("bad_parts", taylor_score, {needs = "grads", per_image = "yes"}) end,
  "per_image")
-- Without a reduce, ctx.fmaps and ctx.grads are the whole maps and gradients [N, C, H, W]
-- (the gradients were missing until 2026-12-05): the same Taylor scores, reduced in the score.
criteria.define("taylor_plain", function(ctx)
  check.same(ctx.grads:shape(), ctx.fmaps:shape(), "grads beside the maps at " .. ctx.name)
  return (ctx.fmaps * ctx.grads):mean{3, 4}:mean{1}:abs()
end, {needs = "grads"})
local plain = criteria.score(tnet, "taylor_plain", {input = shape, calib = calib})
for name, s in pairs(whole) do
  check.near(plain[name], s, 1e-5 * (s:abs():max() + 1e-30), "group " .. name .. ": ctx.grads gives reduce's scores")
end
-- a forward from Lua gives later pruning calls their shape: one image of its input
do
  local r = nn.zoo.resnet20{}
  check.raises(function() prune.plan(r, {ratio = 0.3}) end, "give the input shape")
  r:forward(tensor.randn(4, 3, 32, 32))
  local p = prune.plan(r, {ratio = 0.5})
  assert(#p.kept["layer1.0.conv1"] == 8, "traced from the forward's shape")
  local g = nn.zoo.resnet20{in_channels = 1}
  g(tensor.randn(2, 1, 28, 28))
  local first = prune.plan(g, {ratio = 0.5}).layers[1]
  assert(first.name == "conv1" and first.macs_before == 16 * 9 * 28 * 28, "traced at 1×28×28: " .. first.macs_before)
end
-- messages that show what was given and name the option it came in
do
  local r = nn.zoo.resnet20{}
  check.raises(function() prune.plan(r, {ratio = 0/0, input = shape}) end, "a ratio must be in [0, 1), got nan")
  check.raises(function() prune.apply(r, {conv1 = {1.5, 2}}, {input = shape}) end, "entry 1 must be an integer channel index, got 1.5")
  check.raises(function() prune.apply(r, {conv1 = {1, 2}}, {input = {-1, 3, 32, 32}}) end,
    "bad argument #3 to 'apply' (field 'input': invalid size -1 at position 1 of the shape)")
  check.raises(function() prune.plan(r, {ratios = {["layer1.["] = 0.3}, input = shape}) end,
    "name pattern 'layer1.[': malformed pattern (missing ']') (names match exactly, or whole as a Lua pattern: %. for a dot)")
  check.raises(function() train.schedule.multistep{milestones = {"a"}} end,
    "bad argument #1 to 'multistep' (field 'milestones': milestones entry 1 must be a number, got string)")
end
print("prune_engine ok")
