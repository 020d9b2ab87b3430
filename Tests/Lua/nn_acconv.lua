-- SFM's over-parameterised convolution from Lua: nn.ACConv2d (fields, forward, backward,
-- printing, spec), block:fuse(), nn.acnet / nn.fuse on zoo models, pruning through the
-- blocks, and every bad input as a clear error.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(4)

-- Construction, fields, printing.
local block = nn.ACConv2d(3, 8, {padding = 1})
assert(block.type == "ACConv2d" and block.in_channels == 3 and block.out_channels == 8 and block.kernel_size == 3)
check.same(block.stride, {1, 1}); check.same(block.padding, {1, 1})
assert(block.bias == nil, "no conv bias by default (the BNs make it redundant)")
check.same(block["square_conv.weight"]:shape(), {8, 3, 3, 3})
check.same(block["hor_conv.weight"]:shape(), {8, 3, 1, 3})
check.same(block["ver_conv.weight"]:shape(), {8, 3, 3, 1})
check.same(block["hor_bn.running_var"]:shape(), {8})
assert(tostring(block) == "ACConv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))", tostring(block))
assert(tostring(nn.ACConv2d(3, 8, {stride = 2, bias = true})):find("stride=(2, 2), bias=True", 1, true))
assert(#block:parameters() == 9 and block:parameters()[1].name == "square_conv.weight")

-- Shapes: "same", strided, "valid" (the thin branches crop their input), 5x5.
local x = tensor.randn(2, 3, 9, 8)
check.same(block:forward(x):shape(), {2, 8, 9, 8})
check.same(nn.ACConv2d(3, 4, {stride = 2, padding = 1}):forward(x):shape(), {2, 4, 5, 4})
check.same(nn.ACConv2d(3, 4):forward(x):shape(), {2, 4, 7, 6})
check.same(nn.ACConv2d(3, 4, {kernel_size = 5, padding = 2}):forward(x):shape(), {2, 4, 9, 8})

-- Backward against finite differences (training mode: batch statistics).
local function fd(m, input, what)
  local y = m:forward(input)
  local r = tensor.randn(table.unpack(y:shape()))
  m:zero_grad()
  local dx = m:backward(r)
  local function L() return (m:forward(input) * r):sum() end
  local eps = 1e-2
  local flat, i = input:view(-1), math.floor(input:numel() / 2) + 1
  local old = flat[i]
  flat[i] = old + eps; local lp = L()
  flat[i] = old - eps; local lm = L()
  flat[i] = old
  check.near((lp - lm) / (2 * eps), dx:view(-1)[i], 3e-2 * math.max(1, math.abs(dx:view(-1)[i])), what .. " input grad")
  for _, p in ipairs(m:parameters()) do
    local v, j = p.value:view(-1), math.floor(p.value:numel() / 3) + 1
    local o = v[j]
    v[j] = o + eps; local a = L()
    v[j] = o - eps; local b = L()
    v[j] = o
    local g = p.grad:view(-1)[j]
    check.near((a - b) / (2 * eps), g, 3e-2 * math.max(1, math.abs(g)), what .. " " .. p.name)
  end
end
fd(nn.ACConv2d(2, 3, {padding = 1, stride = 2, bias = true}), tensor.randn(3, 2, 5, 5), "acconv")
fd(nn.ACConv2d(2, 3), tensor.randn(3, 2, 6, 5), "acconv valid")

-- Fusion: one conv with bias, equal in eval mode (after some training-mode statistics).
for _, opts in ipairs{{padding = 1}, {padding = 1, stride = 2, bias = true}, {padding = 0}, {padding = 2, bias = true}} do
  local b = nn.ACConv2d(3, 5, opts)
  for _ = 1, 3 do b:forward(tensor.randn(4, 3, 9, 8) * 2 + 1) end   -- running statistics move
  b:eval()
  local conv = b:fuse()
  assert(conv.type == "Conv2d" and conv.bias ~= nil and conv.training == false)
  check.same(conv.kernel_size, {3, 3}); check.same(conv.stride, b.stride); check.same(conv.padding, b.padding)
  check.near(conv:forward(x), b:forward(x), 1e-4, "fused conv")
end
check.raises(function() nn.ACConv2d(3, 4):fuse() end, "training mode")
check.raises(function() nn.Conv2d(3, 4, 3):fuse() end, "only an ACConv2d block can be fused, not a Conv2d")

-- The spec and the state dict round-trip through a file.
local path = os.tmpname() .. ".safetensors"
local small = nn.Sequential{nn.ACConv2d(1, 4, {padding = 1, momentum = false}), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)}
small:forward(tensor.randn(4, 1, 6, 6))
small:save(path)
local back = nn.load(path)
os.remove(path)
small:eval(); back:eval()
local xs = tensor.randn(2, 1, 6, 6)
check.near(back:forward(xs), small:forward(xs), 1e-6, "reloaded")
assert(back[1].momentum == nil and back[1].type == "ACConv2d")

-- Counting: three convs of 9 + 3 + 3 taps.
local count = nn.Sequential{nn.ACConv2d(3, 8, {padding = 1})}:flops{1, 3, 10, 10}
assert(count.macs == 8 * 100 * 3 * 15, count.macs)

-- nn.acnet / nn.fuse on zoo models: the converted net computes what the original did (γ = 0),
-- fusing gives back plain convs computing the same as the blocks.
local vgg = nn.zoo.vgg11{}
vgg:eval()
local xi = tensor.randn(2, 3, 32, 32)
local y0 = vgg:forward(xi)
local converted, paths = nn.acnet(vgg)
assert(converted == vgg or converted.type == "VGG")
assert(#paths == 8 and paths[1] == "features.0", paths[1])
assert(vgg:get("features.0").type == "ACConv2d")
check.near(vgg:forward(xi), y0, 1e-3 * math.max(1, y0:abs():max()), "acnet keeps the function")
local fused, fpaths = nn.fuse(vgg)
assert(#fpaths == 8 and vgg:get("features.0").type == "Conv2d")
check.near(fused:forward(xi), y0, 1e-3 * math.max(1, y0:abs():max()), "fuse(acnet(net))")
local r = nn.acnet(nn.zoo.resnet20{}, {gamma = 1})
assert(r.conv1.type == "ACConv2d" and r.layer1[1].conv2.type == "ACConv2d")
assert(r.layer1[1].conv2["hor_bn.weight"]:min() == 1)
local plain = nn.Conv2d(3, 4, 3, {padding = 1})
assert(nn.acnet(plain).type == "ACConv2d", "a bare conv comes back converted")
local _, none = nn.acnet(nn.Sequential{nn.Conv2d(3, 4, 1), nn.Conv2d(4, 4, 3, {dilation = 2})})
assert(#none == 0, "1x1 and dilated convs stay")

-- Pruning sees one layer per block: its branches and BNs shrink together.
local pnet = nn.acnet(nn.zoo.resnet20{}, {gamma = 1})
local groups = prune.groups(pnet, {1, 3, 32, 32})
assert(#groups == 13)
assert(#prune.check(pnet, {1, 3, 32, 32}) == 0)
prune.apply(pnet, {["layer1.0.conv1"] = {1, 3, 4}}, {input = {1, 3, 32, 32}})
local b1 = pnet.layer1[1].conv1
assert(b1.out_channels == 3 and b1["hor_conv.weight"]:size(1) == 3 and b1["ver_bn.running_mean"]:numel() == 3)
check.same(pnet.layer1[1].conv2["hor_conv.weight"]:shape(), {16, 3, 1, 3})
pnet:eval()
local yp = pnet:forward(xi)
local f2 = nn.fuse(pnet)
check.near(f2:forward(xi), yp, 1e-3 * math.max(1, yp:abs():max()), "pruned then fused")
local plan = prune.plan(nn.acnet(nn.zoo.vgg11{}), {criterion = "l1", ratio = 0.5, input = {1, 3, 32, 32}})
assert(#plan.kept["features.0"] == 32)

-- Bad input.
check.raises(function() nn.ACConv2d(3, 4, {kernel_size = 2}) end, "kernel_size must be odd and at least 3")
check.raises(function() nn.ACConv2d(3, 4, {kernel_size = 1}) end, "kernel_size must be odd and at least 3")
check.raises(function() nn.ACConv2d(3, 4, {padding = -1}) end, "padding must be non-negative")
check.raises(function() nn.ACConv2d(3, 4, {stride = 0}) end, "must be positive")
check.raises(function() nn.ACConv2d(0, 4) end, "in_channels must be positive")
check.raises(function() nn.ACConv2d(3, 4, {paddin = 1}) end, "unknown option 'paddin' for ACConv2d")
check.raises(function() nn.ACConv2d(3) end, "bad argument #2 to 'ACConv2d'")
check.raises(function() block:forward(tensor.zeros(2, 4, 8, 8)) end, "acconv2d: input has 4 channels, layer expects 3")
check.raises(function() block:forward(tensor.zeros(3, 8, 8)) end, "acconv2d: expected a 4-d input")
check.raises(function() nn.ACConv2d(3, 4):forward(tensor.zeros(1, 3, 2, 8)) end, "smaller than the 3×3 kernel")
check.raises(function() nn.ACConv2d(3, 4):backward(tensor.zeros(1, 4, 6, 6)) end, "backward called without a forward pass")
check.raises(function() nn.acnet(nn.zoo.vgg11{}, {gamma = 0 / 0}) end, "gamma must be a finite number")
check.raises(function() nn.acnet(nn.zoo.vgg11{}, {gama = 1}) end, "unknown option 'gama' for acnet")
check.raises(function() nn.acnet(5) end, "bad argument #1 to 'acnet'")
local training = nn.acnet(nn.zoo.vgg11{})
check.raises(function() nn.fuse(training) end, "at features.0: ACConv2d:fuse: the block is in training mode")
assert(training:get("features.0").type == "ACConv2d", "a refused fuse changes nothing")
block["hor_bn.weight"] = tensor.zeros(8)
check.near(block["hor_bn.weight"], tensor.zeros(8), 0, "state assignment by prefixed name")
check.raises(function() block["hor_bn.weight"] = tensor.zeros(3) end, "shape mismatch for 'hor_bn.weight'")
print("nn_acconv: ok")
