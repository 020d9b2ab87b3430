-- ---
-- seed: 1
-- tolerance: 1e-4
-- ---

-- %% [markdown]
-- # FOAD: similar feature maps and a greedy keep-set
--
-- FOAD (PAPERS.md, read in the authors' code) compares the raw post-ReLU feature maps of
-- a layer's channels, S[i][j] = mean over images of 1/(1 + ‖A[n,i] − A[n,j]‖), and keeps
-- channels greedily in index order: each kept channel removes those of its t most similar
-- alive channels (kept ones take slots too) whose S reaches s. How much of each layer goes
-- is not chosen: it emerges from (t, s). The protocol: a trained VGG, FOAD's keep-sets from
-- one batch of 128 test images with every conv pruned, fine-tuning, evaluation — here for
-- several (t, s).
--
-- The defaults replay in about two minutes: a small VGG on 6000 Fashion-MNIST images. The
-- paper's setting is VGG-16 on CIFAR-10 with 160 epochs of SGD (lr 0.1, ×0.1 at 80 and 120,
-- batch 64): `topiary notebook run Notebooks/foad.lua -p dataset=cifar10 -p cifar_root=DIR
-- -p arch=vgg16 -p n_train=0 -p n_test=0 -p epochs=160 -p finetune_epochs=160 -p lr=0.1
-- -p batch=64 -p milestones=80,120`. As in the paper, the convs right before a pooling are
-- compared on the pooled maps (`point = "pool"`; the paper lists VGG-16's blocks 2, 4, 7 and
-- 10, this also pools block 13's), every other conv on its maps after the ReLU.

-- %% Parameters tags=["parameters"]
dataset = "fashion_mnist"   -- or "cifar10" (binary version in cifar_root)
cifar_root = "data/cifar-10-batches-bin"
arch = "vgg_small"          -- or "vgg16" (nn.zoo.vgg16, the paper's network; needs 32×32 RGB)
n_train = 6000              -- training images (0: all)
n_test = 2000               -- test images for evaluation (0: all)
epochs = 2                  -- baseline training epochs
finetune_epochs = 1         -- fine-tuning epochs after pruning
lr = 0.05                   -- SGD, momentum 0.9, weight decay 5e-4 (1e-4 for the paper networks)
batch = 128
milestones = ""             -- epochs where lr drops ×0.1, e.g. "80,120" (empty: constant)
calib_images = 128          -- FOAD: one batch of 128 test images
sweep = "1:0,1:0.1,2:0.1,2:0.2"   -- the (t, s) pairs
point = "pool"              -- "pool": convs before a pooling read after it (the paper); "act": all after the ReLU

-- %% Data
if dataset == "cifar10" then
  train_set = data.cifar10{root = cifar_root, split = "train"}
  test_set = data.cifar10{root = cifar_root, split = "test"}
  norm = data.normalize({0.4914, 0.4822, 0.4465}, {0.2023, 0.1994, 0.2010})
  augment = {data.random_crop(32, {padding = 4}), data.hflip(), norm}
  shape = {1, 3, 32, 32}
else
  train_set = data.fashion_mnist{split = "train"}
  test_set = data.fashion_mnist{split = "test"}
  norm = data.normalize({0.2860}, {0.3530})
  augment = norm
  shape = {1, 1, 28, 28}
end
if n_train > 0 then train_set = train_set:subset(1, n_train) end
if n_test > 0 then test_set = test_set:subset(1, n_test) end
train_loader = data.loader(train_set, {batch = batch, shuffle = true, seed = 1, transform = augment})
test_loader = data.loader(test_set, {batch = 500, transform = norm})
calib_loader = data.loader(test_set, {batch = calib_images, transform = norm})
print(string.format("%s: %d training and %d test images", dataset, #train_set, #test_set))

-- %% The network and its training recipe
-- vgg_small: VGG's pattern (3×3 conv–BN–ReLU pairs, 2×2 max-pools) at 16–32–64 channels.
function make_net()
  if arch == "vgg16" then return nn.zoo.vgg16{classes = 10} end
  local layers, c, size = {}, shape[2], shape[3]
  for i, v in ipairs{16, 16, "M", 32, 32, "M", 64, 64, "M"} do
    if v == "M" then
      layers[#layers + 1] = {"pool" .. i, nn.MaxPool2d(2)}
      size = size // 2
    else
      layers[#layers + 1] = {"conv" .. i, nn.Conv2d(c, v, 3, {padding = 1, bias = false})}
      layers[#layers + 1] = {"bn" .. i, nn.BatchNorm2d(v)}
      layers[#layers + 1] = {"relu" .. i, nn.ReLU()}
      c = v
    end
  end
  layers[#layers + 1] = {"flatten", nn.Flatten()}
  layers[#layers + 1] = {"classifier", nn.Linear(c * size * size, 10)}
  return nn.Sequential(layers)
end

function recipe()
  local opt = train.sgd{lr = lr, momentum = 0.9, weight_decay = arch == "vgg_small" and 5e-4 or 1e-4}
  local schedule
  if milestones ~= "" then
    local m = {}
    for v in milestones:gmatch("%d+") do m[#m + 1] = tonumber(v) end
    schedule = train.schedule.multistep{milestones = m, gamma = 0.1}
  end
  return opt, schedule
end

-- %% Baseline (trained once, then read from the cache) tags=["ignore-output"]
-- train.cached trains only when topiary.cache_dir() holds no network for these settings;
-- clustering.lua trains the same network under the same name, so either notebook reuses the other's.
net, baseline_info = train.cached(arch, {dataset = dataset, n_train = n_train, epochs = epochs, lr = lr,
    batch = batch, milestones = milestones}, function()
  tensor.manual_seed(1)
  local m = make_net()
  local opt, schedule = recipe()
  train.fit(m, train_loader, {epochs = epochs, optimizer = opt, schedule = schedule, progress = false})
  return m
end)
baseline_path = baseline_info.path

-- %% Baseline accuracy
base = train.evaluate(net, test_loader)
count = net:flops(shape)
base_macs = count.macs
print(string.format("baseline %s: top-1 %.2f %%, %.2f M MACs, %.1f K parameters",
  arch, 100 * base.top1, count.macs / 1e6, count.params / 1e3))

-- %% [markdown]
-- ## The similarity of one layer
-- S of the second conv on the calibration batch, and the keep-set FOAD's greedy takes from
-- it with t = 1, s = 0.

-- %% Similarity matrix and keep-set of one layer
-- the second conv's maps where the plan reads them: after the pooling that follows its ReLU
if point == "pool" then layer = arch == "vgg16" and "features.6" or "pool3"
else layer = arch == "vgg16" and "features.5" or "relu2" end
maps = net:capture(layer, calib_loader, {batches = 1})[layer]
keep, S = criteria.foad(maps, {t = 1, s = 0})
print(string.format("%s: %d channels, FOAD keeps %d: %s", layer, S:size(1), keep:numel(),
  table.concat(keep:totable(), " ")))
off = S - tensor.eye(S:size(1))
print(string.format("off-diagonal S: min %.3f, max %.3f", (off + tensor.eye(S:size(1))):min(), off:max()))
plot.heatmap(S, {title = "FOAD similarity, " .. layer, xlabel = "channel", ylabel = "channel"}):show()

-- %% [markdown]
-- ## Sweeping t and s
-- S is not scale-free: 1/(1 + distance) of raw maps depends on the activations' magnitude,
-- so a useful s differs between layers and networks (the off-diagonal S of this small VGG
-- lies between about 0.03 and 0.5, growing with depth). t = 1, s = 0 removes one channel per
-- kept channel wherever the nearest alive one is not kept already. Each (t, s) prunes a
-- fresh copy of the baseline (every conv), which is evaluated, fine-tuned and evaluated again.

-- %% Prune, fine-tune, evaluate
rows = {}
for t, s in sweep:gmatch("(%d+):([%d.]+)") do
  t, s = tonumber(t), tonumber(s)
  local m = nn.load(baseline_path)
  local plan = prune.plan(m, {criterion = "foad", t = t, s = s, calib = calib_loader, batches = 1, input = shape,
                              point = point})
  local opt, schedule = recipe()
  plan:apply(opt)
  local pruned = train.evaluate(m, test_loader)
  tensor.manual_seed(2)
  train.fit(m, train_loader, {epochs = finetune_epochs, optimizer = opt, schedule = schedule, progress = false})
  local tuned = train.evaluate(m, test_loader)
  rows[#rows + 1] = {t = t, s = s,
    macs_cut = string.format("%.1f %%", 100 * (1 - plan.macs.after / plan.macs.before)),
    params_cut = string.format("%.1f %%", 100 * (1 - plan.params.after / plan.params.before)),
    top1_pruned = string.format("%.2f", 100 * pruned.top1),
    top1_tuned = string.format("%.2f", 100 * tuned.top1),
    macs_after = plan.macs.after, tuned = tuned.top1, kept = plan.kept}
end
print(string.format("%3s %5s %8s %9s %13s %16s", "t", "s", "MACs −", "params −", "top-1 pruned", "top-1 fine-tuned"))
for _, r in ipairs(rows) do
  print(string.format("%3d %5.2f %8s %9s %13s %16s", r.t, r.s, r.macs_cut, r.params_cut, r.top1_pruned, r.top1_tuned))
end
print(string.format("baseline top-1 %.2f %%", 100 * base.top1))

-- %% Accuracy against MACs
p = plot.scatter(tensor.new((function() local v = {} for i, r in ipairs(rows) do v[i] = r.macs_after / 1e6 end return v end)()),
                 tensor.new((function() local v = {} for i, r in ipairs(rows) do v[i] = 100 * r.tuned end return v end)()),
                 {title = "FOAD (t, s) sweep after fine-tuning", xlabel = "MACs (M)", ylabel = "top-1 (%)", label = "FOAD"})
p:add(tensor.new{base_macs / 1e6}, tensor.new{100 * base.top1}, {label = "baseline"})
p:show()

-- %% Kept channels per layer
names = {}
for name in pairs(rows[1].kept) do names[#names + 1] = name end
local function order(n) return tonumber(n:match("%d+$") or "") or math.huge end
table.sort(names, function(a, b) if order(a) ~= order(b) then return order(a) < order(b) end return a < b end)
for _, r in ipairs(rows) do
  local cells = {}
  for _, name in ipairs(names) do cells[#cells + 1] = string.format("%s %d", name, #r.kept[name]) end
  print(string.format("t=%d s=%.2f: %s", r.t, r.s, table.concat(cells, ", ")))
end
