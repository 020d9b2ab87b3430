-- The dist module without mpirun: one rank (1 of 1), collectives are the identity, bad
-- arguments are errors; train.fit{distributed = true} on one rank trains exactly as
-- without it; nn.sync_batchnorm swaps BatchNorms and, on one rank, normalises as they do.
-- (Two ranks: Tests/Dist/mpi_test.sh.)
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

assert(dist.rank() == 1 and dist.size() == 1, "one rank without mpirun")
local t = tensor.new{1, -2, 3}
for _, op in ipairs{"sum", "mean", "max", "min"} do
  assert(dist.allreduce(t, op) == t, "returns its argument")
  check.near(t, {1, -2, 3}, 0, op)
end
local i = tensor.new{4, 5}:long()
dist.allreduce(i, "mean")
assert(i:dtype() == "int64" and i[1] == 4)
check.near(dist.broadcast(t, 1), {1, -2, 3}, 0, "broadcast")
check.near(dist.broadcast(t), {1, -2, 3}, 0, "broadcast, default root")
dist.barrier()

check.raises(function() dist.allreduce(t, "prod") end,
  "bad argument #2 to 'allreduce' (invalid op 'prod' (expected \"sum\", \"mean\", \"max\", \"min\"))")
check.raises(function() dist.allreduce({1, 2}) end, "bad argument #1 to 'allreduce'")
check.raises(function() dist.allreduce() end, "bad argument #1 to 'allreduce'")
check.raises(function() dist.broadcast(t, 2) end, "bad argument #2 to 'broadcast' (root rank 2 out of range (1 ... 1))")
check.raises(function() dist.broadcast(t, 0) end, "root rank 0 out of range")
check.raises(function() dist.broadcast(t, "x") end, "bad argument #2 to 'broadcast'")

-- train.fit{distributed = true} on one rank: the same weights as plain fit.
tensor.manual_seed(2)
local x = tensor.randn(96, 2, 4, 4)
local labels = {}
for k = 1, 96 do labels[k] = k % 3 end
local ds = data.tensor_dataset(x, tensor.new(labels))
local function make()
  tensor.manual_seed(8)
  return nn.Sequential{nn.Conv2d(2, 4, 3, {padding = 1}), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(64, 3)}
end
local function run(net, distributed)
  local losses = {}
  local hist = train.fit(net, data.loader(ds, {batch = 16, shuffle = true, seed = 4}), {
    epochs = 2, optimizer = train.sgd{lr = 0.05, momentum = 0.9}, distributed = distributed, progress = false,
    eval = data.loader(ds, {batch = 40}),
    on_step = function(s) losses[#losses + 1] = s.loss end})
  return net, losses, hist
end
local a, la, ha = run(make(), false)
local b, lb, hb = run(make(), true)
check.near(tensor.new(la), tensor.new(lb), 0, "loss curve")
for k, v in pairs(a:state_dict()) do check.near(v:float(), b:state_dict()[k]:float(), 0, k) end
check.near(ha.epochs[2].eval.loss, hb.epochs[2].eval.loss, 0, "eval loss")
assert(hb.epochs[2].eval.samples == 96)

-- nn.sync_batchnorm: swaps, keeps state, trains like BatchNorm on one rank.
local c = make()
local _, swapped = nn.sync_batchnorm(c)
check.same(swapped, {"1"}, "swapped")
assert(tostring(c:get("1")):find("SyncBatchNorm(4", 1, true), tostring(c:get("1")))
local _, again = nn.sync_batchnorm(c)
check.same(again, {}, "nothing left to swap")
local _, lc = run(c, true)
check.near(tensor.new(lc), tensor.new(la), 1e-5, "SyncBatchNorm loss curve on one rank")
local sbn = nn.SyncBatchNorm(3)
check.near(sbn:forward(tensor.randn(4, 3, 5)):mean{1, 3}, tensor.zeros(3), 1e-5, "SyncBatchNorm takes [N, C, L]")
check.raises(function() sbn:forward(tensor.randn(4)) end, "at least 2 dimensions")
check.raises(function() nn.sync_batchnorm(3) end, "bad argument #1 to 'sync_batchnorm'")
check.raises(function() train.fit(a, data.loader(ds, {batch = 16}), {optimizer = train.sgd{lr = 0.1}, distributed = "yes"}) end,
  "distributed")
print("ok")
