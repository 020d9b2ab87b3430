-- Containers, names, state dicts, flops, trace and a small training loop from Lua.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(1)

local net = nn.Sequential{
  {"conv1", nn.Conv2d(1, 4, 3, {padding = 1, bias = false})}, {"bn1", nn.BatchNorm2d(4)}, {"relu1", nn.ReLU()},
  {"pool", nn.MaxPool2d(2)}, {"flatten", nn.Flatten()}, {"fc", nn.Linear(4 * 4 * 4, 3)},
}
check.same(net:forward(tensor.randn(2, 1, 8, 8)):shape(), {2, 3})
assert(net:get("bn1").type == "BatchNorm2d" and net["fc"].in_features == 64)
assert(net[1].type == "Conv2d" and net[6].type == "Linear" and net[7] == nil)
local names = {}
for _, e in ipairs(net:named_modules()) do names[#names + 1] = e.name end
check.same(names, {"", "conv1", "bn1", "relu1", "pool", "flatten", "fc"})
local keys = net:state_dict_keys()
check.same(keys, {"conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
  "bn1.num_batches_tracked", "fc.weight", "fc.bias"})
local params = net:parameters()
assert(#params == 5 and params[1].name == "conv1.weight" and params[1].grad == nil)
net:eval()
for _, e in ipairs(net:named_modules()) do assert(e.module.training == false) end
net:train()

-- Unnamed children are numbered from 0, as PyTorch's Sequential.
local seq = nn.Sequential{nn.Linear(2, 3), nn.ReLU()}:add(nn.Linear(3, 1), "out")
check.same(seq:state_dict_keys(), {"0.weight", "0.bias", "out.weight", "out.bias"})

-- Residual blocks: option A (automatic padding), option B, identity; names are inlined.
local function body(cin, cout, stride)
  return nn.Sequential{
    {"conv1", nn.Conv2d(cin, cout, 3, {stride = stride, padding = 1, bias = false})}, {"bn1", nn.BatchNorm2d(cout)},
    {"relu1", nn.ReLU()}, {"conv2", nn.Conv2d(cout, cout, 3, {padding = 1, bias = false})}, {"bn2", nn.BatchNorm2d(cout)},
  }
end
local a = nn.Residual(body(4, 8, 2), {option = "A"}, {post = nn.ReLU(), post_name = "relu2"})
local x = tensor.randn(2, 4, 6, 6)
check.same(a:forward(x):shape(), {2, 8, 3, 3})
check.same(a.shortcut.pad, {2, 2})
assert(a.shortcut.stride == 2)
local bsc = nn.Residual(body(4, 8, 2), nn.Sequential{nn.Conv2d(4, 8, 1, {stride = 2, bias = false}), nn.BatchNorm2d(8)})
check.same(bsc:forward(x):shape(), {2, 8, 3, 3})
local k = bsc:state_dict_keys()
assert(k[1] == "conv1.weight" and k[#k - 5] == "shortcut.0.weight")
local ident = nn.Residual(body(4, 4, 1))
local y = ident:forward(x)
check.same(ident:backward(tensor.ones(2, 4, 6, 6)):shape(), {2, 4, 6, 6})

-- Concat: inception-style and DenseNet-style (transparent branches).
local inc = nn.Concat{{"b1", nn.Conv2d(4, 2, 1)}, {"b2", nn.Conv2d(4, 3, 3, {padding = 1})}}
check.same(inc:forward(x):shape(), {2, 5, 6, 6})
local dense = nn.Concat{{"", nn.Identity()}, {"", nn.Sequential{{"bn1", nn.BatchNorm2d(4)}, {"conv1", nn.Conv2d(4, 2, 3, {padding = 1})}}}}
local d = dense:forward(x)
check.near(d:narrow(2, 1, 4), x, 0, "input passes through")
check.same(dense:state_dict_keys()[1], "bn1.weight")

-- load_state_dict: copies, strictness, shape errors naming the key.
local n2 = nn.Sequential{{"conv1", nn.Conv2d(1, 4, 3, {padding = 1, bias = false})}, {"bn1", nn.BatchNorm2d(4)}, {"relu1", nn.ReLU()},
  {"pool", nn.MaxPool2d(2)}, {"flatten", nn.Flatten()}, {"fc", nn.Linear(64, 3)}}
n2:load_state_dict(net:state_dict())
net:eval(); n2:eval()
local probe = tensor.randn(1, 1, 8, 8)
check.near(n2:forward(probe), net:forward(probe), 0, "loaded copy gives identical output")
local sd = net:state_dict()
sd["fc.weight"] = tensor.zeros(2, 64)
check.raises(function() n2:load_state_dict(sd) end,
  "shape mismatch for 'fc.weight': checkpoint has [2, 64], model has [3, 64]")
check.near(n2:forward(probe), net:forward(probe), 0, "failed load changed nothing")
sd["fc.weight"] = nil
check.raises(function() n2:load_state_dict(sd) end, "missing key 'fc.weight'")
local missing, unexpected = n2:load_state_dict(sd, {strict = false})
check.same(missing, {"fc.weight"})

-- flops and trace
local c = nn.zoo.resnet56{}:flops{1, 3, 32, 32}
assert(c.macs == 125485696 and c.params == 853018, "ResNet-56 counts")
assert(c.flops > 2 * c.macs and c.flops_rule:find("2 per MAC"))
local l1 = c.layers[1]
assert(l1.name == "conv1" and l1.type == "Conv2d" and l1.macs == 16 * 27 * 1024 and l1.params == 432)
check.same(l1.output, {1, 16, 32, 32})
local g = nn.zoo.resnet20{}:trace{1, 3, 32, 32}
local adds, pads = 0, 0
for _, n in ipairs(g.nodes) do
  if n.kind == "add" then adds = adds + 1; assert(#n.inputs == 2) end
  if n.type == "ShortcutA" then pads = pads + 1; assert(n.in_channels * 2 == n.out_channels) end
end
assert(adds == 9 and pads == 2)
assert(g.nodes[g.output].name == "linear")
assert(g.nodes[2].name == "conv1" and g.nodes[2].inputs[1] == 1 and g.nodes[1].kind == "input")
assert(nn.zoo.small_cnn{}:summary{1, 1, 28, 28}:find("fc1"))

-- A few SGD steps on a fixed batch: the loss (squared error) falls.
tensor.manual_seed(5)
local mlp = nn.Sequential{nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2)}
local inputs, targets = tensor.randn(32, 4), tensor.randn(32, 2)
local function step()
  local out = mlp:forward(inputs)
  local diff = out - targets
  local loss = (diff * diff):mean()
  mlp:zero_grad()
  mlp:backward(diff * (2 / diff:numel()))
  for _, p in ipairs(mlp:parameters()) do p.value:copy(p.value - p.grad * 0.1) end
  return loss
end
local first = step()
local last
for _ = 1, 50 do last = step() end
assert(last < 0.8 * first, string.format("loss %g -> %g", first, last))
-- Architecture specs rebuild a model; with the state dict it computes the same outputs.
local r = nn.zoo.resnet20{option = "B"}
r:eval()
local copy = nn.from_spec(r:spec())
assert(copy:spec() == r:spec() and tostring(copy) == tostring(r))
copy:load_state_dict(r:state_dict())
copy:eval()
local img = tensor.randn(2, 3, 32, 32)
check.near(copy:forward(img), r:forward(img), 0, "spec + state dict reproduce the model")
check.raises(function() nn.from_spec("{}") end, "unknown module class")
print("nn_containers ok")
