-- Pruning while training: an AGP schedule applied from train.fit's epoch callback, the optimizer's
-- momentum sliced with the weights, training going on with the pruned shapes; sensitivity and report.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(2)
local shape = {1, 1, 28, 28}
local x = tensor.randn(64, 1, 28, 28)
local y = (tensor.rand(64) * 10):floor()
local loader = data.loader(data.tensor_dataset(x, y), {batch = 32, shuffle = true, seed = 1})

-- Schedules: cumulative ratios and the per-step ratio on the already-pruned net.
local s = prune.schedule{kind = "agp", ratio = 0.5, steps = 3}
check.near(s.ratios, {0.5 - 0.5 * (2 / 3) ^ 3, 0.5 - 0.5 * (1 / 3) ^ 3, 0.5}, 1e-9, "agp")
local kept = 1
for _, r in ipairs(s.steps) do kept = kept * (1 - r) end
check.near(kept, 0.5, 1e-9, "steps compose to the final ratio")
check.near(prune.schedule{kind = "iterative", ratio = 0.6, steps = 3}.ratios, {0.2, 0.4, 0.6}, 1e-9, "iterative")
check.near(prune.schedule{kind = function(k, n) return 0.1 * k end, steps = 2}.ratios, {0.1, 0.2}, 1e-9, "custom")
check.raises(function() prune.schedule{kind = "agp", ratio = 1.5} end, "ratio must be in [0, 1)")
check.raises(function() prune.schedule{kind = "agp", ratio = 0.5, steps = 1e9} end, "field 'steps': must be from 1 to 1000, got 1000000000")
assert(#prune.schedule{kind = "agp", ratio = 0.5, steps = 1000}.ratios == 1000)
check.raises(function() prune.schedule{kind = function(k) return 0.5 - 0.1 * k end, steps = 2} end, "must not decrease")

local net = nn.zoo.small_cnn{classes = 10}
local opt = train.sgd{lr = 0.01, momentum = 0.9}
local widths = {}
train.fit(net, loader, {epochs = 3, optimizer = opt, progress = false, on_epoch = function(e)
  prune.plan(net, {criterion = "l1", ratio = s.steps[e.epoch], input = shape}):apply(opt)
  widths[e.epoch] = net.conv2.out_channels
end})
-- Each step keeps floor(c * (1 - step ratio)) of the c channels left: 64 -> 41 -> 32 -> 30.
check.same(widths, {41, 32, 30}, "conv2 shrinks step by step")
-- Ratios of the original channels (of = "original"): step k leaves floor(64 * (1 - ratios[k]))
-- and the last step lands on the one-shot plan, in every group.
local function widths_of(m)
  return {m.conv1.out_channels, m.conv2.out_channels, m.fc1.out_features}
end
tensor.manual_seed(3)
local stepped, oneshot = nn.zoo.small_cnn{classes = 10}, nn.zoo.small_cnn{classes = 10}
local seen = {}
for k, ratio in ipairs(s.ratios) do
  prune.plan(stepped, {criterion = "l1", ratio = ratio, of = "original", input = shape}):apply()
  seen[k] = stepped.conv2.out_channels
end
check.same(seen, {41, 33, 32}, "of = original: floor(64 * (1 - r_k)) after step k")
prune.plan(oneshot, {criterion = "l1", ratio = 0.5, input = shape}):apply()
check.same(widths_of(stepped), widths_of(oneshot), "the last step equals one-shot in every group")
-- A ratio below what earlier steps removed removes nothing more; a per-group ratio counts the same way.
prune.plan(stepped, {criterion = "l1", ratio = 0.25, of = "original", input = shape}):apply()
check.same(widths_of(stepped), widths_of(oneshot), "no group grows or shrinks below its earlier steps")
prune.plan(stepped, {criterion = "l1", ratios = {conv2 = 0.75}, of = "original", input = shape}):apply()
check.same(stepped.conv2.out_channels, 16, "ratios entries count the original 64 too")
-- Global scope: the budget is the original total times the ratio, less what is gone already.
local g = nn.zoo.small_cnn{classes = 10}
local total = 0
for _, w in ipairs(widths_of(g)) do total = total + w end
prune.plan(g, {criterion = "l1", ratio = 0.2, scope = "global", input = shape}):apply()
prune.plan(g, {criterion = "l1", ratio = 0.4, scope = "global", of = "original", input = shape}):apply()
local left = 0
for _, w in ipairs(widths_of(g)) do left = left + w end
check.same(left, total - math.floor(total * 0.4), "global: 40 % of the original total removed in all")
-- The widths and the input shape travel with the file: a loaded net plans on with neither given again.
local path = os.tmpname()
stepped:save(path)
local loaded = nn.load(path)
os.remove(path)
check.same(prune.history(loaded).input, shape, "nn.load restores the input shape")
prune.plan(loaded, {criterion = "l1", ratio = 0.75, of = "original"}):apply()
check.same(loaded.conv2.out_channels, 16, "a loaded net knows conv2 had 64")
check.same(loaded.conv1.out_channels, 8, "and conv1 32")
-- A replayed history records the widths of the net it runs on.
local replayed = prune.replay(nn.zoo.small_cnn{classes = 10}, prune.history(stepped))
prune.plan(replayed, {criterion = "l1", ratio = 0.75, of = "original"}):apply()
check.same(replayed.conv2.out_channels, 16, "replay keeps the original widths")
-- A file whose history has no widths (written before they were kept) says so.
local old = os.tmpname()
nn.zoo.small_cnn{classes = 10}:save(old, {["topiary.pruning"] = '[{"conv2": [0, 1, 2]}]'})
local old_net = nn.load(old)
os.remove(old)
check.raises(function() prune.plan(old_net, {criterion = "l1", ratio = 0.5, of = "original", input = shape}) end,
  "group conv2 was pruned before, but its original width is not known")
prune.plan(old_net, {criterion = "l1", ratio = 0.5, input = shape}):apply()
check.same(old_net.conv2.out_channels, 32, "of the current channels it still plans")
-- Bad widths or input shape in a file: clear errors at nn.load.
for _, case in ipairs{
  {{["topiary.pruning"] = "[]", ["topiary.pruning.widths"] = '{"conv2": -3}'}, "original widths in the file are not"},
  {{["topiary.pruning"] = "[]", ["topiary.pruning.widths"] = "{"}, "original widths in the file are not"},
  {{["topiary.input"] = "[1, 0, 28]"}, "the input shape in its metadata is not"},
  {{["topiary.input"] = '"big"'}, "the input shape in its metadata is not"},
} do
  local f = os.tmpname()
  nn.zoo.small_cnn{classes = 10}:save(f, case[1])
  check.raises(function() nn.load(f) end, case[2])
  os.remove(f)
end
check.raises(function() prune.plan(oneshot, {criterion = "l1", target_macs = 1000, of = "original", input = shape}) end,
  "field 'of': target_macs is a count of the whole net")
check.raises(function() prune.plan(oneshot, {criterion = "l1", ratio = 0.5, of = "first", input = shape}) end, "field 'of'")

-- Training goes on with the pruned net and the sliced momentum.
local h = train.fit(net, loader, {epochs = 1, optimizer = opt, progress = false})
assert(h.epochs[1].loss == h.epochs[1].loss, "finite loss after pruning")

-- Sensitivity: each group alone, on copies; the net is untouched.
local fresh = nn.zoo.small_cnn{classes = 10}
local sens = prune.sensitivity(fresh, {eval = loader, ratios = {0.25, 0.75}, input = shape})
assert(sens.curves.conv1 and #sens.curves.conv1 == 2 and sens.curves.fc1)
assert(fresh.conv1.out_channels == 32, "sensitivity works on copies")
assert(tostring(sens.chart):find("plot"))
check.raises(function() prune.sensitivity(fresh, {ratios = {0.5}, input = shape}) end, "field 'eval'")
check.raises(function() prune.sensitivity(fresh, {eval = loader, ratios = {1.5}, input = shape}) end, "ratios must be")

-- Report: per-layer channels, MACs and params before and after, latency.
local r = prune.report(fresh, net, {input = shape, batches = {1, 4}, reps = 1})
assert(r.macs.after < r.macs.before and r.params.after < r.params.before)
assert(#r.layers == 4 and r.layers[2].name == "conv2" and r.layers[2].after == 30)
assert(#r.latency == 2 and r.latency[1].before_ms > 0)
assert(r.text:find("MACs"))
assert(tostring(r) == r.text, "print(report) prints its text")
check.raises(function() prune.report(fresh, net, {input = shape, batches = {1e30}}) end,
  "prune.report: batches must be whole numbers from 1 to 65536")
check.raises(function() prune.report(fresh, net, {input = shape, batches = {0}}) end, "batches must be whole numbers")
check.raises(function() prune.report(fresh, net, {input = shape, batches = {}}) end, "batches must be whole numbers")
check.raises(function() prune.report(nn.zoo.resnet20{}, nn.zoo.vgg11{}, {input = {1, 3, 32, 32}, latency = false}) end,
  "prune.report: the two nets are not one architecture before and after pruning: the original's Conv2d 'conv1' has no counterpart")

-- A plan's per-layer estimate (channels, MACs, params) is what the pruned net measures.
local shape32 = {1, 3, 32, 32}
local orig, cut = nn.zoo.resnet20{}, nn.zoo.resnet20{}
local plan = prune.plan(cut, {criterion = "l1", ratio = 0.4, input = shape32, ignore = {"conv1"}})
local text = tostring(plan)
assert(text:find("\nlayer%s+in%s+out%s+MACs %(M%)%s+params %(K%)\n"), text)
assert(text:find("\nlayer1%.0%.conv1%s+16%s+16 → 9%s+2%.36 → 1%.33%s+2%.3 → 1%.3\n"), text)
assert(text:find("\nlayer1%.0%.conv2%s+16 → 9%s+16%s+2%.36 → 1%.33%s+2%.3 → 1%.3\n"), text)
assert(text:find("\nconv1%s+3%s+16%s+0%.44%s+0%.4\n"), "an unchanged layer shows one value")
plan:apply()
local rep = prune.report(orig, cut, {input = shape32, latency = false})
assert(#plan.layers == 20 and #rep.layers == 20)
for i, l in ipairs(plan.layers) do
  local m = rep.layers[i]
  check.same({l.name, l.in_before, l.in_after, l.out_before, l.out_after, l.macs_before, l.macs_after, l.params_before, l.params_after},
    {m.name, m.in_before, m.in_after, m.out_before, m.out_after, m.macs_before, m.macs_after, m.params_before, m.params_after},
    "layer " .. l.name .. ": estimate = measurement")
  assert(m.before == m.out_before and m.after == m.out_after)
end
local macs = 0
for _, l in ipairs(plan.layers) do macs = macs + l.macs_after end
assert(macs == plan.macs.after, "the layers' MACs sum to the plan's")
-- read first after apply, the per-layer figures are still those planned
local late = prune.plan(nn.zoo.resnet20{}, {criterion = "l1", ratio = 0.4, input = shape32, ignore = {"conv1"}})
late:apply()
check.same({late.layers[2].params_before, late.layers[2].params_after}, {plan.layers[2].params_before, plan.layers[2].params_after})
print("prune_training ok")
