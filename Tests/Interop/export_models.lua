-- Writes the models and reference outputs that onnx_test.sh and torch_test.sh check with
-- real clients (onnx.checker + onnxruntime, PyTorch through Scripts/topiary_torch.py).
-- Usage: topiary run Tests/Interop/export_models.lua OUT_DIR
-- OUT_DIR gets x.npy (a batch of 4 inputs), NAME.onnx + NAME.npy (Topiary's logits on x) for
-- resnet56_full, resnet56_pruned (50 % L1, residual streams included), resnet56_pruned_folded
-- (BatchNorms folded into the convs), vgg16, densenet40, googlenet, mobilenetv2, resnet20_acnet (ACConv2d blocks)
-- and activations17 / activations13 (every activation, pruned), and resnet56_pruned.safetensors (net:save).
local out = assert(arg[1], "usage: export_models.lua OUT_DIR")
local shape = {1, 3, 32, 32}
tensor.manual_seed(1)
local x = tensor.randn(4, 3, 32, 32)
x:save(out .. "/x.npy")

local function export(net, name, opts)
  opts = opts or {}
  opts.input = shape
  net:eval()
  net:export_onnx(out .. "/" .. name .. ".onnx", opts)
  net:forward(x):save(out .. "/" .. name .. ".npy")
end

-- ResNet-56 with the seed-0 weights of ../shared/bench when present (else seeded init).
local net = nn.zoo.resnet56{}
local weights = "../shared/bench/resnet56_seed0.safetensors"
local f = io.open(weights, "rb")
if f then f:close(); net:load(weights); print("resnet56: " .. weights) else print("resnet56: seeded init") end
export(net, "resnet56_full")

local plan = prune.plan(net, {criterion = "l1", ratio = 0.5, input = shape})
plan:apply()
local params = net:flops(shape).params
assert(params < 853018 * 0.6, "pruned to about half: " .. params)
export(net, "resnet56_pruned")
export(net, "resnet56_pruned_folded", {fold_bn = true, opset = 13})
net:save(out .. "/resnet56_pruned.safetensors")
print("resnet56 pruned: " .. params .. " parameters")

-- VGG-16 from a seeded init; a few training-mode passes give its BatchNorms running statistics
-- (at init they are 0 and 1 and the logits barely depend on the input).
local function warm(m)
  m:train()
  for _ = 1, 5 do m:forward(tensor.randn(4, 3, 32, 32)) end
end
tensor.manual_seed(2)
local vgg = nn.zoo.vgg16{}
warm(vgg)
export(vgg, "vgg16", {dynamic_batch = true, opset = 17})
-- The other families: concatenations (DenseNet, GoogLeNet), depthwise convs and ReLU6 (MobileNetV2).
for i, name in ipairs{"densenet40", "googlenet", "mobilenetv2"} do
  tensor.manual_seed(10 + i)
  local m = nn.zoo[name]{}
  warm(m)
  export(m, name, {opset = 21})
end
-- ACNet blocks (SFM) are fused into one Conv each.
tensor.manual_seed(20)
local ac = nn.acnet(nn.zoo.resnet20{}, {gamma = 1})
warm(ac)
export(ac, "resnet20_acnet")
-- Every activation of the family and a squeeze-and-excitation block in one CNN, pruned 30 % by
-- L1, at opsets 17 and 13 (where Hardswish is HardSigmoid · x).
tensor.manual_seed(30)
local acts = {nn.Sigmoid(), nn.Tanh(), nn.SiLU(), nn.GELU(), nn.GELU{approximate = "tanh"}, nn.ELU(0.5),
              nn.Hardswish(), nn.Hardsigmoid(), nn.LeakyReLU(0.1), nn.ReLU6()}
local layers, c = {}, 3
for i, act in ipairs(acts) do
  local w = i <= 3 and 8 or 16
  layers[#layers + 1] = {"conv" .. i, nn.Conv2d(c, w, 3, {padding = 1, bias = false})}
  layers[#layers + 1] = {"bn" .. i, nn.BatchNorm2d(w)}
  layers[#layers + 1] = {"act" .. i, act}
  if i == 2 or i == 5 then layers[#layers + 1] = {"pool" .. i, nn.MaxPool2d(2)} end
  if i == 7 then layers[#layers + 1] = {"se", nn.SqueezeExcite(w, 4, {scale_activation = nn.Hardsigmoid()})} end
  c = w
end
-- flattened whole (no global pooling, which would average random inputs to near-constant logits)
for _, l in ipairs{{"flatten", nn.Flatten()}, {"fc", nn.Linear(c * 8 * 8, 10)}} do
  layers[#layers + 1] = l
end
local family = nn.Sequential(layers)
family:train()   -- running statistics near the batch ones, or ten layers shrink the signal to nothing
for _ = 1, 40 do family:forward(tensor.randn(4, 3, 32, 32)) end
family:eval()
prune.plan(family, {criterion = "l1", ratio = 0.3, input = shape}):apply()
export(family, "activations17", {opset = 17})
export(family, "activations13", {opset = 13})
family:save(out .. "/activations.safetensors")
-- Twelve random architectures (Tests/Lua/lib/random_nets.lua: residual A/B, Concat, DenseNet
-- layers, SE, ACNet, every activation), pruned 30 % by L1, on 8×8 inputs of their own
-- (random<i>.x.npy): every exporter path on shapes no zoo net has.
local here = arg[0]:match("(.*/)") or "./"
local check = dofile(here .. "../Lua/lib/check.lua")
local random_net = dofile(here .. "../Lua/lib/random_nets.lua")
math.randomseed(41)
tensor.manual_seed(41)
local x8 = tensor.randn(4, 3, 8, 8)
local randoms, tries = {}, 0
while #randoms < 12 do
  tries = tries + 1
  assert(tries <= 200, "fewer than 12 of 200 random nets depend on their input")
  local net = random_net()
  check.randomize_bn(net, {gamma = true, scale = 0.2})
  net:eval()
  prune.plan(net, {criterion = "l1", ratio = 0.3, input = {1, 3, 8, 8}}):apply()
  -- only nets whose logits move with the input (saturating activations and pooling can flatten
  -- a random init to constants, which would check little but the biases)
  local y = net:forward(x8)
  local moves = (y - y:narrow(1, 1, 1)):abs():max() > 1e-2 * math.max(y:abs():max(), 1e-6)
  if moves then
  local name = "random" .. (#randoms + 1)
  net:export_onnx(out .. "/" .. name .. ".onnx", {input = {1, 3, 8, 8}})
  x8:save(out .. "/" .. name .. ".x.npy")
  net:forward(x8):save(out .. "/" .. name .. ".npy")
  nn.fuse(net:clone()):save(out .. "/" .. name .. ".safetensors")   -- ACNet blocks as PyTorch has them: fused
  randoms[#randoms + 1] = name
  end
end
print("export_models ok (" .. table.concat(randoms, " ") .. ")")
