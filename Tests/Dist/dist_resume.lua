-- train.fit{distributed = true, resume = true} when ranks see different files at the
-- checkpoint path (a node-local path: here each rank passes a path of its own): rank 1's
-- file decides for every rank, and every rank resumes from its contents (weights,
-- optimizer state, epoch), so 2 epochs + 1 resumed equal 3 epochs in one go.
--   * the checkpoint exists on rank 1 only: every rank resumes after epoch 2;
--   * a stale checkpoint exists on rank 2 only: every rank starts afresh;
--   * rank 1's file is not a checkpoint: every rank gets its error.
-- Usage: topiary run Tests/Dist/dist_resume.lua -- OUT_DIR
local check = dofile((arg[0]:match("(.*/)") or "./") .. "../Lua/lib/check.lua")
local out = assert(arg[1], "usage: dist_resume.lua OUT_DIR")
local K, r = dist.size(), dist.rank()
assert(K == 2, "run with mpirun -np 2, got " .. K .. " ranks")

local state = dofile((arg[0]:match("(.*/)") or "./") .. "lib/state.lua")
local flat = state.flat

tensor.manual_seed(3)
local n = 64
local labels = {}
for i = 1, n do labels[i] = i % 3 end
local y = tensor.new(labels)
local ds = data.tensor_dataset(tensor.randn(n, 4) + y:view(n, 1) * 0.5, y)
-- Every rank starts from weights of its own: fit broadcasts rank 1's, or resumes.
local function make()
  tensor.manual_seed(11 + (r - 1) * 100)
  return nn.Sequential{nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3)}
end
local function fit(net, epochs, extra)
  local o = {epochs = epochs, optimizer = train.sgd{lr = 0.05, momentum = 0.9}, distributed = true,
             progress = false, log = false}
  for k, v in pairs(extra or {}) do o[k] = v end
  return train.fit(net, data.loader(ds, {batch = 8, shuffle = true, seed = 5}), o)
end

local ref = make()
fit(ref, 3)

-- Each rank's own path; only rank 1 writes checkpoints, so only its file exists.
local path = out .. "/resume_rank" .. r .. ".ckpt"
os.remove(path)
dist.barrier()
fit(make(), 2, {checkpoint = path})
dist.barrier()
assert((io.open(path, "rb") ~= nil) == (r == 1), "rank " .. r .. ": only rank 1 has a checkpoint")
local resumed = make()
local hist = fit(resumed, 3, {checkpoint = path, resume = true})
assert(#hist.epochs == 1 and hist.epochs[1].epoch == 3, "rank " .. r .. " resumed after epoch 2")
check.near(flat(resumed), flat(ref), 1e-6, "rank " .. r .. ": 2 epochs + 1 resumed = 3 epochs")

-- A stale checkpoint (another run's, after 1 epoch) on rank 2 only: every rank starts afresh.
dist.barrier()
os.remove(path)
if r == 2 then
  train.fit(make(), data.loader(ds, {batch = 8}), {epochs = 1, optimizer = train.sgd{lr = 0.05, momentum = 0.9},
    checkpoint = path, progress = false, log = false})
end
dist.barrier()
local fresh = make()
hist = fit(fresh, 3, {checkpoint = path, resume = true})
assert(#hist.epochs == 3, "rank " .. r .. " trained 3 epochs from scratch, got " .. #hist.epochs)
check.near(flat(fresh), flat(ref), 1e-6, "rank " .. r .. ": rank 1 had no checkpoint: 3 epochs from scratch")

-- Rank 1's checkpoint is not a checkpoint: its error is every rank's (rank 2 has no file).
dist.barrier()
if r == 1 then
  local f = assert(io.open(path, "wb")); f:write("not a checkpoint"); f:close()
else
  os.remove(path)
end
dist.barrier()
check.raises(function() fit(make(), 3, {checkpoint = path, resume = true}) end, "checkpoint: " .. out .. "/resume_rank1.ckpt")

dist.barrier()
if r == 1 then print("ok dist resume: rank 1's checkpoint decides and is shared") end
