-- The dist module under `mpirun -np 2`: rank and size, allreduce (sum, mean, max, min;
-- float32 and int64; non-contiguous views; a NaN propagates through max and min),
-- broadcast from either root, barrier, and the errors: mismatched element counts, a bad
-- op or root, and ranks that disagree on the model's parameter count in
-- train.fit{distributed = true}.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "../Lua/lib/check.lua")
local K, r = dist.size(), dist.rank()
assert(K == 2, "run with mpirun -np 2, got " .. K .. " ranks")
assert(r == 1 or r == 2)

local t = tensor.new{r, 10 * r, -r}
check.near(dist.allreduce(t:clone()), {3, 30, -3}, 0, "sum")
check.near(dist.allreduce(t:clone(), "mean"), {1.5, 15, -1.5}, 0, "mean")
check.near(dist.allreduce(t:clone(), "max"), {2, 20, -1}, 0, "max")
check.near(dist.allreduce(t:clone(), "min"), {1, 10, -2}, 0, "min")
-- A NaN on any rank makes that element NaN for max and min, whichever rank holds it
-- (MPI_MAX and MPI_MIN compare with > and <: a NaN survived or not by the ranks' order).
local nan = 0 / 0
local with_nan = r == 1 and tensor.new{nan, 1, 2} or tensor.new{5, nan, 1}
for _, op in ipairs{"max", "min"} do
  local got = dist.allreduce(with_nan:clone(), op)
  assert(got[1] ~= got[1] and got[2] ~= got[2], op .. ": a NaN on either rank propagates, got " .. tostring(got))
  assert(got[3] == (op == "max" and 2 or 1), op .. ": the NaN-free element")
end
local i = tensor.new{r, 3}:long()
dist.allreduce(i, "sum")
assert(i:dtype() == "int64" and i[1] == 3 and i[2] == 6, "int64 sum")
-- A transposed view is reduced in place.
local m = tensor.new{{1, 2}, {3, 4}} * r
local v = m:transpose(1, 2)
dist.allreduce(v)
check.near(m, tensor.new{{3, 6}, {9, 12}}, 0, "view reduced in place")
-- Broadcast from rank 2, then from rank 1 (default).
local b = tensor.full({2, 2}, r)
assert(dist.broadcast(b, 2) == b)
check.near(b, tensor.full({2, 2}, 2), 0, "broadcast from 2")
check.near(dist.broadcast(tensor.full({3}, r)), tensor.full({3}, 1), 0, "broadcast from 1")
dist.barrier()

-- Errors, raised on every rank.
check.raises(function() dist.allreduce(tensor.zeros(r + 1)) end,
  "allreduce: ranks disagree on the element count: rank 1 has 2, rank 2 has 3")
check.raises(function() dist.broadcast(tensor.zeros(r)) end,
  "broadcast: ranks disagree on the element count: rank 1 has 1, rank 2 has 2")
check.raises(function() dist.allreduce(tensor.zeros(2), "prod") end, "invalid op 'prod'")
check.raises(function() dist.broadcast(tensor.zeros(2), 3) end, "root rank 3 out of range (1 ... 2)")

local x = tensor.randn(8, 4)
local ds = data.tensor_dataset(x, tensor.new{0, 1, 0, 1, 0, 1, 0, 1})
local net = nn.Sequential{nn.Linear(4, r + 1)}   -- rank 1: 10 parameters, rank 2: 15
check.raises(function()
  train.fit(net, data.loader(ds, {batch = 2}), {optimizer = train.sgd{lr = 0.1}, distributed = true, progress = false})
end, "fit: ranks disagree on the model's parameter count: rank 1 has 10, rank 2 has 15")
dist.barrier()
if r == 1 then print("ok dist ops: allreduce, broadcast, barrier, errors") end
