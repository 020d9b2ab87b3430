-- nn.zoo.vgg{cfg = ...}: a VGG from a configuration (network slimming's vgg(cfg=…)), with
-- the names and initialisation of vgg11–vgg19 for their configurations, any input size and
-- channel count, and clear errors for configurations that cannot be built.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

-- Fashion-MNIST-sized: 28×28 grey images, three pools leave 3×3.
local net = nn.zoo.vgg{cfg = {32, "M", 64, "M", 128, "M"}, in_channels = 1, input = 28}
check.same(net:forward(tensor.randn(2, 1, 28, 28)):shape(), {2, 10})
-- convs without bias (linear classifier's default): 1·32·9 + 32·64·9 + 64·128·9, BN γ and β
-- 2·(32 + 64 + 128), Linear(128·3·3, 10) with bias
assert(net:flops({1, 1, 28, 28}).params == 288 + 18432 + 73728 + 2 * (32 + 64 + 128) + 128 * 9 * 10 + 10)
assert(net.features[1].type == "Conv2d" and net.classifier.in_features == 1152)

-- vgg11's configuration gives vgg11: same keys, same initialisation under one seed.
local cfg11 = {64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"}
for _, classifier in ipairs{"linear", "mlp"} do
  local cfg = {table.unpack(cfg11)}
  if classifier == "mlp" then cfg[#cfg] = nil end   -- (a) ends in AvgPool(2) instead of the last pool
  tensor.manual_seed(7)
  local a = nn.zoo.vgg{cfg = cfg, classifier = classifier}
  tensor.manual_seed(7)
  local b = nn.zoo.vgg11{classifier = classifier}
  local ka, kb = {}, {}
  for k in pairs(a:state_dict()) do ka[#ka + 1] = k end
  for k in pairs(b:state_dict()) do kb[#kb + 1] = k end
  table.sort(ka); table.sort(kb)
  check.same(ka, kb)
  a:eval(); b:eval()
  local x = tensor.randn(2, 3, 32, 32)
  assert((a:forward(x) - b:forward(x)):abs():max() == 0, classifier .. ": same weights, same outputs")
end

-- A pruned configuration (as a slimming run would write it) builds and prunes further.
local slim = nn.zoo.vgg{cfg = {12, "M", 20, 24, "M", 40}, classifier = "mlp", input = 16}
check.same(slim:forward(tensor.randn(2, 3, 16, 16)):shape(), {2, 10})
assert(slim.classifier.linear1.in_features == 40 * 2 * 2)
prune.plan(slim, {criterion = "l1", ratio = 0.5, input = {1, 3, 16, 16}}):apply()
check.same(slim:forward(tensor.randn(2, 3, 16, 16)):shape(), {2, 10})
assert(slim.features.conv0.out_channels == 6)

-- Errors name the option and what it allows.
check.raises(function() nn.zoo.vgg{} end, "zoo.vgg: option 'cfg' must be a list of conv widths and \"M\"")
check.raises(function() nn.zoo.vgg{cfg = {}} end, "option 'cfg' must be a list")
check.raises(function() nn.zoo.vgg{cfg = {"M"}} end, "cfg must hold at least one convolution width")
check.raises(function() nn.zoo.vgg{cfg = {16, 1.5}} end, "cfg entry 2 must be a width from 1 to 16384 or \"M\", got 1.5")
check.raises(function() nn.zoo.vgg{cfg = {16, "X"}} end, "cfg entry 2 must be a width from 1 to 16384 or \"M\", got \"X\"")
check.raises(function() nn.zoo.vgg{cfg = {0}} end, "cfg entry 1 must be a width")
check.raises(function() nn.zoo.vgg{cfg = {1e9}} end, "cfg entry 1 must be a width")
check.raises(function() nn.zoo.vgg{cfg = {16, {}}} end, "field 'cfg': entry 2 must be a number or a string, got table")
check.raises(function() nn.zoo.vgg{cfg = {8, "M", "M", "M"}, input = 4} end, "cfg pools 4×4 images below 1×1 (3 max-pools; a 2×2 pool needs a 2×2 plane)")
check.raises(function() nn.zoo.vgg{cfg = {8, "M", "M"}, input = 4, classifier = "mlp"} end,
  "the mlp classifier's AvgPool(2) needs a plane of at least 2×2")
check.raises(function() nn.zoo.vgg{cfg = {8}, input = 0} end, "option 'input' must be a positive integer")
check.raises(function() nn.zoo.vgg{cfg = {8}, input = 5000} end, "zoo.vgg: option 'input' must be from 1 to 4096, got 5000")
check.raises(function() nn.zoo.vgg{cfg = {8}, classifier = "deep"} end, "classifier must be 'mlp' or 'linear', got 'deep'")
check.raises(function() nn.zoo.vgg11{cfg = {8}} end, "zoo.vgg11: unknown option 'cfg'")
local big = {}
for i = 1, 5000 do big[i] = 8 end
check.raises(function() nn.zoo.vgg{cfg = big} end, "field 'cfg': at most 4096 entries, got 5000")
-- the named VGGs take `input` too: 64×64 images leave a 2×2 plane for the classifier; 28×28
-- (Fashion-MNIST) cannot take five pools, and the error says what would
local v64 = nn.zoo.vgg16{in_channels = 1, input = 64}
check.same(v64:forward(tensor.randn(2, 1, 64, 64)):shape(), {2, 10})
check.raises(function() nn.zoo.vgg16{in_channels = 1, input = 28} end,
             "cfg pools 28×28 images below 1×1 (5 max-pools; a 2×2 pool needs a 2×2 plane): give larger images, or nn.zoo.vgg{cfg = ...} with fewer \"M\"")
-- sizes that would build for minutes or exhaust memory are refused before any layer is made
check.raises(function() nn.zoo.densenet40{depth = 1e6} end, "zoo.densenet40: option 'depth' must be from 1 to 1000, got 1000000")
check.raises(function() nn.zoo.densenet40{growth = 4096} end, "option 'growth' must be from 1 to 512")
check.raises(function() nn.zoo.mobilenetv2{width = math.huge} end, "zoo.mobilenetv2: option 'width' must be a multiplier in (0, 4], got inf")
check.raises(function() nn.zoo.mobilenetv2{width = 30} end, "must be a multiplier in (0, 4], got 30")
check.raises(function() nn.zoo.mobilenetv2{width = 0/0} end, "must be a multiplier in (0, 4]")
print("nn_zoo_vgg ok")
