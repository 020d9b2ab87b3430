-- ---
-- seed: 1
-- tolerance: 1e-4
-- ---

-- %% [markdown]
-- # A new criterion in a few lines of Lua
--
-- A researcher's idea, prototyped without a recompile and compared with the built-ins
-- on the same trained network: score a channel by how much its feature map *varies*
-- across images (a channel that answers every image alike carries little information),
-- weighted by its BN scale. Written once with `criteria.define`, it is usable wherever a
-- built-in is: `criteria.score`, `prune.plan`, `prune.sensitivity`, schedules.
--
-- `topiary notebook run Notebooks/custom_criterion.lua -p epochs=5 -p n_train=60000` for
-- a full-size run; the defaults replay in about a minute. The trained baseline is cached
-- by `train.cached` under `topiary.cache_dir()` (`$TOPIARY_CACHE`, default
-- `~/.cache/topiary`) and trained again only when its file is missing.

-- %% Parameters tags=["parameters"]
n_train = 6000       -- training images (60000 for the full set)
n_test = 2000        -- test images used for evaluation
epochs = 1           -- training epochs of the baseline
finetune_epochs = 1  -- fine-tuning epochs after pruning
ratio = 0.5          -- share of channels removed from every prunable group
calib_batches = 2    -- calibration batches of 128 for the feature-map criteria

-- %% Data
train_set = data.fashion_mnist{split = "train"}:subset(1, n_train)
test_set = data.fashion_mnist{split = "test"}:subset(1, n_test)
norm = data.normalize({0.2860}, {0.3530})
train_loader = data.loader(train_set, {batch = 128, shuffle = true, seed = 1, transform = norm})
test_loader = data.loader(test_set, {batch = 500, transform = norm})
calib_loader = data.loader(train_set, {batch = 128, transform = norm})
shape = {1, 1, 28, 28}
print(string.format("%d training and %d test images", #train_set, #test_set))

-- %% Baseline (trained once, then read from the cache) tags=["ignore-output"]
base_net, baseline_info = train.cached("custom_criterion", {n_train = n_train, epochs = epochs}, function()
  tensor.manual_seed(1)
  local net = nn.zoo.small_cnn{classes = 10}
  local opt = train.sgd{lr = 0.05, momentum = 0.9, weight_decay = 5e-4}
  train.fit(net, train_loader, {epochs = epochs, optimizer = opt, progress = false})
  return net
end)
baseline_path = baseline_info.path

-- %% Evaluate the baseline
base = train.evaluate(base_net, test_loader)
print(string.format("baseline top-1 %.2f %%", 100 * base.top1))

-- %% [markdown]
-- ## The criterion
-- `reduce` turns each calibration batch [B, C, H, W] into per-image channel means
-- [B, C] as it arrives, so memory stays small; the engine concatenates the reduced
-- batches, and the criterion itself sees [N, C]: the standard deviation over images,
-- times |γ| of the channel's BN (`ctx.gamma`, in the group's channel order).

-- %% Define it
criteria.define("variability", function(ctx)
  local spread = ctx.fmaps:std(1)
  return ctx.gamma and spread * ctx.gamma:abs() or spread
end, {
  needs = "fmaps",
  reduce = function(maps) return maps:view(maps:size(1), maps:size(2), -1):mean(3) end,
})
print(table.concat(criteria.list(), ", "))

-- %% Scores on every group
groups = prune.groups(base_net, shape)
names = {}
for _, g in ipairs(groups) do if g.prunable then names[#names + 1] = g.name end end
compared = {"l1", "fpgm", "apoz", "hrank", "variability"}
scores = {}
for _, c in ipairs(compared) do
  scores[c] = criteria.score(base_net, c, {calib = calib_loader, batches = calib_batches, input = shape})
end
for _, name in ipairs(names) do
  local s = scores.variability[name]
  print(string.format("%-8s %3d channels  variability: min %.4f  max %.4f", name, s:numel(), s:min(), s:max()))
end

-- %% [markdown]
-- ## Does it say something new?
-- Spearman rank correlation of each criterion's scores with the new one, per group.
-- APoZ prunes the *highest* fraction of zeros, so its score (higher = keep) is negated
-- by the engine already; a value near ±1 means the new criterion repeats an old one.

-- %% Rank agreement with the built-ins
function ranks(t)
  local idx = {}
  for i = 1, t:numel() do idx[i] = i end
  table.sort(idx, function(a, b) if t[a] ~= t[b] then return t[a] < t[b] end return a < b end)
  local r = {}
  for k, i in ipairs(idx) do r[i] = k end
  return tensor.new(r)
end
function spearman(a, b)
  local ra, rb = ranks(a), ranks(b)
  local da, db = ra - ra:mean(), rb - rb:mean()
  return (da * db):sum() / math.sqrt((da * da):sum() * (db * db):sum())
end
function agreement_with(new)
  local rows = {}
  for _, c in ipairs{"l1", "fpgm", "apoz", "hrank"} do
    local row = {criterion = c}
    for _, name in ipairs(names) do
      row[name] = tonumber(string.format("%.3f", spearman(scores[c][name], scores[new][name])))
    end
    rows[#rows + 1] = row
  end
  return rows
end
agreement_with("variability")

-- %% [markdown]
-- ## Prune with each criterion, fine-tune, compare
-- Every criterion prunes a fresh copy of the baseline by the same ratio in every group,
-- so the MACs are equal and only the choice of channels differs.

-- %% Prune, fine-tune and evaluate per criterion
function prune_and_tune(c)
  local net = nn.load(baseline_path)
  local opt = train.sgd{lr = 0.01, momentum = 0.9, weight_decay = 5e-4}
  local t0 = topiary.clock()
  local plan = prune.plan(net, {criterion = c, ratio = ratio, calib = calib_loader, batches = calib_batches, input = shape})
  seconds[c] = topiary.clock() - t0
  plan:apply(opt)
  local pruned = train.evaluate(net, test_loader).top1
  tensor.manual_seed(2)
  train.fit(net, train_loader, {epochs = finetune_epochs, optimizer = opt, progress = false})
  local tuned = train.evaluate(net, test_loader).top1
  local r = prune.report(base_net, net, {input = shape, latency = false})
  return {criterion = c, pruned = tonumber(string.format("%.4f", pruned)),
    finetuned = tonumber(string.format("%.4f", tuned)), macs_M = tonumber(string.format("%.3f", r.macs.after / 1e6))}
end
function compare_all(list)
  local rows = {}
  for i, c in ipairs(list) do rows[i] = prune_and_tune(c) end
  results = rows
  return rows
end
seconds = {}
compare_all{"random", "l1", "fpgm", "apoz", "hrank", "variability"}

-- %% Planning time per criterion (seconds; varies by machine) tags=["ignore-output"]
for _, c in ipairs{"random", "l1", "fpgm", "apoz", "hrank", "variability"} do
  print(string.format("%-12s %.3f s", c, seconds[c]))
end

-- %% Accuracy after pruning and after fine-tuning
labels, before, after = {}, {}, {}
for i, r in ipairs(results) do labels[i], before[i], after[i] = r.criterion, r.pruned, r.finetuned end
chart = plot.bar(before, {labels = labels, label = "pruned", ylabel = "top-1",
  title = string.format("small_cnn on Fashion-MNIST, %d %% of every group removed", math.floor(100 * ratio + 0.5))})
chart:add(after, {label = "fine-tuned"})
chart:show()
