-- ---
-- seed: 1
-- tolerance: 1e-4
-- ---

-- %% [markdown]
-- # FPWT: filter pruning by wavelet-transform similarity
--
-- The protocol of the FPWT paper (PAPERS.md) end to end on a CIFAR-style ResNet: train a
-- baseline (once; it is cached), capture the post-ReLU maps of every block's inner layer,
-- score its filters with FPWT, prune, fine-tune, evaluate, and compare with the plain energy
-- variant and with Li et al.'s filter L1 at the same pruning ratio.
--
-- FPWT, as reconstructed in PAPERS.md: each map is split by a 2-D wavelet transform into
-- its approximation L (LL) and details H (LH, HL, HH); α and β are the layer's share of
-- energy in L and in H; two channels are alike when their L and H agree in direction,
-- sim(i, j) = mean over images of α·cos(L_i, L_j) + β·cos(H_i, H_j); a channel is important
-- when it is unlike the others, importance(i) = −mean_{j≠i} sim(i, j).
--
-- The defaults replay in a minute or two on Fashion-MNIST (a ResNet-20 on 2000 images
-- average-pooled to 14×14, the grey channel repeated three times; `-p size=28` keeps
-- them whole). For the paper's setting:
-- `topiary notebook run Notebooks/fpwt.lua -p dataset=cifar10 -p cifar_root=/data/cifar-10-batches-bin
--  -p arch=resnet110 -p n_train=50000 -p n_test=10000 -p epochs=160 -p finetune_epochs=40 -p ratio=0.6`
-- (He et al.'s recipe: SGD 0.9, wd 1e-4, batch 128, lr 0.1 divided by 10 at 50 % and 75 %).
-- Published (ResNet-110, CIFAR-10): more than 60 % of FLOPs and parameters removed, +0.53 %
-- top-1.

-- %% Parameters tags=["parameters"]
dataset = "fashion_mnist"   -- or "cifar10" (needs cifar_root)
cifar_root = "/usr/share/datasets/cifar10"
arch = "resnet20"           -- resnet20 | resnet32 | resnet56 | resnet110 (the paper's)
n_train = 2000              -- training images (50000 for CIFAR-10, 60000 for Fashion-MNIST)
n_test = 500                -- test images
size = 14                   -- Fashion-MNIST images average-pooled to size x size (28 keeps them whole)
epochs = 2                  -- baseline training epochs
finetune_epochs = 1         -- fine-tuning epochs after pruning
lr = 0.05                   -- initial learning rate (divided by 10 at 50 % and 75 % of the epochs)
batch = 128
ratio = 0.5                 -- share of the inner channels of every block removed
calib_batches = 2           -- calibration batches of 128 training images (HRank's family uses 5)
wavelet = "haar"            -- FPWT's options: wavelet, mode, level, weights
mode = "symmetric"
level = 1
weights = "layer"

-- %% Data
if dataset == "cifar10" then
  train_set = data.cifar10{split = "train", root = cifar_root}:subset(1, n_train)
  test_set = data.cifar10{split = "test", root = cifar_root}:subset(1, n_test)
  norm = data.normalize({0.4914, 0.4822, 0.4465}, {0.2023, 0.1994, 0.2010})
  augment = {data.random_crop(32, {padding = 4}), data.hflip()}
  to_rgb = nil
  shape = {1, 3, 32, 32}
else
  train_set = data.fashion_mnist{split = "train"}:subset(1, n_train)
  test_set = data.fashion_mnist{split = "test"}:subset(1, n_test)
  norm = data.normalize({0.2860}, {0.3530})
  augment = {}
  -- the CIFAR ResNets take three channels: the grey one, three times (pooled to size x size
  -- so that the replay stays short)
  local pool = size < 28 and nn.AvgPool2d(28 // size) or nil
  to_rgb = function(x)
    if pool then x = pool:forward(x) end
    return tensor.cat({x, x, x}, 2)
  end
  shape = {1, 3, 28 // (28 // size), 28 // (28 // size)}
end
function transforms(extra)
  local t = {}
  for _, a in ipairs(extra or {}) do t[#t + 1] = a end
  t[#t + 1] = norm
  if to_rgb then t[#t + 1] = to_rgb end
  return t
end
-- a fresh shuffled loader per training run, so that every run sees the same batches
-- whether or not the baseline was trained in this session
function train_loader(seed)
  return data.loader(train_set, {batch = batch, shuffle = true, seed = seed, transform = transforms(augment)})
end
test_loader = data.loader(test_set, {batch = 500, transform = transforms()})
calib_loader = data.loader(train_set, {batch = 128, transform = transforms()})
print(string.format("%s: %d training and %d test images", dataset, #train_set, #test_set))

-- %% Train the baseline, or read it from the cache tags=["ignore-output"]
-- train.cached keeps the trained network under topiary.cache_dir() ($TOPIARY_CACHE, else
-- ~/.cache/topiary) in a file named after the settings that shape it, and trains only when
-- that file is missing (delete it to retrain). Whether it trained, and the log when it did,
-- differ from run to run: this cell's output is not compared on replay.
function recipe(n_epochs, base_lr)
  -- SGD 0.9, wd 1e-4; lr ÷10 at 50 % and 75 % of the epochs (constant for short runs)
  local opt = train.sgd{lr = base_lr, momentum = 0.9, weight_decay = 1e-4}
  local sched = n_epochs >= 4 and train.schedule.multistep{milestones = {n_epochs // 2, (3 * n_epochs) // 4}, gamma = 0.1}
    or train.schedule.constant()
  return opt, sched
end
baseline, baseline_info = train.cached("fpwt", {dataset = dataset, arch = arch, size = shape[3],
    n_train = n_train, epochs = epochs, lr = lr, batch = batch}, function()
  tensor.manual_seed(1)
  local net = nn.zoo[arch]{classes = 10}
  local opt, sched = recipe(epochs, lr)
  train.fit(net, train_loader(1), {epochs = epochs, optimizer = opt, schedule = sched, progress = false})
  return net
end)
baseline_path = baseline_info.path

-- %% Baseline
base = train.evaluate(baseline, test_loader)
print(string.format("baseline %s: top-1 %.2f %% (checkpoint %s)", arch, 100 * base.top1, baseline_info.file))

-- %% [markdown]
-- ## One layer up close
-- The maps of the first block's inner layer over the calibration images, FPWT's energy
-- weights and its similarity matrix: bright off-diagonal cells are redundant pairs.

-- %% FPWT on one layer's maps
fpwt_opts = {wavelet = wavelet, mode = mode, level = level, weights = weights}
maps = baseline:capture("layer1.0.relu1", calib_loader, {batches = calib_batches})["layer1.0.relu1"]
scores, info = criteria.fpwt(maps, fpwt_opts)
print(string.format("maps %s; alpha %.4f, beta %.4f", table.concat(maps:shape(), "x"), info.alpha[1], info.beta[1]))
order = {}
for i = 1, scores:numel() do order[i] = i end
table.sort(order, function(a, b) return scores[a] < scores[b] end)
print("channels, most redundant first: " .. table.concat(order, " "))
plot.heatmap(info.similarity, {title = "FPWT sim(i, j), layer1.0.conv1", xlabel = "channel j", ylabel = "channel i"}):show()

-- %% [markdown]
-- ## Prune, fine-tune, evaluate
-- Every block's inner layer (conv1, with its BN and conv2's inputs) loses `ratio` of its
-- channels; the residual streams are left whole. Each criterion starts from the same
-- baseline, and fine-tunes with the same recipe at a tenth of the learning rate.

-- %% Prune and fine-tune with each criterion
inner_only = {"conv1", "layer%d%.%d+%.conv2", "linear"}
runs = {
  {name = "fpwt", criterion = "fpwt", options = fpwt_opts},
  {name = "fpwt (energy)", criterion = "fpwt", options = {wavelet = wavelet, mode = mode, level = level, weights = weights, variant = "energy"}},
  {name = "l1", criterion = "l1", options = {}},
}
rows = {}
for _, run in ipairs(runs) do
  local net = nn.load(baseline_path)
  local o = {criterion = run.criterion, ratio = ratio, ignore = inner_only, calib = calib_loader,
             batches = calib_batches, input = shape}
  for k, v in pairs(run.options) do o[k] = v end
  local plan = prune.plan(net, o)
  local opt, sched = recipe(finetune_epochs, lr / 10)
  plan:apply(opt)
  local pruned = train.evaluate(net, test_loader)
  tensor.manual_seed(2)
  train.fit(net, train_loader(2), {epochs = finetune_epochs, optimizer = opt, schedule = sched, progress = false})
  local tuned = train.evaluate(net, test_loader)
  rows[#rows + 1] = {
    criterion = run.name,
    macs_removed = string.format("%.1f %%", 100 * (1 - plan.macs.after / plan.macs.before)),
    params_removed = string.format("%.1f %%", 100 * (1 - plan.params.after / plan.params.before)),
    top1_pruned = string.format("%.2f", 100 * pruned.top1),
    top1_finetuned = string.format("%.2f", 100 * tuned.top1),
    top1_baseline = string.format("%.2f", 100 * base.top1),
  }
end
function results() return rows end
results()

-- %% Accuracy by criterion
labels, before, after = {}, {}, {}
for i, r in ipairs(rows) do labels[i] = r.criterion; before[i] = tonumber(r.top1_pruned); after[i] = tonumber(r.top1_finetuned) end
chart = plot.bar(before, {labels = labels, label = "pruned", ylabel = "top-1 %",
  title = string.format("%s on %s, %.0f %% of inner channels removed", arch, dataset, 100 * ratio)})
chart:add(after, {label = "fine-tuned"})
chart:show()
