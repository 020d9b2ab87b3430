-- nn.SqueezeExcite: torchvision's layout and values, pruned through (the block's channels take
-- fc1's inputs and fc2's outputs; the squeeze channels are a group), masked, saved, swapped
-- inside, scored by a gradient criterion, trained; bad arguments are clear errors.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(9)

local se = nn.SqueezeExcite(6, 2)
check.same(se.fc1.weight:shape(), {2, 6, 1, 1})
check.same(se.fc2.weight:shape(), {6, 2, 1, 1})
check.same(se.scale_activation.type, "Sigmoid")
local x = tensor.randn(3, 6, 5, 5)
-- by hand: channel means, two 1×1 convs as matrix products, ReLU, sigmoid, broadcast product
local m = x:mean({3, 4})                                                    -- [3, 6]
local h = (m:matmul(se.fc1.weight:reshape(2, 6):t()) + se.fc1.bias):relu()   -- [3, 2]
local s = (h:matmul(se.fc2.weight:reshape(6, 2):t()) + se.fc2.bias):sigmoid() -- [3, 6]
check.near(se:forward(x), x * s:reshape(3, 6, 1, 1), 1e-5, "x times the gate")

local function net()
  tensor.manual_seed(4)
  local n = nn.Sequential{
    {"conv1", nn.Conv2d(3, 16, 3, {padding = 1})}, {"bn1", nn.BatchNorm2d(16)}, {"act1", nn.Hardswish()},
    {"se", nn.SqueezeExcite(16, 4, {scale_activation = nn.Hardsigmoid()})},
    {"conv2", nn.Conv2d(16, 8, 3, {padding = 1, stride = 2})}, {"bn2", nn.BatchNorm2d(8)}, {"act2", nn.ReLU()},
    {"pool", nn.AdaptiveAvgPool2d(1)}, {"flatten", nn.Flatten()}, {"fc", nn.Linear(8, 4)}}
  n:train()
  for _ = 1, 4 do n:forward(tensor.randn(8, 3, 8, 8)) end
  n:eval()
  return n
end
local xs = tensor.randn(4, 3, 8, 8)
local a = net()
local names = {}
for _, g in ipairs(prune.groups(a, {1, 3, 8, 8})) do names[#names + 1] = g.name end
check.same(names, {"conv1", "se.fc1", "conv2", "fc"})
local masked = a:clone()
prune.plan(masked, {criterion = "l1", ratio = 0.5, input = {1, 3, 8, 8}}):mask()
prune.plan(a, {criterion = "l1", ratio = 0.5, input = {1, 3, 8, 8}}):apply()
check.same(a.se.fc1.weight:shape(), {2, 8, 1, 1})
check.same(a.se.fc2.weight:shape(), {8, 2, 1, 1})
local y = a:forward(xs)
check.near(masked:forward(xs), y, 1e-5, "the masked net computes what the pruned one does")
local path = os.tmpname()
a:save(path)
local back = nn.load(path)
back:eval()
check.near(back:forward(xs), y, 0, "saved and reloaded")
os.remove(path)

-- nn.swap walks into the block; net:replace reaches its children by path.
local b = net()
local _, swapped = nn.swap(b, function(_, l) if l.type == "ReLU" then return nn.SiLU() end end)
check.same(swapped, {"se.activation", "act2"})
b:replace("se.scale_activation", nn.Sigmoid())
check.same(b.se.scale_activation.type, "Sigmoid")
check.raises(function() b.se:replace("gate", nn.Sigmoid()) end, "no module at 'gate'")

-- A gradient criterion through the block, then fine-tuning the pruned net.
local ys = tensor.new{0, 1, 2, 3, 0, 1, 2, 3}:long()
local loader = data.loader(data.tensor_dataset(tensor.randn(8, 3, 8, 8), ys), {batch = 4})
local c = net()
local plan = prune.plan(c, {criterion = "taylor", ratio = 0.25, calib = loader, batches = 2, input = {1, 3, 8, 8}})
plan:apply()
check.same(c.se.fc1.weight:shape()[2], 12)
train.fit(c, loader, {epochs = 1, optimizer = train.sgd{lr = 0.01, momentum = 0.9}, log = false})

-- Squeeze-and-excitation on a Concat's output (SE-Inception): its fc2 ties the branches'
-- channels into one group that no single layer makes. Map criteria read it where every
-- channel is (the SE's output), weight criteria skip it and say why, and a plan keeps at least
-- one channel of each branch (here ratio 0.9 would otherwise empty a branch).
local function inception_se()
  tensor.manual_seed(6)
  local n = nn.Sequential{
    {"stem", nn.Conv2d(3, 8, 3, {padding = 1})}, {"relu", nn.ReLU()},
    {"mix", nn.Concat{{"a", nn.Sequential{{"conv", nn.Conv2d(8, 2, 1)}, {"act", nn.ReLU()}}},
                      {"b", nn.Sequential{{"conv", nn.Conv2d(8, 6, 3, {padding = 1})}, {"act", nn.ReLU()}}}}},
    {"se", nn.SqueezeExcite(8, 2)},
    {"pool", nn.AdaptiveAvgPool2d(1)}, {"flatten", nn.Flatten()}, {"fc", nn.Linear(8, 3)}}
  n:eval()
  return n
end
local calib = tensor.randn(8, 3, 8, 8)
local l1 = prune.plan(inception_se(), {criterion = "l1", ratio = 0.5, input = {1, 3, 8, 8}})
local skipped
for _, g in ipairs(l1.groups) do if g.name == "mix.a.conv" then skipped = g.skipped end end
assert(skipped and skipped:find("come from 3 layers"), "l1 skips the tied group: " .. tostring(skipped))
local tied = inception_se()
local m2 = tied:clone()
local hp = prune.plan(tied, {criterion = "hrank", ratio = 0.9, input = {1, 3, 8, 8}, calib = calib})
local kept = hp.kept["mix.a.conv"]
local a, b = 0, 0
for _, k in ipairs(kept) do if k <= 2 then a = a + 1 else b = b + 1 end end
assert(a >= 1 and b >= 1, "each branch keeps a channel: " .. a .. " and " .. b)
prune.plan(m2, {criterion = "hrank", ratio = 0.9, input = {1, 3, 8, 8}, calib = calib}):mask()
hp:apply()
check.near(m2:forward(xs), tied:forward(xs), 1e-5, "SE on a Concat: masked equals pruned")

-- Errors.
check.raises(function() nn.SqueezeExcite(0, 4) end, "must be positive")
check.raises(function() nn.SqueezeExcite(8) end, "bad argument #2")
check.raises(function() nn.SqueezeExcite(8, 2, {activation = 3}) end, "activation")
check.raises(function() nn.SqueezeExcite(8, 2, {gate = nn.Sigmoid()}) end, "gate")
check.raises(function() nn.SqueezeExcite(8, 2):forward(tensor.randn(2, 8)) end, "[N, C, H, W]")
check.raises(function() nn.SqueezeExcite(8, 2):forward(tensor.randn(1, 6, 4, 4)) end, "conv")
print("nn_squeeze_excite ok")
