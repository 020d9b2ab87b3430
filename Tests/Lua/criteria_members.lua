-- ctx.members: every member of a group with its role and where it holds the group's channels,
-- so a Lua criterion can read the next layer (ThiNet / NISP style) — through concatenations too.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(12)

local net = nn.zoo.resnet20{}
local seen = {}
criteria.define("next_layer_energy", function(ctx)
  seen[ctx.name] = ctx.members
  local s = tensor.zeros(ctx.channels)
  for _, m in ipairs(ctx.members) do
    if m.role == "in" and m.module.type == "Conv2d" then
      local idx = tensor.new(m.positions):long()
      s = s + m.module.weight:index_select(2, idx):pow(2):sum{1, 3, 4}
    end
  end
  return s
end)
local scores = criteria.score(net, "next_layer_energy", {input = {1, 3, 32, 32}})

local ms = seen["layer1.0.conv1"]
local roles = {}
for _, m in ipairs(ms) do roles[m.layer] = m.role end
check.same(roles["layer1.0.conv1"], "out"); check.same(roles["layer1.0.bn1"], "channel"); check.same(roles["layer1.0.conv2"], "in")
for _, m in ipairs(ms) do
  check.same(#m.positions, 16, m.layer .. " holds all 16 channels")
  for c = 1, 16 do check.same(m.positions[c], c, m.layer .. " in order") end
  assert(m.module == net:get(m.layer), "module is the net's own")
  check.same(m.factor, 1)
end
check.near(scores["layer1.0.conv1"], net:get("layer1.0.conv2").weight:pow(2):sum{1, 3, 4}, 1e-5,
  "the criterion read the next conv's weights on the group's channels")

-- GoogLeNet: a branch's channels sit at an offset in the concatenation the next block reads.
local g = nn.zoo.googlenet{}
local offsets = {}
criteria.define("offsets", function(ctx)
  for _, m in ipairs(ctx.members) do
    if m.role == "in" and m.positions[1] then offsets[#offsets + 1] = m.positions[1] end
  end
  return tensor.ones(ctx.channels)
end)
criteria.score(g, "offsets", {input = {1, 3, 32, 32}})
local shifted = 0
for _, o in ipairs(offsets) do if o > 1 then shifted = shifted + 1 end end
assert(shifted > 0, "some consumers read a group's channels at an offset")

-- ResNet with option-A shortcuts: the residual stream's members include the shortcut.
local stream = seen["layer2.0.conv2"]
local kinds = {}
for _, m in ipairs(stream) do kinds[m.role] = true end
assert(kinds["shortcut out"], "the stage-2 stream holds the option-A shortcut's output")

-- A Linear after a flatten reads H·W features per channel (factor).
local v = nn.zoo.vgg{cfg = {8, "M", 16}, in_channels = 1, input = 8}
local factors = {}
criteria.define("factors", function(ctx)
  for _, m in ipairs(ctx.members) do if m.role == "in" then factors[m.layer] = m.factor end end
  return tensor.ones(ctx.channels)
end)
criteria.score(v, "factors", {input = {1, 1, 8, 8}})
local any_factor = false
for _, f in pairs(factors) do if f > 1 then any_factor = true end end
assert(any_factor, "a Linear after a flatten reads several features per channel")
