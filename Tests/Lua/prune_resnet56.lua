-- Real weights: the seed-0 ResNet-56 exported from PyTorch (../shared/bench). L1 of the filters,
-- 50 % of every block's inner channels (stem conv1, every conv2 and the linear ignored), gives
-- Torch-Pruning 1.6's parameter count; pruning the option-A residual streams too gives a net whose
-- logits equal the masked full net's.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
local weights = "../shared/bench/resnet56_seed0.safetensors"
local f = io.open(weights, "rb")
if not f then print("prune_resnet56: skipped (" .. weights .. " not found)"); return end
f:close()
local shape = {1, 3, 32, 32}

local net = nn.zoo.resnet56{}
net:load(weights)
net:eval()
assert(net:flops(shape).params == 853018)
local plan = prune.plan(net, {criterion = "l1", reduction = "first", ratio = 0.5, input = shape,
                              ignore = {"conv1", "layer%d%.%d+%.conv2", "linear"}})
assert(plan.params.before == 853018 and plan.params.after == 428074,
  "params " .. plan.params.before .. " -> " .. plan.params.after)
local pruned = 0
for _, g in ipairs(plan.groups) do if g.after < g.before then pruned = pruned + 1 end end
assert(pruned == 27, "27 inner groups pruned, got " .. pruned)
plan:apply()
assert(net:flops(shape).params == 428074)

-- Torch-Pruning's kept filters, when its reference file is present.
local ref = io.open("../shared/bench/resnet56_seed0_tp_local_l1_50.json")
if ref then ref:close(); print("prune_resnet56: Torch-Pruning reference found (compared in PruningTests)") end
print("prune_resnet56 ok")
