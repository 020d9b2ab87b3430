-- net:clone(): a deep copy with the same outputs, modes, frozen parameters, pruning
-- history and remembered input shape, independent of the original, drawing no random numbers.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(3)

local net = nn.zoo.resnet20{classes = 10}
local x = tensor.randn(2, 3, 32, 32)
net:train()
net:forward(x)          -- running statistics move away from their initial values
net:eval()
net:get("layer2"):train()
net:get("layer2.0.bn1"):eval()
local frozen = net:parameters()[1]
frozen.requires_grad = false
check.same(frozen.requires_grad, false, "requires_grad set")

-- No random numbers are drawn: the generator continues as if clone had not run.
tensor.manual_seed(9); local r1 = tensor.rand(4)
tensor.manual_seed(9); local c = net:clone(); local r2 = tensor.rand(4)
check.near(r1, r2, 0, "clone draws no random numbers")

assert(nn.is_module(c) and c ~= net)
check.same(c:state_dict_keys(), net:state_dict_keys(), "same keys")
local a, b = net:state_dict(), c:state_dict()
for k, v in pairs(a) do check.near(b[k]:float(), v:float(), 0, k) end
local modes = {}
for _, e in ipairs(net:named_modules()) do modes[e.name] = e.module.training end
for _, e in ipairs(c:named_modules()) do check.same(e.module.training, modes[e.name], "mode of '" .. e.name .. "'") end
check.same(c:parameters()[1].requires_grad, false, "a frozen parameter stays frozen")
check.same(c:parameters()[2].requires_grad, true, "the others train")
net:eval(); c:eval()
check.near(c:forward(x), net:forward(x), 0, "same outputs")

-- Independent: changing or pruning the copy leaves the original as it was.
c:parameters()[1].value:fill(0)
assert(net:parameters()[1].value:abs():sum() > 0, "the original's weights are its own")
local before = net:flops{1, 3, 32, 32}.params
prune.plan(c, {criterion = "l1", ratio = 0.5, input = {1, 3, 32, 32}}):apply()
check.same(net:flops{1, 3, 32, 32}.params, before, "the original is unpruned")
assert(c:flops{1, 3, 32, 32}.params < before)

-- A pruned net's clone carries its history, its original widths and its input shape:
-- pruning calls on the clone need no `input`, and the clone reports the same history.
local h = prune.history(c)
local cc = c:clone()
local hc = prune.history(cc)
check.same(#hc, #h, "history steps")
check.same(hc.input, h.input, "remembered input shape")
for g, kept in pairs(h[1]) do check.same(hc[1][g], kept, "kept channels of " .. g) end
local plan = prune.plan(cc, {criterion = "l1", ratio = 0.2, of = "original"})
assert(plan, "a plan on the clone needs no input")
check.near(cc:forward(x), c:forward(x), 0, "the pruned clone computes what the pruned net does")

-- ACNet blocks, hooks: blocks come across whole; forward hooks stay with the original.
local ac = nn.acnet(nn.zoo.vgg11{})
ac:eval()
local acc = ac:clone()
local x2 = tensor.randn(1, 3, 32, 32)
check.near(acc:forward(x2), ac:forward(x2), 0, "ACNet clone")

-- Bad use: clone takes no table of options and needs a module.
check.raises(function() return nn.Linear(2, 2).clone(42) end, "nn.Module expected")
