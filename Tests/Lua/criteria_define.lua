-- Criteria written in Lua: DESIGN.md's example as written (no `needs`: calibration data in the
-- call brings ctx.fmaps), clear errors for absent maps and gradients, the forms a
-- selection-based criterion may return, and net:parameters() read live.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(11)
local shape = {1, 3, 32, 32}
local net = nn.zoo.resnet20{}
net:eval()
local calib = tensor.randn(8, 3, 32, 32)

-- DESIGN.md, "The Lua API": defined without needs, planned with calib.
criteria.define("edge_energy", function(ctx)   -- ctx.weight, ctx.fmaps, ctx.bn, ctx.grad, ctx.layer
  local w = ctx.fmaps:dwt2("haar")   -- {ll=, lh=, hl=, hh=} = PyWavelets' cA, cH, cV, cD
  return (w.lh:pow(2) + w.hl:pow(2)):sum{3, 4}:mean(1)   -- one score per channel
end)
local scores = criteria.score(net, "edge_energy", {input = shape, calib = calib})
local maps = net:capture("layer1.0.relu1", calib)["layer1.0.relu1"]
local w = maps:dwt2("haar")
check.near(scores["layer1.0.conv1"], (w.lh:pow(2) + w.hl:pow(2)):sum{3, 4}:mean(1), 1e-4,
  "the scores are the example's formula on the maps after the group's ReLU")
local plan = prune.plan(nn.zoo.resnet20{}, {criterion = "edge_energy", ratio = 0.5, calib = calib})
assert(#plan.kept["layer1.0.conv1"] == 8, "the example plans")

-- Without calibration data the maps are absent (nil), and the error from using them says how
-- to get them.
local e = check.raises(function() criteria.score(net, "edge_energy", {input = shape}) end,
  "attempt to index a nil value (field 'fmaps'); ctx.fmaps is absent — give the call calibration data (calib = a loader)")
assert(e:find("^criterion 'edge_energy' on group conv1: "), e)
-- A criterion may ask: documented fields the call does not give read nil.
local asked = {}
criteria.define("optional", function(ctx)
  asked[#asked + 1] = {fmaps = ctx.fmaps ~= nil, grads = ctx.grads ~= nil, grad = ctx.grad ~= nil, ratio = ctx.ratio}
  if ctx.fmaps then return ctx.fmaps:mean{1, 3, 4} end
  return ctx.weight:abs():sum{2, 3, 4}
end)
local by_weight = criteria.score(net, "optional", {input = shape})
check.near(by_weight["layer1.0.conv1"], net["layer1.0.conv1"].weight:abs():sum{2, 3, 4}, 1e-6, "without calib: the weights")
assert(not asked[1].fmaps and not asked[1].grads and not asked[1].grad and asked[1].ratio == nil)
local by_maps = criteria.score(net, "optional", {input = shape, calib = calib})
check.near(by_maps["layer1.0.conv1"], maps:mean{1, 3, 4}, 1e-5, "with calib: the maps")
assert(asked[#asked].fmaps and not asked[#asked].grads)
-- needs = "weights" never captures, even with calib.
criteria.define("weights_only", function(ctx) return ctx.fmaps:mean{1, 3, 4} end, {needs = "weights"})
check.raises(function() criteria.score(net, "weights_only", {input = shape, calib = calib}) end,
  'it was defined with needs = "weights": define it with needs = "fmaps"')
-- Gradients come only with needs = "grads".
criteria.define("wants_grads", function(ctx) return (ctx.fmaps * ctx.grads):abs():mean{1, 3, 4} end, {needs = "fmaps"})
check.raises(function() criteria.score(net, "wants_grads", {input = shape, calib = calib}) end,
  'ctx.grads is absent — define the criterion with needs = "grads"')
-- ctx.grad (DESIGN.md's spelling) is ctx.grads, with the same hint when absent.
check.raises(function() criteria.define("wants_grad", function(ctx) return ctx.grad:mean{1, 3, 4} end)
  criteria.score(net, "wants_grad", {input = shape, calib = calib}) end, "(field 'grad'); ctx.grads is absent")
criteria.define("taylor_lua", function(ctx) return (ctx.fmaps * ctx.grad):mean(1):abs():mean{2, 3} end, {needs = "grads"})
local labelled = data.tensor_dataset(calib, tensor.new{1, 2, 3, 4, 5, 6, 7, 8})
local ts = criteria.score(net, "taylor_lua", {input = shape, calib = data.loader(labelled, {batch = 8})})
assert(ts["layer1.0.conv1"]:numel() == 16 and ts["layer1.0.conv1"]:sum() > 0, "ctx.grad holds the gradients")
-- A criterion given as a function behaves the same.
local got
local fn_plan = prune.plan(net, {criterion = function(ctx)
  if ctx.name == "layer1.0.conv1" then got = ctx.fmaps:mean{1, 3, 4} end
  return ctx.fmaps:mean{1, 3, 4}
end, ratio = 0.5, calib = calib})
assert(#fn_plan.kept["layer1.0.conv1"] == 8)
check.near(got, maps:mean{1, 3, 4}, 1e-5, "a bare function gets the maps with calib")
-- Other documented fields the call does not give read nil too (a group without BatchNorm has
-- no ctx.bn); a key that is no field is an error, a misspelt one with the field meant.
local seen = {}
criteria.define("probe", function(ctx)
  seen.bn, seen.gamma, seen.beta = ctx.bn, ctx.gamma, ctx.beta
  return ctx.weight:abs():sum{2, 3, 4}
end)
local small = nn.Sequential{nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 3)}
criteria.score(small, "probe", {input = {1, 3, 8, 8}})
assert(seen.bn == nil and seen.gamma == nil and seen.beta == nil, "absent documented fields read nil")
criteria.define("misspelt", function(ctx) if ctx.fmap then return ctx.fmap:mean{1, 3, 4} end return ctx.weight:abs():sum{2, 3, 4} end)
check.raises(function() criteria.score(small, "misspelt", {input = {1, 3, 8, 8}}) end,
  "criterion 'misspelt' on group 0: " .. arg[0])
check.raises(function() criteria.score(small, "misspelt", {input = {1, 3, 8, 8}}) end,
  "ctx.fmap is not a field of a criterion's context (did you mean 'fmaps'?); it has name, channels")
criteria.define("own_key", function(ctx) ctx.mine = 1; return ctx.weight:abs():sum{2, 3, 4} * ctx.mine end)
criteria.score(small, "own_key", {input = {1, 3, 8, 8}})   -- a field the criterion set reads as it is
check.raises(function() criteria.define("bad", function() end, {needs = {"fmaps", "grads"}}) end,
  'field \'needs\': one of "weights", "fmaps", "grads" (a string; "grads" gives ctx.fmaps too), got a table')
check.raises(function() criteria.define("bad", function() end, {needs = "maps"}) end, "field 'needs': expected one of")

-- A selection-based criterion may return {keep = list}, {keep = tensor}, a list or a tensor.
local forms = {
  record = function() return {keep = {1, 3, 4}} end,
  record_tensor = function() return {keep = tensor.new{1, 3, 4}} end,
  list = function() return {1, 3, 4} end,
  tensor = function() return tensor.new{1, 3, 4} end,
}
for name, f in pairs(forms) do
  criteria.define("sel_" .. name, f, {selection = true})
  local p = prune.plan(nn.zoo.resnet20{}, {criterion = "sel_" .. name, input = shape, ignore = {"conv1", "layer%d%.%d+%.conv2", "linear"}})
  check.same(p.kept["layer1.0.conv1"], {1, 3, 4}, "selection form " .. name)
end
-- A selection criterion given a ratio sizes its choice from ctx.ratio; one that does not read
-- it would ignore the ratio, an error as for foad (and targets never apply).
local tiny = function() return nn.Sequential{{"conv", nn.Conv2d(1, 4, 3)}, {"relu", nn.ReLU()}, {"head", nn.Conv2d(4, 2, 3)}} end
local tiny_shape = {1, 1, 8, 8}
criteria.define("first_two", function(ctx) return {1, 2} end, {selection = true})
check.same(prune.plan(tiny(), {criterion = "first_two", input = tiny_shape}).kept.conv, {1, 2}, "no ratio: its own choice")
check.raises(function() prune.plan(tiny(), {criterion = "first_two", ratio = 0.25, input = tiny_shape}) end,
  "criterion 'first_two' chose the channels of group conv without reading ctx.ratio, so the ratio 0.25 would not apply")
check.raises(function() prune.plan(tiny(), {criterion = "first_two", ratios = {conv = 0.25}, input = tiny_shape}) end,
  "without reading ctx.ratio")
check.raises(function() prune.plan(tiny(), {criterion = "first_two", target_params = 50, input = tiny_shape}) end,
  "field 'target_params': criterion 'first_two' chooses the channels each group keeps (selection = true), so target_params does not apply")
local tiny_eval = data.loader(data.tensor_dataset(tensor.randn(4, 1, 8, 8), tensor.zeros(4)), {batch = 4})
check.raises(function() prune.sensitivity(tiny(), {eval = tiny_eval, criterion = "first_two", ratios = {0.5}, input = tiny_shape}) end,
  "without reading ctx.ratio")
criteria.define("sized", function(ctx)
  local keep = {}
  for i = 1, math.floor(ctx.channels * (1 - (ctx.ratio or 0))) do keep[i] = i end
  return keep
end, {selection = true})
check.same(prune.plan(tiny(), {criterion = "sized", ratio = 0.5, input = tiny_shape}).kept.conv, {1, 2}, "read: the ratio applies")
check.raises(function() criteria.define("", function() end) end, "bad argument #1 to 'define' (a criterion's name must not be empty)")
criteria.define("sel_empty", function() return {keep = {}} end, {selection = true})
check.raises(function() prune.plan(nn.zoo.resnet20{}, {criterion = "sel_empty", input = shape}) end, "kept no channel")

-- net:parameters(): entries read live.
local mlp = nn.Sequential{nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)}
local ps = mlp:parameters()
assert(#ps == 4 and ps[1].name == "0.weight" and ps[1].grad == nil and ps[1].requires_grad == true)
assert(tostring(ps[1]) == "nn.Parameter 0.weight [3, 4]", tostring(ps[1]))
mlp:forward(tensor.randn(5, 4)); mlp:backward(tensor.ones(5, 2))
assert(ps[1].grad ~= nil, "a list taken before the backward shows its gradient")
check.near(ps[4].grad, tensor.new{5, 5}, 1e-6, "the last bias's gradient: five ones summed")
mlp:zero_grad()
assert(ps[1].grad == nil, "zero_grad clears what the entry shows")
check.raises(function() return ps[1].gard end, "parameter 0.weight has no field 'gard' (did you mean 'grad'?)")
-- after surgery the entry shows the module's new tensor
local conv_net = nn.zoo.resnet20{}
local cps = conv_net:parameters()
local first
for _, p in ipairs(cps) do if p.name == "layer1.0.conv1.weight" then first = p end end
prune.apply(conv_net, {["layer1.0.conv1"] = {1, 2}}, {input = shape})
check.same(first.value:shape(), {2, 16, 3, 3}, "the entry shows the pruned weight")
-- A Lua criterion's own options: declared with define, accepted by plan / score / sensitivity,
-- passed as fn's second argument; anything undeclared stays an error naming the way to declare.
local seen
criteria.define("lp", function(ctx, o) seen = o.p; return ctx.weight:abs():pow(o.p):sum{2, 3, 4} end, {options = {"p"}})
local lp3 = prune.plan(nn.zoo.resnet20{}, {criterion = "lp", p = 3, ratio = 0.5, input = shape})
assert(seen == 3, "fn reads its declared option")
local w = nn.zoo.resnet20{}
local direct = w["layer1.0.conv1"].weight:abs():pow(3):sum{2, 3, 4}
local via = criteria.score(w, "lp", {p = 3, input = shape})["layer1.0.conv1"]
check.near(via, direct, 1e-6, "the option changed the scores")
local err = check.raises(function() prune.plan(nn.zoo.resnet20{}, {criterion = "lp", q = 3, ratio = 0.5, input = shape}) end,
                         "unknown option 'q' for prune.plan")
assert(err:find("criteria.define(name, fn, {options =", 1, true), err)
check.raises(function() prune.plan(nn.zoo.resnet20{}, {criterion = function(ctx) return ctx.weight:abs():sum{2, 3, 4} end,
                                                       alpha = 1, input = shape}) end, "a Lua criterion's own options are declared")
check.raises(function() prune.plan(nn.zoo.resnet20{}, {criterion = "l1", p = 2, ratio = 0.5, input = shape}) end,
             "unknown option 'p' for prune.plan")
check.raises(function() criteria.score(nn.zoo.resnet20{}, "l1", {ratoi = 2, input = shape}) end,
             "bad argument #3 to 'score' (unknown option 'ratoi' for criteria.score")
check.raises(function() criteria.score(nn.zoo.resnet20{}, "l1", {criterion = "l2", input = shape}) end, "the criterion is argument #2")
local r1 = criteria.score(nn.zoo.resnet20{}, "random", {seed = 7, input = shape})["layer1.0.conv1"]
check.near(criteria.score(nn.zoo.resnet20{}, "random", {seed = 7, input = shape})["layer1.0.conv1"], r1, 0, "random's seed")
check.raises(function() criteria.define("bad", function() end, {options = {"ratio"}}) end, "'ratio' is an option of prune.plan")
check.raises(function() criteria.define("bad", function() end, {options = {1}}) end, "entry 1 must be a string")
check.raises(function() criteria.define("bad", function() end, {options = "p"}) end, "a list of option names expected, got string")
-- An error in a Lua criterion names the criterion and the group it was scoring, and carries
-- the traceback of where it was raised inside the criterion (once: the top level adds none).
local function inner(ctx) local t = nil; return t.x end
local inner_line = debug.getinfo(1, "l").currentline - 1
criteria.define("mine", function(ctx) local s = inner(ctx); return s end)
local crit_line = debug.getinfo(1, "l").currentline - 1
local small3 = nn.Sequential{{"features", nn.Sequential{nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 3)}}}
e = check.raises(function() criteria.score(small3, "mine", {input = {1, 3, 8, 8}}) end,
  "criterion 'mine' on group features.0: " .. arg[0] .. ":" .. inner_line .. ": attempt to index a nil value (local 't')")
assert(e:find("^criterion 'mine' on group features%.0: "), e)
assert(e:find("\nstack traceback:\n", 1, true), e)
assert(e:find(arg[0] .. ":" .. inner_line .. ": in upvalue 'inner'", 1, true), "the frame inside the criterion: " .. e)
assert(e:find(arg[0] .. ":" .. crit_line .. ": in function <", 1, true), "the criterion's own frame: " .. e)
assert(e:find("in function 'criteria.score'", 1, true), "and the call that ran it: " .. e)
local _, n = e:gsub("stack traceback:", "")
assert(n == 1, e)
-- uncaught, the script's error shows one traceback
local p = assert(io.popen(string.format("%q -e %q 2>&1", arg[-1], [[
criteria.define("mine", function(ctx) local t = nil; return t.x end)
criteria.score(nn.Sequential{nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 3)}, "mine", {input = {1, 3, 8, 8}})]])))
local top = p:read("a"); p:close()
assert(top:find("criterion 'mine' on group 0: (command line 1):1: attempt to index a nil value", 1, true), top)
local _, tops = top:gsub("stack traceback:", "")
assert(tops == 1, top)
-- reduce's errors name the criterion; an error value that is not a string is kept as it is
criteria.define("bad_reduce", function(ctx) return ctx.fmaps:mean{1, 3, 4} end,
  {needs = "fmaps", reduce = function(maps) error("no reduction") end})
check.raises(function() criteria.score(small3, "bad_reduce", {input = {1, 3, 8, 8}, calib = tensor.randn(2, 3, 8, 8)}) end,
  "reduce of criterion 'bad_reduce': " .. arg[0])
criteria.define("table_error", function(ctx) error({code = 5}) end)
local ok, te = pcall(criteria.score, small3, "table_error", {input = {1, 3, 8, 8}})
assert(not ok and type(te) == "table" and te.code == 5, tostring(te))
print("criteria_define: ok")
