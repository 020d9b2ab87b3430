-- ---
-- seed: 1
-- tolerance: 1e-4
-- ---

-- %% [markdown]
-- # Feature-map clustering: a redundancy index per cluster
--
-- Channels whose feature maps look alike are redundant. Each channel becomes one vector,
-- its map averaged over calibration images (optionally reduced by PCA); the vectors are
-- clustered — k-means++ with k = round(C·(1 − ratio)), or DBSCAN on cosine distances, where
-- the number of clusters emerges — and each cluster keeps its medoid (the member nearest
-- the cluster's mean). The redundancy index RI(c) = (|cluster(c)| − 1)/(C − 1) orders the
-- rest for pruning. The paper is known from its abstract only (PAPERS.md: our
-- reconstruction); published on VGGNet, GoogLeNet, DenseNet and ResNet, without numbers.
--
-- The protocol: a trained network, channel vectors from the training images, clustering
-- per layer, pruning every conv at one ratio, fine-tuning, evaluation — k-means on the raw
-- vectors, k-means after PCA and DBSCAN, beside L1 at the same ratio. The defaults replay in
-- about two minutes (a small VGG on 6000 Fashion-MNIST images); for CIFAR-10 and VGG-16:
-- `-p dataset=cifar10 -p cifar_root=DIR -p arch=vgg16 -p n_train=0 -p n_test=0 -p epochs=160
-- -p finetune_epochs=40 -p lr=0.1 -p milestones=80,120`.

-- %% Parameters tags=["parameters"]
dataset = "fashion_mnist"   -- or "cifar10" (binary version in cifar_root)
cifar_root = "data/cifar-10-batches-bin"
arch = "vgg_small"          -- or "vgg16" (nn.zoo.vgg16), "resnet56" (nn.zoo.resnet56); CIFAR shapes
n_train = 6000              -- training images (0: all)
n_test = 2000               -- test images for evaluation (0: all)
epochs = 2                  -- baseline training epochs
finetune_epochs = 1         -- fine-tuning epochs after pruning
lr = 0.05                   -- SGD, momentum 0.9, weight decay 5e-4 (1e-4 for the paper networks)
batch = 128
milestones = ""             -- epochs where lr drops ×0.1, e.g. "80,120" (empty: constant)
calib_batches = 2           -- calibration batches of 128 training images
ratio = 0.5                 -- share of every conv's channels removed (k-means and L1)
pca_dims = 4                -- PCA dimensions for the "k-means + PCA" variant
eps = 0.02                  -- DBSCAN radius (cosine distance)
seed = 0                    -- k-means++ seed

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
calib_loader = data.loader(train_set, {batch = 128, transform = norm})
print(string.format("%s: %d training and %d test images", dataset, #train_set, #test_set))

-- %% The network and its training recipe
-- vgg_small: VGG's pattern (3×3 conv–BN–ReLU pairs, 2×2 max-pools) at 16–32–64 channels.
function make_net()
  if arch == "vgg16" then return nn.zoo.vgg16{classes = 10} end
  if arch == "resnet56" then return nn.zoo.resnet56{classes = 10} end
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
-- foad.lua trains the same network under the same name, so either notebook reuses the other's.
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
print(string.format("baseline %s: top-1 %.2f %%, %.2f M MACs, %.1f K parameters",
  arch, 100 * base.top1, count.macs / 1e6, count.params / 1e3))

-- %% [markdown]
-- ## Clusters of one layer
-- The channel vectors of the second conv, projected on their first two principal axes;
-- the medoids k-means keeps are marked.

-- %% Clusters, medoids and redundancy indices of one layer
layer = arch == "vgg_small" and "relu2" or (arch == "vgg16" and "features.5" or "layer1.0.relu1")
maps = net:capture(layer, calib_loader, {batches = calib_batches})[layer]
r = criteria.redundancy(maps, {ratio = ratio, seed = seed})
C = maps:size(2)
vectors = maps:mean(1):view(C, -1)
_, _, xy = tensor.pca(vectors, 2)
print(string.format("%s: %d channels in %d clusters; kept %s", layer, C, r.clusters,
  table.concat(r.keep:totable(), " ")))
print("redundancy index: " .. table.concat((function()
  local out = {}
  for c = 1, C do out[c] = string.format("%.2f", r.ri[c]) end
  return out end)(), " "))
kept_xy = xy:index_select(1, r.keep)
p = plot.scatter(xy:select(2, 1), xy:select(2, 2), {title = "Channel vectors of " .. layer .. " (PCA)",
  xlabel = "PC 1", ylabel = "PC 2", label = "channel"})
p:add(kept_xy:select(2, 1), kept_xy:select(2, 2), {label = "kept medoid"})
p:show()

-- %% [markdown]
-- ## Prune, fine-tune, evaluate
-- Every conv is pruned; each variant starts from a fresh copy of the baseline.

-- %% Variants
variants = {
  {name = "k-means", opts = {criterion = "redundancy", ratio = ratio, seed = seed}},
  {name = "k-means + PCA " .. pca_dims, opts = {criterion = "redundancy", ratio = ratio, seed = seed, dims = pca_dims}},
  {name = "DBSCAN eps " .. eps, opts = {criterion = "redundancy", method = "dbscan", eps = eps, min_samples = 2}},
  {name = "L1 (baseline criterion)", opts = {criterion = "l1", ratio = ratio}},
}
rows, results = {}, {}
for i, v in ipairs(variants) do
  local m = nn.load(baseline_path)
  local o = {calib = calib_loader, batches = calib_batches, input = shape}
  for k, x in pairs(v.opts) do o[k] = x end
  local plan = prune.plan(m, o)
  local opt, schedule = recipe()
  plan:apply(opt)
  local pruned = train.evaluate(m, test_loader)
  tensor.manual_seed(2)
  train.fit(m, train_loader, {epochs = finetune_epochs, optimizer = opt, schedule = schedule, progress = false})
  local tuned = train.evaluate(m, test_loader)
  results[i] = {macs = plan.macs.after, top1 = tuned.top1}
  rows[i] = string.format("%-24s %8.1f %% %8.1f %% %13.2f %16.2f", v.name,
    100 * (1 - plan.macs.after / plan.macs.before), 100 * (1 - plan.params.after / plan.params.before),
    100 * pruned.top1, 100 * tuned.top1)
end
print(string.format("%-24s %10s %10s %13s %16s", "variant", "MACs −", "params −", "top-1 pruned", "top-1 fine-tuned"))
for _, line in ipairs(rows) do print(line) end
print(string.format("baseline top-1 %.2f %%", 100 * base.top1))

-- %% Accuracy after fine-tuning
labels, top1 = {}, {}
for i, v in ipairs(variants) do labels[i] = v.name; top1[i] = 100 * results[i].top1 end
plot.bar(top1, {labels = labels, ylabel = "top-1 (%)", title = "Fine-tuned accuracy, ratio " .. ratio}):show()
