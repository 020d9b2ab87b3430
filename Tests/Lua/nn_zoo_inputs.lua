-- Every zoo network takes the default dataset: in_channels = 1 (Fashion-MNIST's grey images)
-- and, where the last pooling depends on the image side, input = 28; the defaults build the
-- same networks as before (bit-equal outputs under one seed); bad values are clear errors.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
local grey = tensor.randn(2, 1, 28, 28)

local grey_nets = {
  resnet20 = {}, resnet56 = {option = "B"}, resnet18 = {classes = 10}, resnet50 = {classes = 10},
  densenet40 = {input = 28}, googlenet = {input = 28}, mobilenetv2 = {}, mobilenetv3_small = {}, mobilenetv3_large = {},
  vgg = {cfg = {16, "M", 32, "M"}, input = 28},
}
for name, opts in pairs(grey_nets) do
  opts.in_channels = 1
  tensor.manual_seed(3)
  local net = nn.zoo[name](opts)
  net:eval()
  local y = nn.no_grad(function() return net:forward(grey) end)
  check.same(y:shape(), {2, 10}, name .. " on 1×28×28 images")
  local s = y:abs():sum(); assert(s == s and s < math.huge, name .. ": finite logits")
end
-- DenseNet's and GoogLeNet's last AvgPool takes the plane left: 7×7 from 28, 8×8 from 32.
assert(tostring(nn.zoo.densenet40{in_channels = 1, input = 28}):find("AvgPool2d(kernel_size=7", 1, true))
assert(tostring(nn.zoo.densenet40{}):find("AvgPool2d(kernel_size=8", 1, true))
assert(tostring(nn.zoo.googlenet{input = 28}):find("AvgPool2d(kernel_size=7", 1, true))
-- A grey ResNet prunes like a colour one.
local g = nn.zoo.resnet20{in_channels = 1}
local plan = prune.plan(g, {criterion = "l1", ratio = 0.5, input = {1, 1, 28, 28}})
plan:apply()
check.same(nn.no_grad(function() g:eval(); return g:forward(grey) end):shape(), {2, 10})

-- The defaults are the networks they were: same layers, same initialisation.
local x = tensor.randn(2, 3, 32, 32)
for _, name in ipairs{"resnet20", "vgg11", "densenet40", "mobilenetv2"} do
  tensor.manual_seed(4); local a = nn.zoo[name]{}; a:eval()
  tensor.manual_seed(4); local b = nn.zoo[name]{in_channels = 3}; b:eval()
  check.near(a:forward(x), b:forward(x), 0, name .. ": in_channels = 3 is the default")
end

-- Bad values, before any weight is made.
check.raises(function() nn.zoo.resnet20{in_channels = 0} end, "option 'in_channels' must be a positive integer, got 0")
check.raises(function() nn.zoo.resnet20{in_channels = 2.5} end, "must be a positive integer")
check.raises(function() nn.zoo.googlenet{in_channels = 1e8} end, "option 'in_channels' must be from 1 to 16384, got 100000000")
check.raises(function() nn.zoo.densenet40{input = 1e6} end, "option 'input' must be from 1 to 4096")
check.raises(function() nn.zoo.densenet40{input = 3} end, "densenet: input must be at least 4")
check.raises(function() nn.zoo.resnet20{input = 28} end, "unknown option 'input' (known: classes, in_channels, option)")
check.raises(function() nn.zoo.mobilenetv2{in_channels = "grey"} end, "option 'in_channels' must be a number")
print("nn_zoo_inputs: ok")
