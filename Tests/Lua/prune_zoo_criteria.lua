-- Every built-in criterion plans and prunes every zoo family (residual adds, 1×1 projection
-- shortcuts, concatenations, depthwise convolutions, inception branches, a hidden Linear):
-- the plan takes its input shape from the calibration batches, the pruned net runs, and MACs
-- fall (or stay, for a selection-based criterion that keeps every channel of an untrained net).
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

local models = {
  {"resnet20", {}, {3, 32, 32}}, {"vgg11", {}, {3, 32, 32}}, {"densenet40", {depth = 10}, {3, 32, 32}},
  {"googlenet", {}, {3, 32, 32}}, {"mobilenetv2", {width = 0.5}, {3, 32, 32}}, {"small_cnn", {}, {1, 28, 28}},
  {"resnet20", {option = "B"}, {3, 32, 32}}, {"mobilenetv3_small", {width = 0.5}, {3, 32, 32}},
}
local names = criteria.list()
assert(#names >= 14, "the built-ins: " .. table.concat(names, " "))
local selecting = {foad = true}
local n = 8
for _, m in ipairs(models) do
  local name, opts, shape = m[1], m[2], m[3]
  local x = tensor.randn({n, shape[1], shape[2], shape[3]}, {seed = 3})
  local y = (tensor.rand({n}, {seed = 4}) * 10):floor():long()
  local loader = data.loader(data.tensor_dataset(x, y), {batch = 4})
  local input = {1, shape[1], shape[2], shape[3]}
  for _, c in ipairs(names) do
    local net = nn.zoo[name](opts)
    net:eval()
    local before = net:flops(input)
    local popts = selecting[c] and {criterion = c, t = 2, s = 0.5} or {criterion = c, ratio = 0.3}
    popts.calib, popts.batches = loader, 2
    local ok, plan = pcall(prune.plan, net, popts)
    if name == "densenet40" and c == "apoz" then
      -- pre-activation: every conv feeds a concatenation, no activation of its own to count zeros of
      assert(not ok and plan:find("no zeros for APoZ to count", 1, true), tostring(plan))
      goto next
    end
    assert(ok, name .. " / " .. c .. ": " .. tostring(plan))
    plan:apply()
    local after = net:flops(input)
    check.same(net:forward(x):shape(), {n, 10}, name .. " / " .. c .. ": the pruned net runs")
    if selecting[c] then
      assert(after.macs <= before.macs, name .. " / " .. c)
    else
      assert(after.macs < before.macs, string.format("%s / %s: MACs %d -> %d", name, c, before.macs, after.macs))
    end
    ::next::
  end
end
print("prune_zoo_criteria: ok")
