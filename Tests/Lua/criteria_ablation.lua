-- A criterion that needs the whole network (ctx.net): Molchanov's "oracle" ablation, which
-- zeroes one channel at a time, measures how far the output moves, and restores it. A
-- channel that is already dead moves nothing; the net comes back unchanged.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(4)

local net = nn.Sequential{{"conv", nn.Conv2d(3, 6, 3, {padding = 1, bias = false})}, {"bn", nn.BatchNorm2d(6)},
  {"relu", nn.ReLU()}, {"pool", nn.AdaptiveAvgPool2d(1)}, {"flatten", nn.Flatten()}, {"fc", nn.Linear(6, 4)}}
net:eval()
local x = tensor.randn(8, 3, 16, 16)
local conv = net:get("conv")
conv.weight[3]:fill(0)            -- channel 3 is dead
net:get("bn").bias = tensor.new{0, 0, -1, 0, 0, 0}   -- and stays dead after its BN and ReLU
local weights = conv.weight:clone()

local seen = {}
criteria.define("oracle", function(ctx)
  seen[#seen + 1] = ctx.net
  local w = ctx.layer.weight
  local y0 = ctx.net:forward(x)
  local scores = {}
  for c = 1, ctx.channels do
    local keep = w[c]:clone()
    w[c]:fill(0)
    scores[c] = (ctx.net:forward(x) - y0):pow(2):sum()
    w[c]:copy(keep)
  end
  return scores
end)

local s = criteria.score(net, "oracle", {input = {1, 3, 16, 16}})["conv"]
assert(seen[1] == net, "ctx.net is the network being scored")
check.same(s:shape(), {6})
check.same(s[3], 0, "the dead channel moves nothing")
for c = 1, 6 do if c ~= 3 then assert(s[c] > 0, "channel " .. c .. " matters") end end
check.near(conv.weight, weights, 0, "the criterion restored the weights")
local plan = prune.plan(net, {criterion = "oracle", ratio = 0.5, input = {1, 3, 16, 16}})
local kept = plan.kept["conv"]
for _, c in ipairs(kept) do assert(c ~= 3, "the dead channel is pruned") end
