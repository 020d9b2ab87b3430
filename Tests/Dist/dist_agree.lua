-- train.fit{distributed = true} when the ranks would fall out of step: every rank gets the
-- same clear error before the first step (under pcall too: no rank is left waiting in a
-- collective), and a callback that stops training on one rank stops every rank.
--   * different numbers of batches per epoch (each rank loads a dataset of its own size);
--   * models whose parameter totals match but whose shapes differ;
--   * on_step returning false on rank 2 only.
-- mpi_test.sh runs it under a timeout: a hang is a failure.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "../Lua/lib/check.lua")
local K, r = dist.size(), dist.rank()
assert(K == 2, "run with mpirun -np 2, got " .. K .. " ranks")

local function options(extra)
  local o = {optimizer = train.sgd{lr = 0.1}, distributed = true, progress = false, log = false}
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end
local function dataset(n, features, classes)
  local labels = {}
  for i = 1, n do labels[i] = i % classes end
  return data.tensor_dataset(tensor.randn(n, features), tensor.new(labels))
end

-- Rank 1 has 16 samples, rank 2 has 24: batch 4 per rank (global 8) gives 2 and 3 steps.
tensor.manual_seed(1)
local uneven = dataset(r == 1 and 16 or 24, 2, 2)
check.raises(function()
  train.fit(nn.Sequential{nn.Linear(2, 2)}, data.loader(uneven, {batch = 4}), options())
end, "fit: ranks disagree on the number of batches per epoch: rank 1 has 2, rank 2 has 3")

-- The same parameter count (16) and tensor count (2), different shapes.
local net
if r == 1 then
  net = nn.Sequential{nn.Linear(2, 4, {bias = false}), nn.Linear(4, 2, {bias = false})}
else
  net = nn.Sequential{nn.Linear(2, 2, {bias = false}), nn.Linear(2, 6, {bias = false})}
end
local same = dataset(16, 2, 2)
check.raises(function() train.fit(net, data.loader(same, {batch = 4}), options()) end,
  "fit: ranks disagree on the model's state tensor 1: rank 1 has '0.weight' [4, 2], rank 2 has '0.weight' [2, 2]")
-- A state tensor more on one rank (a BatchNorm buffer), the parameters alike.
local bn = nn.BatchNorm1d(2, {track_running_stats = r == 1})
check.raises(function() train.fit(nn.Sequential{bn}, data.loader(same, {batch = 4}), options()) end,
  "fit: ranks disagree on the model's number of state tensors (parameters and buffers): rank 1 has 5, rank 2 has 2")

-- on_step stops rank 2 alone after step 2 (say, a time budget measured per rank): both ranks stop there.
tensor.manual_seed(4)
local long = dataset(64, 2, 2)
local steps = 0
local hist = train.fit(nn.Sequential{nn.Linear(2, 2)}, data.loader(long, {batch = 4}), options{
  epochs = 3,
  on_step = function(s) steps = steps + 1; return not (r == 2 and s.step == 2) end,
})
assert(steps == 2, "rank " .. r .. " ran " .. steps .. " steps, expected 2")
assert(#hist.epochs == 1 and hist.epochs[1].partial and hist.epochs[1].steps == 2,
  "rank " .. r .. ": the history ends with the partial epoch 1 (2 steps)")
-- on_epoch stops rank 1 alone after epoch 1.
local epochs = 0
hist = train.fit(nn.Sequential{nn.Linear(2, 2)}, data.loader(long, {batch = 4}), options{
  epochs = 3, on_epoch = function() epochs = epochs + 1; return r ~= 1 end,
})
assert(epochs == 1 and #hist.epochs == 1, "rank " .. r .. " ran " .. epochs .. " epochs, expected 1")

dist.barrier()
if r == 1 then print("ok dist agree: batch counts, model shapes, callbacks' stops") end
