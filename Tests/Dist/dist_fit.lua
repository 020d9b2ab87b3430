-- Data-parallel train.fit: run once without mpirun (the reference: 1 rank × batch 128)
-- and once under `mpirun -np 2` (2 ranks × batch 64), which compares itself with the
-- reference: the same weights after 20 SGD steps (BN-free net, mode "plain"), the same
-- loss curve within 1e-4 with nn.sync_batchnorm (mode "sync"), the same evaluation over
-- an eval loader whose last batch splits unevenly, and identical weights on every rank.
-- Mode "distill": the plain net distilled from a teacher (teacher =, distill =) that each rank
-- builds differently: rank 1's is sent to every rank, each runs it on its own share.
-- Usage: topiary run Tests/Dist/dist_fit.lua -- plain|sync|distill OUT_DIR
local check = dofile((arg[0]:match("(.*/)") or "./") .. "../Lua/lib/check.lua")
local mode, out = arg[1], arg[2]
assert(mode == "plain" or mode == "sync" or mode == "distill", "mode: plain, sync or distill")
local K, rank = dist.size(), dist.rank()

-- 20 global batches of 128 images 3×6×6, 4 classes.
tensor.manual_seed(3)
local n = 128 * 20
local labels = {}
for i = 1, n do labels[i] = (i * 7 + i // 3) % 4 end
local y = tensor.new(labels)
local x = tensor.randn(n, 3, 6, 6) + y:view(n, 1, 1, 1) * 0.3
local ds = data.tensor_dataset(x, y)
local eval_ds = data.tensor_dataset(x:narrow(1, 1, 251), y:narrow(1, 1, 251))

-- Every rank starts from different weights: train.fit broadcasts rank 1's.
tensor.manual_seed(11 + (rank - 1) * 100)
local net
local teacher
if mode == "distill" then
  tensor.manual_seed(21 + (rank - 1) * 100)
  teacher = nn.Sequential{nn.Conv2d(3, 8, 3, {padding = 1}), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 36, 4)}
  tensor.manual_seed(11 + (rank - 1) * 100)
end
if mode ~= "sync" then
  net = nn.Sequential{nn.Conv2d(3, 8, 3, {padding = 1}), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 36, 4)}
else
  net = nn.Sequential{nn.Conv2d(3, 8, 3, {padding = 1, bias = false}), nn.BatchNorm2d(8), nn.ReLU(),
                      nn.Flatten(), nn.Linear(8 * 36, 4)}
  local _, swapped = nn.sync_batchnorm(net)
  check.same(swapped, {"1"}, "swapped BatchNorms")
end

local loader = data.loader(ds, {batch = 128 // K, shuffle = true, seed = 7})
local losses = {}
local hist = train.fit(net, loader, {
  epochs = 1, optimizer = train.sgd{lr = 0.05, momentum = 0.9}, distributed = true, progress = false,
  eval = data.loader(eval_ds, {batch = 50 // K}), checkpoint = out .. "/" .. mode .. ".ckpt",
  on_step = function(s) losses[#losses + 1] = s.loss end,
  teacher = teacher, distill = teacher and {alpha = 0.7, temperature = 3},
})
assert(#losses == 20, "20 steps, got " .. #losses)
local ev = hist.epochs[1].eval
assert(ev.samples == 251, "eval covers all 251 samples over the ranks, got " .. ev.samples)

-- Parameters and float buffers, flattened in state-dict order.
local sd, keys = net:state_dict(), net:state_dict_keys()
local parts = {}
for _, k in ipairs(keys) do
  if sd[k]:dtype() == "float32" then parts[#parts + 1] = sd[k]:reshape(-1) end
end
local flat = tensor.cat(parts, 1)
local curve = tensor.new(losses)
local evals = tensor.new{ev.loss, ev.top1}

if K == 1 then
  flat:save(out .. "/" .. mode .. "_weights.npy")
  curve:save(out .. "/" .. mode .. "_losses.npy")
  evals:save(out .. "/" .. mode .. "_eval.npy")
  print("reference written")
  return
end

-- Every rank holds the same weights.
local hi, lo = dist.allreduce(flat:clone(), "max"), dist.allreduce(flat:clone(), "min")
check.near(hi, lo, 0, "ranks' weights")
if teacher then
  local tw = teacher:state_dict()["0.weight"]:reshape(-1)
  check.near(dist.allreduce(tw:clone(), "max"), dist.allreduce(tw:clone(), "min"), 0, "ranks' teachers: rank 1's")
end
local ref_w = tensor.load(out .. "/" .. mode .. "_weights.npy")
local ref_l = tensor.load(out .. "/" .. mode .. "_losses.npy")
local ref_e = tensor.load(out .. "/" .. mode .. "_eval.npy")
check.near(curve, ref_l, 1e-4, mode .. ": loss curve, 2 ranks x 64 vs 1 rank x 128")
check.near(flat, ref_w, mode == "sync" and 1e-4 or 2e-5, mode .. ": weights after 20 steps")
check.near(evals, ref_e, 1e-4, mode .. ": evaluation")
dist.barrier()
assert(io.open(out .. "/" .. mode .. ".ckpt", "rb"), "rank 1 wrote the checkpoint")
if rank == 1 then print(string.format("ok %s: %d ranks, weights max |diff| %.2g, loss max |diff| %.2g", mode, K,
  (flat - ref_w):abs():max(), (curve - ref_l):abs():max())) end
