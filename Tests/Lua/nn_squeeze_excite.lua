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

-- Errors.
check.raises(function() nn.SqueezeExcite(0, 4) end, "must be positive")
check.raises(function() nn.SqueezeExcite(8) end, "bad argument #2")
check.raises(function() nn.SqueezeExcite(8, 2, {activation = 3}) end, "activation")
check.raises(function() nn.SqueezeExcite(8, 2, {gate = nn.Sigmoid()}) end, "gate")
check.raises(function() nn.SqueezeExcite(8, 2):forward(tensor.randn(2, 8)) end, "[N, C, H, W]")
check.raises(function() nn.SqueezeExcite(8, 2):forward(tensor.randn(1, 6, 4, 4)) end, "conv")
print("nn_squeeze_excite ok")
