-- Measures what README's "Going further: clusters" quotes (run by Scripts/bench_dist.sh):
--   allreduce: GB/s of dist.allreduce over a float32 tensor of SIZE_MB (algorithm bandwidth:
--              bytes / seconds, the median of REPS calls after a warm-up);
--   fit:       images/s of train.fit{distributed = true} fine-tuning a ResNet-56 on random
--              CIFAR-shaped images, global batch 128 (128 / dist.size() per rank), STEPS steps.
-- Prints one JSON line (rank 1 only).
-- Usage: topiary run Scripts/bench_dist.lua -- allreduce [SIZE_MB REPS] | fit [STEPS]
local what = arg[1] or "allreduce"
local K, rank = dist.size(), dist.rank()

if what == "allreduce" then
  local mb, reps = tonumber(arg[2] or "64"), tonumber(arg[3] or "10")
  local t = tensor.ones(math.floor(mb * 2^20 / 4))
  dist.allreduce(t)
  local times = {}
  for i = 1, reps do
    dist.barrier()
    local t0 = topiary.clock()
    dist.allreduce(t)
    times[i] = topiary.clock() - t0
  end
  table.sort(times)
  local s = times[(reps + 1) // 2]
  if rank == 1 then
    print(string.format('{"bench": "dist_allreduce", "ranks": %d, "mb": %g, "seconds": %.6f, "gb_per_s": %.3f}',
      K, mb, s, mb * 2^20 / s / 1e9))
  end
elseif what == "fit" then
  local steps = tonumber(arg[2] or "10")
  tensor.manual_seed(1)
  local n = 128 * steps
  local ds = data.tensor_dataset(tensor.randn(n, 3, 32, 32), tensor.zeros(n))
  local net = nn.zoo.resnet56{classes = 10}
  local hist = train.fit(net, data.loader(ds, {batch = 128 // K}), {
    epochs = 1, optimizer = train.sgd{lr = 0.01, momentum = 0.9}, distributed = true, progress = false})
  if rank == 1 then
    print(string.format('{"bench": "dist_fit_resnet56", "ranks": %d, "batch": 128, "steps": %d, "images_per_s": %.1f}',
      K, steps, hist.epochs[1].images_per_s))
  end
else
  error("usage: bench_dist.lua allreduce [SIZE_MB REPS] | fit [STEPS]")
end
