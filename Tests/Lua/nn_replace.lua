-- net:replace(path, module) and nn.swap(net, fn): modules changed in place, the rest of the
-- tree untouched, pruning and saving seeing the new tree; bad paths, cycles and bad answers
-- are clear errors that change nothing.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(11)

local net = nn.zoo.resnet20{classes = 10}
net:eval()
local x = tensor.randn(2, 3, 32, 32)
local y0 = net:forward(x)

-- A layer inside a residual block's (unnamed, inlined) body: an equal copy computes the same.
local conv = net:get("layer1.0.conv1")
local same = nn.Conv2d(16, 16, 3, {padding = 1, bias = false})
same.weight = conv.weight
local old = net:replace("layer1.0.conv1", same)
assert(old == conv, "replace returns the module that was there")
assert(net:get("layer1.0.conv1") == same)
check.near(net:forward(x), y0, 0, "an equal conv computes the same")

-- A different one changes the output; putting the old one back restores it.
net:replace("layer1.0.conv1", nn.Conv2d(16, 16, 3, {padding = 1, bias = false}))
assert((net:forward(x) - y0):abs():max() > 0, "a new conv changes the output")
net:replace("layer1.0.conv1", old)
check.near(net:forward(x), y0, 0, "the old conv back")

-- A whole block (a container), and a child of a Sequential by its name.
local block = net:get("layer3.2")
net:replace("layer3.2", nn.Identity())
check.same(net:get("layer3.2").type, "Identity")
net:replace("layer3.2", block)
check.near(net:forward(x), y0, 0, "the block back")
local fc = net:replace("linear", nn.Linear(64, 4))
check.same(net:forward(x):shape(), {2, 4}, "a new classifier")
net:replace("linear", fc)

-- Pruning and saving see the new tree: a gate after a conv, pruned through.
local gated = nn.zoo.vgg11{}
gated:replace("features.1", nn.Sequential{{"bn", gated:get("features.1")}, {"drop", nn.Dropout(0.2)}})
local plan = prune.plan(gated, {criterion = "l1", ratio = 0.5, input = {1, 3, 32, 32}})
plan:apply()
check.same(gated:get("features.0").out_channels, 32, "pruned through the new container")
check.same(gated:get("features.1.bn").num_features, 32)
local path = os.tmpname() .. ".safetensors"
gated:save(path)
local back = nn.load(path)
os.remove(path)
check.same(back:get("features.1.drop").type, "Dropout", "saved and loaded with the new tree")

-- Errors: nothing changes.
check.raises(function() net:replace("", nn.ReLU()) end, "root itself cannot be replaced")
check.raises(function() net:replace("layer1.0.conv9", nn.ReLU()) end, "no module at 'layer1.0.conv9'")
check.raises(function() net:replace("layer1", net) end, "replace")
check.raises(function() net:replace("linear", 42) end, "nn.Module expected")
local ac = nn.acnet(nn.zoo.vgg11{})
check.raises(function() ac:replace("features.0.square_conv", nn.ReLU()) end, "no module at")
check.near(net:forward(x), y0, 0, "failed replacements left the net as it was")

-- nn.swap: every ReLU for a LeakyReLU, paths returned; answers checked before anything changes.
local v = nn.zoo.vgg11{}
local relus = 0
for _, e in ipairs(v:named_modules()) do if e.module.type == "ReLU" then relus = relus + 1 end end
local swapped, paths = nn.swap(v, function(p, layer)
  if layer.type == "ReLU" then return nn.LeakyReLU(0.1) end
end)
assert(swapped == v)
check.same(#paths, relus, "every ReLU swapped")
for _, p in ipairs(paths) do check.same(v:get(p).type, "LeakyReLU", p) end

local r = nn.zoo.resnet20{}
local before = {}
for _, e in ipairs(r:named_modules()) do before[e.name] = e.module end
check.raises(function()
  nn.swap(r, function(p, layer) if p == "layer2.0.conv1" then error("no such layer wanted") end; return nn.Identity() end)
end, "no such layer wanted")
check.raises(function() nn.swap(r, function(p, layer) return 42 end) end, "a module or nil expected")
check.raises(function() nn.swap(r, "relu") end, "function(path, layer)")
for _, e in ipairs(r:named_modules()) do assert(before[e.name] == e.module, "unchanged after a failed swap: " .. e.name) end
