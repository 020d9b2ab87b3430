-- ---
-- seed: 1
-- tolerance: 1e-3
-- ---

-- %% [markdown]
-- # Prune, reconstruct, distil: a ThiNet-style study in Lua
--
-- Three steps of reconstruction-based pruning (ThiNet, Luo et al. 2017; Channel Pruning,
-- He et al. 2017), each written here in a few lines of Lua on the built-in kernels:
--
-- 1. **A criterion that reads the next layer.** A channel matters as much as what the
--    next conv makes of it: its mean activation times the norm of the next conv's weights
--    on it. `ctx.members` gives the consumer and where it reads the group's channels.
-- 2. **Reconstruction.** After the channels go, the next conv's weights are refitted by
--    least squares (`tensor.lstsq`) so that its outputs on calibration images match the
--    unpruned net's: accuracy comes back before any fine-tuning.
-- 3. **Fine-tuning with distillation.** One epoch with cross-entropy against one epoch
--    distilled from the unpruned net (`train.fit{teacher =, distill =}`).
--
-- The baseline is the one `custom_criterion.lua` trains (same `train.cached` name and
-- parameters), so the two notebooks share one training.

-- %% Parameters tags=["parameters"]
n_train = 6000       -- training images (as custom_criterion.lua, whose baseline this reuses)
n_test = 2000        -- test images used for evaluation
epochs = 1           -- training epochs of the baseline
finetune_epochs = 1  -- fine-tuning epochs after pruning
ratio = 0.5          -- share of conv1's channels removed
calib_images = 256   -- calibration images for the criterion and the refit
alpha, temperature = 0.9, 4   -- distillation

-- %% Data
train_set = data.fashion_mnist{split = "train"}:subset(1, n_train)
test_set = data.fashion_mnist{split = "test"}:subset(1, n_test)
norm = data.normalize({0.2860}, {0.3530})
train_loader = data.loader(train_set, {batch = 128, shuffle = true, seed = 1, transform = norm})
test_loader = data.loader(test_set, {batch = 500, transform = norm})
calib_loader = data.loader(train_set, {batch = calib_images, transform = norm})
shape = {1, 1, 28, 28}
for x in calib_loader:iter() do calib = x; break end   -- one batch of calibration images

-- %% Baseline (trained once, then read from the cache) tags=["ignore-output"]
base_net, baseline_info = train.cached("custom_criterion", {n_train = n_train, epochs = epochs}, function()
  tensor.manual_seed(1)
  local net = nn.zoo.small_cnn{classes = 10}
  local opt = train.sgd{lr = 0.05, momentum = 0.9, weight_decay = 5e-4}
  train.fit(net, train_loader, {epochs = epochs, optimizer = opt, progress = false})
  return net
end)
base_net = base_net:eval()

-- %% Evaluate the baseline
base = train.evaluate(base_net, test_loader)
print(string.format("baseline top-1 %.2f %%", 100 * base.top1))

-- %% [markdown]
-- ## 1. A criterion that reads the next layer
-- Per channel c: the mean of its activation over the calibration images, times
-- ‖W_next[:, c]‖₂ summed over the layers that read it (`role == "in"`, at
-- `positions[c]` of their input channels).

-- %% Define it
criteria.define("next_layer", function(ctx)
  local f = ctx.fmaps   -- [N, C, H, W] after a conv's activation, [N, C] after a Linear's
  local act = f:dim() == 4 and f:mean{1, 3, 4} or f:mean(1)
  local reach = tensor.zeros(ctx.channels)
  for _, m in ipairs(ctx.members) do
    if m.role == "in" and m.module.type == "Conv2d" then
      local w = m.module.weight:index_select(2, tensor.new(m.positions):long())
      reach = reach + w:pow(2):sum{1, 3, 4}:sqrt()
    end
  end
  return act * reach
end, {needs = "fmaps"})
scores = {}
for _, c in ipairs{"l1", "next_layer"} do
  scores[c] = criteria.score(base_net, c, {calib = calib, input = shape})["conv1"]
end
print(string.format("Spearman(l1, next_layer) on conv1: %.3f", tensor.spearman(scores.l1, scores.next_layer)))

-- %% [markdown]
-- ## 2. Prune conv1 and refit conv2
-- conv2 reads conv1's channels after bn1, relu1 and pool1. Its input patches (3×3,
-- padding 1) on the calibration images, unfolded to rows, give a least-squares problem
-- for its weights on the channels that remain: min ‖X_kept W − Y‖, Y being conv2's
-- outputs in the unpruned net.

-- %% Helpers: capture, unfold
function maps_at(net, name, x) return net:capture(name, x)[name] end
function unfold(m)   -- (N, C, H, W) -> (N·H·W, C·9), a 3×3 window with padding 1
  local n, c, h, w = table.unpack(m:shape())
  local padded = tensor.zeros(n, c, h + 2, w + 2)
  padded:narrow(3, 2, h):narrow(4, 2, w):copy(m)
  local shifts = {}
  for ky = 1, 3 do for kx = 1, 3 do shifts[#shifts + 1] = padded:narrow(3, ky, h):narrow(4, kx, w) end end
  return tensor.stack(shifts, 3):permute(1, 4, 5, 2, 3):contiguous():view(n * h * w, c * 9)
end
function rows(m) return m:permute(1, 3, 4, 2):contiguous():view(-1, m:size(2)) end
x_in = maps_at(base_net, "pool1", calib)        -- conv2's input, all 32 channels
y_out = rows(maps_at(base_net, "conv2", calib)) -- conv2's output to match
check_err = (unfold(x_in):matmul(base_net:get("conv2").weight:view(64, -1):t()) - y_out):abs():max()
print(string.format("unfolded patches reproduce conv2 to %.1e", check_err))

-- %% Prune with each criterion; refit; evaluate before fine-tuning
function pruned_copy(criterion)
  local net = base_net:clone()
  local plan = prune.plan(net, {criterion = criterion, ratios = {conv1 = ratio}, calib = calib, input = shape})
  local kept = plan.kept["conv1"]
  plan:apply()
  return net, kept
end
function refit(net, kept)
  local idx = tensor.new(kept):long()
  local x = unfold(x_in:index_select(2, idx))
  local w, info = tensor.lstsq(x, y_out)
  net:get("conv2").weight = w:t():contiguous():view(64, #kept, 3, 3)
  return info
end
function prune_and_refit(list)
  results, nets = {}, {}
  for _, c in ipairs(list) do
    local net, kept = pruned_copy(c)
    local deleted = train.evaluate(net, test_loader).top1
    local info = refit(net, kept)
    local refitted = train.evaluate(net, test_loader).top1
    nets[c] = net
    results[#results + 1] = {criterion = c, kept = #kept, pruned = tonumber(string.format("%.4f", deleted)),
      refitted = tonumber(string.format("%.4f", refitted)), rank = info.rank}
  end
  return results
end
prune_and_refit{"l1", "next_layer"}

-- %% [markdown]
-- The refit brings the pruned net back to about the baseline's accuracy before any
-- fine-tuning, whichever criterion chose the channels: with half of conv1 gone, conv2's
-- remaining inputs still span most of what it computed. `rank` below the column count
-- (16·9 = 144) says some kept channels' patches are linearly dependent on the others on
-- these images (channels that are nearly never active); lstsq's minimum-norm solution
-- handles that.
--
-- ## 3. Fine-tune: cross-entropy or distillation from the unpruned net
-- The refitted next_layer net, one epoch each way, same seed and learning rate.

-- %% Fine-tune both ways
function tune(teacher)
  local net = nets.next_layer:clone()
  tensor.manual_seed(2)
  local opt = train.sgd{lr = 0.01, momentum = 0.9, weight_decay = 5e-4}
  local o = {epochs = finetune_epochs, optimizer = opt, progress = false}
  if teacher then o.teacher, o.distill = teacher, {alpha = alpha, temperature = temperature} end
  train.fit(net, train_loader, o)
  return tonumber(string.format("%.4f", train.evaluate(net, test_loader).top1))
end
function tune_both()
  tuned = {{loss = "cross-entropy", top1 = tune(nil)}, {loss = "distilled", top1 = tune(base_net)}}
  return tuned
end
tune_both()

-- %% [markdown]
-- Distillation pulls the student towards its teacher. Here the teacher is the baseline
-- trained for one epoch, weaker than what one more epoch of cross-entropy gives the
-- student, so cross-entropy ends higher: distillation pays only when the teacher is the
-- better network (train the baseline longer with `-p epochs=...` to study that case).

-- %% Summary
macs = prune.report(base_net, nets.next_layer, {input = shape, latency = false}).macs
summary = plot.bar({base.top1, results[2].pruned, results[2].refitted, tuned[1].top1, tuned[2].top1},
  {labels = {"baseline", "pruned", "refitted", "+ CE", "+ KD"}, ylabel = "top-1",
   title = string.format("small_cnn, conv1 −%d %% (MACs %.2f M → %.2f M)", math.floor(100 * ratio + 0.5),
     macs.before / 1e6, macs.after / 1e6)})
summary:show()
