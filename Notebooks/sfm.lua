-- ---
-- seed: 1
-- tolerance: 1e-3
-- atol: 1e-4
-- ---

-- %% [markdown]
-- # SFM: feature-map entropy and over-parameterised convolution
--
-- SFM (PAPERS.md) trains a VGG whose 3×3 convolutions are over-parameterised ACNet
-- blocks (a 3×3, a 1×3 and a 3×1 branch, each with its BatchNorm, summed), scores every
-- filter by the entropy of its feature maps (a 256-bin histogram per map, averaged over
-- images; low entropy = little information = pruned first), prunes, fine-tunes, and
-- folds each block into one plain 3×3 convolution for inference — same outputs, fewer
-- MACs.
--
-- The defaults run a small VGG on a slice of Fashion-MNIST and replay in about a
-- minute and a half. The paper's setting (VGG-16 on CIFAR-10, He et al.'s recipe) is
-- a matter of parameters:
--
-- ```
-- topiary notebook run Notebooks/sfm.lua -p dataset=cifar10 -p data_root=/data -p arch=vgg16 \
--   -p n_train=50000 -p n_test=10000 -p epochs=160 -p finetune_epochs=40 -p lr=0.1 \
--   -p finetune_lr=0.01 -p weight_decay=1e-4 -p ratio=0.3 -p late_ratio=0.75 -p late_from=8 -p calib_batches=5
-- ```
--
-- PAPERS.md gives SFM's published result for that setting: −0.39 % top-1 at −83.3 %
-- params / −66.7 % FLOPs. Its per-layer rates are not published in the abstract;
-- 0.3 for the first seven convs and 0.75 for the last six (HRank/CHIP-style rates)
-- land near those reductions.

-- %% Parameters tags=["parameters"]
dataset = "fashion_mnist"  -- or "cifar10" (binary version under data_root)
data_root = "/data"        -- CIFAR-10 directory (data_batch_1.bin ... test_batch.bin)
arch = "small"             -- "small" (5 convs, 16-64 channels) or "vgg16"
n_train = 6000             -- training images (60000 / 50000 for the full sets)
n_test = 2000              -- test images
epochs = 2                 -- baseline training epochs (160 in the paper's recipe)
finetune_epochs = 1        -- fine-tuning epochs after pruning
finetune_lr = 0.02         -- their SGD learning rate
lr = 0.05                  -- SGD learning rate (0.1 in the recipe), momentum 0.9
weight_decay = 5e-4        -- 1e-4 in the recipe
batch = 128
ratio = 0.4                -- share of filters pruned in every conv group ...
late_ratio = 0.4           -- ... and in the convs from number late_from on
late_from = 5
bins = 256                 -- histogram bins of the entropy score
calib_batches = 2          -- calibration batches of `batch` images for the entropy

-- %% [markdown]
-- ## Data
-- Fashion-MNIST ships with the Debian package `dataset-fashion-mnist`; CIFAR-10 is
-- read from its binary files. Training images of CIFAR-10 are padded-and-cropped and
-- flipped, as in He et al.

-- %% Data
if dataset == "cifar10" then
  train_set = data.cifar10{split = "train", root = data_root}:subset(1, n_train)
  test_set = data.cifar10{split = "test", root = data_root}:subset(1, n_test)
  norm = data.normalize({0.4914, 0.4822, 0.4465}, {0.2023, 0.1994, 0.2010})
  augment = data.compose{data.random_crop(32, {padding = 4}), data.hflip(), norm}
  shape = {1, 3, 32, 32}
else
  train_set = data.fashion_mnist{split = "train"}:subset(1, n_train)
  test_set = data.fashion_mnist{split = "test"}:subset(1, n_test)
  norm = data.normalize({0.2860}, {0.3530})
  augment = norm
  shape = {1, 1, 28, 28}
end
train_loader = data.loader(train_set, {batch = batch, shuffle = true, seed = 1, transform = augment})
test_loader = data.loader(test_set, {batch = 500, transform = norm})
calib_loader = data.loader(train_set, {batch = batch, transform = norm})
print(string.format("%s: %d training and %d test images of %s", dataset, #train_set, #test_set,
  table.concat(shape, "x", 2)))

-- %% [markdown]
-- ## The model
-- A plain VGG (3×3 convs with ReLU, 2×2 max-pools, global average pooling, one linear
-- layer: PAPERS.md's VGG-16 classifier (b)) whose convs `nn.acnet` turns into ACNet
-- blocks. `gamma = 1` starts every branch's BN at γ = 1, ACNet's initialisation for
-- training from scratch (the default γ = 0 would keep a trained net's function).

-- %% Build the VGG with ACNet blocks
configs = {
  small = {16, 16, "M", 32, 32, "M", 64, "M"},
  vgg16 = {64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"},
}
function vgg(cfg, in_channels, classes)
  local layers, c = {}, in_channels
  for _, v in ipairs(cfg) do
    if v == "M" then
      layers[#layers + 1] = nn.MaxPool2d(2)
    else
      layers[#layers + 1] = nn.Conv2d(c, v, 3, {padding = 1, bias = false})
      layers[#layers + 1] = nn.ReLU()
      c = v
    end
  end
  return nn.Sequential{{"features", nn.Sequential(layers)}, {"pool", nn.AdaptiveAvgPool2d(1)},
                       {"flatten", nn.Flatten()}, {"classifier", nn.Linear(c, classes)}}
end
tensor.manual_seed(1)
net, blocks = nn.acnet(vgg(configs[arch], shape[2], 10), {gamma = 1})
print(string.format("%d convs became ACNet blocks: %s", #blocks, table.concat(blocks, ", ")))
print(net.features[1])

-- %% [markdown]
-- ## Baseline (trained once, cached)
-- `train.cached` saves the trained baseline with its architecture under
-- `topiary.cache_dir()` ($TOPIARY_CACHE, else ~/.cache/topiary), in a file named after
-- the settings below; later runs load it instead of training (delete the file to
-- retrain). Training is seeded, so a retrained baseline is the same network.

-- %% Train or load the baseline tags=["ignore-output"]
net = train.cached("sfm", {dataset = dataset, arch = arch, n_train = n_train, epochs = epochs, lr = lr,
    weight_decay = weight_decay, batch = batch}, function()
  -- lr ÷10 after 50 % and 75 % of the epochs (He et al.), for runs long enough to have them.
  local schedule = epochs >= 4 and train.schedule.multistep{milestones = {epochs // 2, 3 * epochs // 4}} or train.schedule.constant()
  local opt = train.sgd{lr = lr, momentum = 0.9, weight_decay = weight_decay}
  train.fit(net, train_loader, {epochs = epochs, optimizer = opt, schedule = schedule, progress = false})
  return net
end)

-- %% Baseline accuracy and cost
base = train.evaluate(net, test_loader)
cost = net:flops(shape)
print(string.format("baseline top-1 %.2f %%  (training form: %.2f M MACs, %.1f K params)",
  100 * base.top1, cost.macs / 1e6, cost.params / 1e3))

-- %% [markdown]
-- ## Entropy of the feature maps
-- For every filter the engine captures the maps after its block's ReLU over the
-- calibration images, computes the entropy of each map's 256-bin histogram (bins
-- spanning the map's min–max, as numpy.histogram), and averages over images. A
-- constant (dead) map has entropy 0.
--
-- The built-in criterion `entropy` does this (options `bins`, `variant = "histogram" |
-- "pooled" | "softmax"`). The same score written in Lua on the tensor kernel `entropy`
-- takes four lines — the per-batch `reduce` turns each batch of maps [B, C, H, W] into
-- entropies [B, C], so memory stays small — and agrees with it.

-- %% Score every filter by entropy
t0 = topiary.clock()
scores = criteria.score(net, "entropy", {bins = bins, calib = calib_loader, batches = calib_batches, input = shape})
print(string.format("scored %d groups in %.2f s", #blocks, topiary.clock() - t0))
criteria.define("entropy_lua", function(ctx) return ctx.fmaps:mean(1) end, {
  needs = "fmaps",
  reduce = function(maps) return maps:entropy{bins = bins} end,
})
lua_scores = criteria.score(net, "entropy_lua", {calib = calib_loader, batches = calib_batches, input = shape})
worst = 0
for _, name in ipairs(blocks) do worst = math.max(worst, (scores[name] - lua_scores[name]):abs():max()) end
print(string.format("the Lua version agrees within 1e-4 bits: %s", tostring(worst < 1e-4)))
rows = {}
for i, name in ipairs(blocks) do
  local s = scores[name]
  rows[i] = {layer = name, filters = s:numel(), min = tonumber(string.format("%.3f", s:min())),
             mean = tonumber(string.format("%.3f", s:mean())), max = tonumber(string.format("%.3f", s:max()))}
end
rows

-- %% Entropy per filter, sorted, per layer
chart = nil
for i, name in ipairs(blocks) do
  local sorted = scores[name]:sort(1)
  local xs = tensor.linspace(0, 1, sorted:numel())
  if chart then chart:add(xs, sorted, {label = name})
  else chart = plot.line(xs, sorted, {label = name, title = "Feature-map entropy per filter (sorted)",
                                      xlabel = "filter rank (fraction of the layer)", ylabel = "entropy (bits)"}) end
end
chart:show()

-- %% [markdown]
-- ## Prune, fine-tune, fuse
-- Every block is one layer to the pruning engine: removing a filter removes it from
-- all three branches and their BNs, and the next block's three branches lose the
-- matching input channels.

-- %% Plan by entropy
ratios = {}
for i, name in ipairs(blocks) do ratios[name] = i >= late_from and late_ratio or ratio end
plan = prune.plan(net, {criterion = "entropy", bins = bins, ratios = ratios, calib = calib_loader, batches = calib_batches,
                        input = shape})
print(plan)

-- %% Apply and fine-tune
function row(stage, model, acc)
  local c = model:flops(shape)
  return {stage = stage, top1 = tonumber(string.format("%.2f", 100 * acc.top1)),
          macs_M = tonumber(string.format("%.3f", c.macs / 1e6)), params_K = tonumber(string.format("%.2f", c.params / 1e3))}
end
unpruned = net:clone()
results = {row("baseline", net, base)}
plan:apply()
pruned = train.evaluate(net, test_loader)
results[#results + 1] = row("pruned by entropy", net, pruned)
print(string.format("after pruning: top-1 %.2f %%", 100 * pruned.top1))
opt = train.sgd{lr = finetune_lr, momentum = 0.9, weight_decay = weight_decay}
train.fit(net, train_loader, {epochs = finetune_epochs, optimizer = opt, progress = false})
tuned = train.evaluate(net, test_loader)
results[#results + 1] = row("fine-tuned", net, tuned)
print(string.format("after fine-tuning: top-1 %.2f %%", 100 * tuned.top1))

-- %% [markdown]
-- ## Against other criteria
-- The same per-layer rates chosen by the filters' ℓ1 norms and at random, on copies of
-- the baseline, before any fine-tuning: how much of the network each choice keeps.

-- %% Entropy against l1 and random (before fine-tuning)
others = {{criterion = "entropy", top1 = results[2].top1}}
for _, c in ipairs{"l1", "random"} do
  local m = unpruned:clone()
  prune.plan(m, {criterion = c, ratios = ratios, input = shape}):apply()
  others[#others + 1] = {criterion = c, top1 = tonumber(string.format("%.2f", 100 * train.evaluate(m, test_loader).top1))}
end
others

-- %% Fuse every block into one 3x3 conv
net:eval()
probe = test_loader:batch(1)
before = net:forward(probe)
fused, fused_paths = nn.fuse(net)       -- in place: net is now the fused net
after = fused:forward(probe)
print(string.format("fused %d blocks; the outputs agree within 1e-3: %s", #fused_paths,
  tostring((before - after):abs():max() < 1e-3 * math.max(1, before:abs():max()))))
print(fused.features[1])
final = train.evaluate(fused, test_loader)
results[#results + 1] = row("fine-tuned, fused", fused, final)

-- %% Results
unpruned_fused = nn.fuse(unpruned:eval())
table.insert(results, 2, row("baseline, fused", unpruned_fused, train.evaluate(unpruned_fused, test_loader)))
r0, r1 = results[2], results[5]
print(string.format("fused baseline -> fused pruned: MACs -%.1f %%, params -%.1f %%, top-1 %+.2f points",
  100 * (1 - r1.macs_M / r0.macs_M), 100 * (1 - r1.params_K / r0.params_K), r1.top1 - r0.top1))
results

-- %% Accuracy per stage
acc_chart = plot.bar({results[1].top1, results[3].top1, results[4].top1, results[5].top1},
  {labels = {"baseline", "pruned", "fine-tuned", "fused"}, ylabel = "top-1 (%)", title = "SFM on " .. dataset})
acc_chart:show()
