-- BatchNorm in train.fit{distributed = true} under `mpirun -np 2`:
--   * plain BatchNorm: each rank's running statistics follow its own shard of the batches;
--     fit makes them rank 1's at the end of every epoch, so the distributed evaluation is
--     that of one model (rank 1's, over every eval sample), the checkpoint holds what every
--     rank holds, and the ranks end with identical state;
--   * nn.sync_batchnorm with a last batch that leaves one sample on rank 2 (three over
--     both ranks) trains as one process over the whole batch, no error.
-- Usage: topiary run Tests/Dist/dist_batchnorm.lua -- OUT_DIR
local check = dofile((arg[0]:match("(.*/)") or "./") .. "../Lua/lib/check.lua")
local out = assert(arg[1], "usage: dist_batchnorm.lua OUT_DIR")
local K, r = dist.size(), dist.rank()
assert(K == 2, "run with mpirun -np 2, got " .. K .. " ranks")

local state = dofile((arg[0]:match("(.*/)") or "./") .. "lib/state.lua")
local flat = state.flat
local identical_on_every_rank = state.identical_on_every_rank

-- Plain BatchNorm2d, 2 epochs of 6 steps (global batch 16), eval after each.
tensor.manual_seed(3)
local n = 96
local labels = {}
for i = 1, n do labels[i] = i % 3 end
local y = tensor.new(labels)
local x = tensor.randn(n, 2, 4, 4) + y:view(n, 1, 1, 1) * 0.5
local ds = data.tensor_dataset(x, y)
local eval_ds = data.tensor_dataset(x:narrow(1, 1, 30), y:narrow(1, 1, 30))
tensor.manual_seed(7)
local net = nn.Sequential{nn.Conv2d(2, 4, 3, {padding = 1}), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.Linear(64, 3)}
local ckpt = out .. "/bn.ckpt"
local hist = train.fit(net, data.loader(ds, {batch = 8, shuffle = true, seed = 2}), {
  epochs = 2, optimizer = train.sgd{lr = 0.05, momentum = 0.9}, distributed = true, progress = false, log = false,
  eval = data.loader(eval_ds, {batch = 5}), checkpoint = ckpt,
})
identical_on_every_rank(flat(net), "plain BatchNorm: every rank's state after fit")
-- The distributed evaluation of the last epoch: one model (rank 1's) over all 30 samples.
local whole = train.evaluate(net, data.loader(eval_ds, {batch = 30}))
check.near(hist.epochs[2].eval.loss, whole.loss, 1e-5, "distributed evaluation = rank 1's model over every sample")
-- Rank 1's checkpoint holds every rank's running statistics.
dist.barrier()
local saved = tensor.load_safetensors(ckpt)
for _, k in ipairs{"1.running_mean", "1.running_var"} do
  check.near(saved[k], net:state_dict()[k], 0, "rank " .. r .. ": checkpoint's " .. k)
end

-- SyncBatchNorm, 11 samples, batch 4 per rank: a step of 8, then 3 samples (rank 1: 2, rank 2: 1).
tensor.manual_seed(5)
local xs = tensor.randn(11, 3)
local ys = tensor.new{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1}
local small = data.tensor_dataset(xs, ys)
local function make()
  tensor.manual_seed(9)
  return nn.Sequential{nn.Linear(3, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3)}
end
local function fit(model, batch, distributed)
  local losses = {}
  train.fit(model, data.loader(small, {batch = batch}), {
    epochs = 2, optimizer = train.sgd{lr = 0.1}, distributed = distributed, progress = false, log = false,
    on_step = function(s) losses[#losses + 1] = s.loss end,
  })
  return tensor.new(losses)
end
local ref = make()
local ref_losses = fit(ref, 8, false)         -- one process, batches of 8 and 3
local synced = nn.sync_batchnorm(make())
local losses = fit(synced, 4, true)
check.near(losses, ref_losses, 1e-5, "SyncBatchNorm with 1 sample on a rank: loss curve")
check.near(flat(synced), flat(ref), 1e-5, "SyncBatchNorm with 1 sample on a rank: state after 2 epochs")

dist.barrier()
if r == 1 then print("ok dist batchnorm: plain BatchNorm's buffers are rank 1's, SyncBatchNorm takes 1 sample on a rank") end
