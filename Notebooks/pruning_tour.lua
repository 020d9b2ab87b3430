-- ---
-- seed: 1
-- tolerance: 1e-4
-- ---

-- %% [markdown]
-- # A tour of the pruning engine
--
-- Train a small CNN on Fashion-MNIST briefly, look at its dependency groups, capture
-- feature maps, score channels with built-in criteria and one written here in Lua,
-- plan, inspect, apply, fine-tune, compare, and finish with a sensitivity plot.
-- `topiary notebook run Notebooks/pruning_tour.lua -p epochs=3 -p n_train=60000` for
-- the full-size run; the defaults replay in about a minute.

-- %% Parameters tags=["parameters"]
n_train = 6000      -- training images (60000 for the full set)
n_test = 2000       -- test images used for evaluation
epochs = 1          -- training epochs before pruning
finetune_epochs = 1 -- fine-tuning epochs after pruning
ratio = 0.5         -- share of channels removed from every prunable group

-- %% Data
train_set = data.fashion_mnist{split = "train"}:subset(1, n_train)
test_set = data.fashion_mnist{split = "test"}:subset(1, n_test)
norm = data.normalize({0.2860}, {0.3530})
train_loader = data.loader(train_set, {batch = 128, shuffle = true, seed = 1, transform = norm})
test_loader = data.loader(test_set, {batch = 500, transform = norm})
calib_loader = data.loader(train_set, {batch = 128, transform = norm})
shape = {1, 1, 28, 28}
print(string.format("%d training and %d test images", #train_set, #test_set))

-- %% Train the baseline
tensor.manual_seed(1)
net = nn.zoo.small_cnn{classes = 10}
opt = train.sgd{lr = 0.05, momentum = 0.9, weight_decay = 5e-4}
train.fit(net, train_loader, {epochs = epochs, optimizer = opt, progress = false})
base = train.evaluate(net, test_loader)
print(string.format("baseline top-1 %.2f %%", 100 * base.top1))

-- %% [markdown]
-- ## Groups
-- A group is every slice that must shrink together: a conv's filters, its BN, and the
-- input channels of whatever reads them (here the next conv, or the linear layer after
-- the flatten, with one block of features per channel).

-- %% The dependency groups
for _, g in ipairs(prune.groups(net, shape)) do print(g) end

-- %% Capture feature maps
maps = net:capture("relu%d", calib_loader, {batches = 1})
names = {}
for name, t in pairs(maps) do names[#names + 1] = name end
table.sort(names)
for _, name in ipairs(names) do print(name, table.concat(maps[name]:shape(), " x ")) end

-- %% [markdown]
-- ## Criteria
-- Three built-ins and one written here: the mean energy of each channel's feature map,
-- with the batch dimension reduced as it arrives so memory stays small.

-- %% A criterion in Lua
criteria.define("energy", function(ctx) return ctx.fmaps:mean(1) end, {
  needs = "fmaps",
  reduce = function(maps) return maps:view(maps:size(1), maps:size(2), -1):pow(2):mean(3) end,
})
scores = {}
for _, c in ipairs{"l1", "fpgm", "hrank", "energy"} do
  scores[c] = criteria.score(net, c, {calib = calib_loader, batches = 1, input = shape})
end
first = prune.groups(net, shape)[1].name
for _, c in ipairs{"l1", "fpgm", "hrank", "energy"} do
  local s = scores[c][first]
  print(string.format("%-9s on %s: min %.4f  max %.4f", c, first, s:min(), s:max()))
end

-- %% Agreement between criteria (Spearman rank correlation on the first group)
function ranks(t)
  local idx = {}
  for i = 1, t:numel() do idx[i] = i end
  table.sort(idx, function(a, b) return t[a] < t[b] end)
  local r = {}
  for k, i in ipairs(idx) do r[i] = k end
  return tensor.new(r)
end
function spearman(a, b)
  local ra, rb = ranks(a), ranks(b)
  local da, db = ra - ra:mean(), rb - rb:mean()
  return (da * db):sum() / math.sqrt((da * da):sum() * (db * db):sum())
end
function agreement(group)
  local rows = {}
  for _, c in ipairs{"fpgm", "hrank", "energy"} do
    rows[#rows + 1] = {criterion = c, spearman_vs_l1 = tonumber(string.format("%.3f", spearman(scores.l1[group], scores[c][group])))}
  end
  return rows
end
agreement(first)

-- %% [markdown]
-- ## Plan, inspect, apply
-- Planning touches nothing: it shows what would be kept and what it would cost.

-- %% Plan with the Lua criterion
-- A saved and reloaded copy keeps the unpruned net for the comparison below.
copy_path = os.tmpname() .. ".safetensors"
net:save(copy_path)
original = nn.load(copy_path)
os.remove(copy_path)
plan = prune.plan(net, {criterion = "energy", ratio = ratio, calib = calib_loader, batches = 2, input = shape})
print(plan)

-- %% Apply and evaluate before fine-tuning
plan:apply(opt)
pruned = train.evaluate(net, test_loader)
print(string.format("after pruning: top-1 %.2f %% (baseline %.2f %%)", 100 * pruned.top1, 100 * base.top1))

-- %% Fine-tune (the optimizer's momentum was sliced with the weights)
train.fit(net, train_loader, {epochs = finetune_epochs, optimizer = opt, progress = false})
tuned = train.evaluate(net, test_loader)
print(string.format("after fine-tuning: top-1 %.2f %%", 100 * tuned.top1))

-- %% Compare
report = prune.report(original, net, {input = shape, latency = false})
print(string.format("MACs %.2f M -> %.2f M, params %.1f K -> %.1f K",
  report.macs.before / 1e6, report.macs.after / 1e6, report.params.before / 1e3, report.params.after / 1e3))
report.chart:show()

-- %% [markdown]
-- ## Sensitivity
-- Each group pruned alone at several ratios (on copies), evaluated on the test images.

-- %% Sensitivity per group
sens = prune.sensitivity(original, {eval = test_loader, criterion = "l1", ratios = {0.25, 0.5, 0.75, 0.9}, input = shape})
group_names = {}
for name in pairs(sens.curves) do group_names[#group_names + 1] = name end
table.sort(group_names)
for _, name in ipairs(group_names) do
  local cells = {}
  for i, a in ipairs(sens.curves[name]) do cells[i] = string.format("%.3f", a) end
  print(string.format("%-6s %s", name, table.concat(cells, "  ")))
end
sens.chart:show()
