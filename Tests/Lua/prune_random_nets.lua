-- Seeded property test of the pruning engine on random architectures: stacks of conv blocks
-- (1×1, 3×3, strided, depthwise; with or without BN; any activation of the family), residual
-- blocks (identity, option-A and option-B shortcuts), Concat branches, DenseNet layers,
-- squeeze-and-excitation,
-- pooling, ACNet blocks (nn.acnet), and a head on pooled or flattened maps (one or two linears,
-- dropout). For each net, with random BN statistics and a random
-- criterion, ratio and scope: the pruned net computes what the masked one does (plan:mask before
-- apply, on a clone), MACs do not grow, the pruned net reloads from its file with the same
-- outputs, a second pruning step is exact too, and a training step runs on it.
-- Usage: topiary run Tests/Lua/prune_random_nets.lua [seed [nets]]
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
local seed = tonumber(arg and arg[1]) or 20261206
local count = tonumber(arg and arg[2]) or 40
math.randomseed(seed)
tensor.manual_seed(seed)

local function pick(l) return l[math.random(#l)] end
local random_net = dofile((arg[0]:match("(.*/)") or "./") .. "lib/random_nets.lua")

local criteria_pool = {"l1", "l2", "fpgm", "random", "taylor", "hrank", "mean_activation", "entropy", "bn_scale", "apoz",
                       "chip", "fpwt", "foad", "redundancy"}
local x = tensor.randn(4, 3, 8, 8)
local ys = tensor.new{0, 1, 2, 3}:long()
local calib = data.loader(data.tensor_dataset(tensor.randn(8, 3, 8, 8), tensor.new{0, 1, 2, 3, 4, 0, 1, 2}:long()), {batch = 4})
local dir = os.tmpname(); os.remove(dir); os.execute("mkdir -p " .. dir)
local pruned_nets, skipped = 0, 0
-- A net whose logits move with its input (saturating activations and pooling can flatten a
-- random init to constants, which would check little but the biases); at most 20 draws.
local function moving_net()
  for _ = 1, 20 do
    local net, what = random_net()
    check.randomize_bn(net, {gamma = true, scale = 0.2})
    net:eval()
    local y = net:forward(x)
    if (y - y:narrow(1, 1, 1)):abs():max() > 1e-2 * math.max(y:abs():max(), 1e-6) then return net, what end
  end
  error("20 random nets in a row ignore their input")
end
for i = 1, count do
  local net, what = moving_net()
  local criterion, ratio = pick(criteria_pool), pick{0.2, 0.3, 0.5, 0.7}
  local label = ("net %d (%s; %s at %.1f)"):format(i, what, criterion, ratio)
  local opts = {criterion = criterion, ratio = ratio, input = {1, 3, 8, 8}, calib = calib, batches = 2}
  if math.random() < 0.3 then opts.scope = "global" end
  if criterion == "foad" then opts.ratio = nil; opts.scope = nil; opts.t = pick{1, 2}; opts.s = pick{0, 0.5} end   -- its keep-set sizes itself
  local ok, plan = pcall(prune.plan, net, opts)
  if not ok then
    -- a criterion may skip every group of a net (apoz after SiLU or LeakyReLU only, …): an error that says so
    assert(tostring(plan):find("skipped every group") or tostring(plan):find("nothing") or tostring(plan):find("no prunable"),
           label .. ": unexpected planning error: " .. tostring(plan))
    skipped = skipped + 1
  else
    local before = net:flops{1, 3, 8, 8}.macs
    local masked = net:clone()
    local mplan = prune.plan(masked, opts)
    mplan:mask()
    plan:apply()
    local y = net:forward(x)
    local scale = math.max(1, y:abs():max())
    check.near(masked:forward(x), y, 2e-4 * scale, label .. ": the masked net computes what the pruned one does")
    assert(net:flops{1, 3, 8, 8}.macs <= before, label .. ": MACs grew")
    local path = dir .. "/net" .. i .. ".safetensors"
    net:save(path)
    local back = nn.load(path)
    back:eval()
    check.near(back:forward(x), y, 0, label .. ": reloaded")
    -- a second step on the pruned net (iterative pruning), exact as well
    if math.random() < 0.4 then
      local again = {criterion = "l1", ratio = 0.3, input = {1, 3, 8, 8}, of = pick{"current", "original"}}
      local m2 = net:clone()
      prune.plan(m2, again):mask()
      prune.plan(net, again):apply()
      check.near(m2:forward(x), net:forward(x), 2e-4 * scale, label .. ": a second step, masked and pruned")
    end
    net:train()
    net:zero_grad()
    local _, g = train.cross_entropy(net:forward(x), ys)
    net:backward(g)
    pruned_nets = pruned_nets + 1
  end
end
os.execute("rm -rf " .. dir)
assert(pruned_nets >= count * 3 // 4, ("only %d of %d random nets were pruned (%d skipped)"):format(pruned_nets, count, skipped))
print(("prune_random_nets ok: %d nets pruned, %d skipped by their criterion"):format(pruned_nets, skipped))
