-- ---
-- seed: 1
-- tolerance: 1e-4
-- ---

-- %% [markdown]
-- # Every criterion on one network
--
-- The baselines (random, L1, L2, FPGM, BN scale, Taylor, APoZ, HRank, CHIP) and the four
-- papers' criteria (FPWT, SFM's entropy, feature-map clustering's redundancy, FOAD) prune
-- the same trained ResNet by the same amount: every block's inner layer loses `ratio` of
-- its channels (the residual streams stay whole, as in the HRank family's ResNet
-- protocol), so every score-based criterion reaches exactly the same MACs. FOAD's keep-set
-- is selection-based — its ratio emerges from (t, s) — so the notebook picks the s whose
-- MACs come nearest and says how near. Then: accuracy right after pruning and after the
-- same short fine-tuning, the time each criterion takes, one table, one plot. With the
-- defaults (one epoch of fine-tuning on 3000 images, one seed) a point or two between
-- criteria is noise: the table shows the protocol working, not a ranking — sweep seeds
-- (below) or run the CIFAR recipe before drawing one.
--
-- The defaults replay in a few minutes on Fashion-MNIST (ResNet-20 at 28×28, the grey
-- channel repeated three times). For CIFAR-10 with the papers' recipe:
-- `topiary notebook run Notebooks/compare.lua -p dataset=cifar10 -p cifar_root=/data/cifar-10-batches-bin
--  -p arch=resnet56 -p n_train=50000 -p n_test=10000 -p epochs=160 -p finetune_epochs=40 -p calib_batches=5`
-- As a sweep, one criterion per task (`-p criterion=fpwt`), it reports `top1` and `macs`:
-- `sweep{notebook = "Notebooks/compare.lua", grid = {criterion = {"l1", "fpwt", "hrank"}, ratio = {0.3, 0.5}, seed = {1, 2}}, out = "runs/compare"}`.

-- %% Parameters tags=["parameters"]
dataset = "fashion_mnist"   -- or "cifar10" (needs cifar_root)
cifar_root = "/usr/share/datasets/cifar10"
arch = "resnet20"           -- resnet20 | resnet32 | resnet56 | resnet110
n_train = 3000              -- training images
n_test = 1000               -- test images
epochs = 4                  -- baseline training epochs (lr ÷10 after 2 and 3)
finetune_epochs = 1         -- fine-tuning epochs after pruning
lr = 0.1                    -- baseline learning rate (fine-tuning uses a tenth)
batch = 128
ratio = 0.5                 -- share of every block's inner channels removed
calib_batches = 1           -- calibration batches of 128 training images (HRank and CHIP use 5)
foad_t = 2                  -- FOAD's top-t (t = 1 removes at most half); s is searched to match the others' MACs
criterion = "all"           -- "all", or one name of the table below (a sweep runs one per task)
seed = 1                    -- fine-tuning's and random's seed (the baseline is always seed 1)

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
  to_rgb = function(x) return tensor.cat({x, x, x}, 2) end   -- the CIFAR ResNets take three channels
  shape = {1, 3, 28, 28}
end
function transforms(extra)
  local t = {}
  for _, a in ipairs(extra or {}) do t[#t + 1] = a end
  t[#t + 1] = norm
  if to_rgb then t[#t + 1] = to_rgb end
  return t
end
train_loader = data.loader(train_set, {batch = batch, shuffle = true, seed = 1, transform = transforms(augment)})
test_loader = data.loader(test_set, {batch = 500, transform = transforms()})
calib_loader = data.loader(train_set, {batch = 128, transform = transforms()})
print(string.format("%s: %d training and %d test images", dataset, #train_set, #test_set))

-- %% Baseline (trained once, then read from the cache) tags=["ignore-output"]
-- train.cached trains only when topiary.cache_dir() holds no network for these settings.
function recipe(n_epochs, base_lr)
  -- SGD 0.9, wd 1e-4; lr ÷10 at 50 % and 75 % of the epochs (constant for short runs)
  local opt = train.sgd{lr = base_lr, momentum = 0.9, weight_decay = 1e-4}
  local sched = n_epochs >= 4 and train.schedule.multistep{milestones = {n_epochs // 2, (3 * n_epochs) // 4}, gamma = 0.1}
    or train.schedule.constant()
  return opt, sched
end
baseline, baseline_info = train.cached("compare", {dataset = dataset, arch = arch, n_train = n_train,
    epochs = epochs, lr = lr, batch = batch}, function()
  tensor.manual_seed(1)
  local net = nn.zoo[arch]{classes = 10}
  local opt, sched = recipe(epochs, lr)
  -- its own loader, so fine-tuning sees the same batches whether or not the baseline was cached
  local loader = data.loader(train_set, {batch = batch, shuffle = true, seed = 1, transform = transforms(augment)})
  train.fit(net, loader, {epochs = epochs, optimizer = opt, schedule = sched, progress = false})
  return net
end)
baseline_path = baseline_info.path

-- %% Evaluate the baseline
base = train.evaluate(baseline, test_loader)
print(string.format("baseline %s: top-1 %.2f %%", arch, 100 * base.top1))

-- %% [markdown]
-- ## The criteria and their options
-- Each entry is what `prune.plan` receives; change an option here to study it.

-- %% Criteria
inner_only = {"conv1", "layer%d%.%d+%.conv2", "linear"}   -- residual streams and logits stay whole
all_runs = {
  {name = "random", criterion = "random", options = {seed = seed}},
  {name = "l1", criterion = "l1"},
  {name = "l2", criterion = "l2"},
  {name = "fpgm", criterion = "fpgm"},
  {name = "bn_scale", criterion = "bn_scale"},
  {name = "taylor", criterion = "taylor"},
  {name = "apoz", criterion = "apoz"},
  {name = "hrank", criterion = "hrank"},
  {name = "chip", criterion = "chip"},
  {name = "entropy (SFM)", criterion = "entropy"},
  {name = "fpwt", criterion = "fpwt"},
  {name = "redundancy", criterion = "redundancy", options = {seed = 1}},
}
runs = {}
for _, r in ipairs(all_runs) do
  if criterion == "all" or criterion == r.criterion then runs[#runs + 1] = r end
end
if criterion ~= "all" and criterion ~= "foad" and #runs == 0 then
  error("criterion: '" .. criterion .. "' is not in the table (or 'all', 'foad')")
end
for _, r in ipairs(runs) do print(r.name) end

-- %% [markdown]
-- ## Prune, fine-tune, evaluate
-- Every criterion starts from the same baseline and fine-tunes with the same recipe (a
-- tenth of the learning rate, the same seed).

-- %% Prune and fine-tune with each criterion
function plan_for(run, net)
  local o = {criterion = run.criterion, ignore = inner_only, calib = calib_loader,
             batches = calib_batches, input = shape}
  if run.criterion ~= "foad" then o.ratio = ratio end   -- FOAD's (t, s) decide how many go
  for k, v in pairs(run.options or {}) do o[k] = v end
  return prune.plan(net, o)
end
seconds = {}
function evaluate_run(run, plan, net)
  local opt, sched = recipe(finetune_epochs, lr / 10)
  plan:apply(opt)
  local pruned = train.evaluate(net, test_loader)
  tensor.manual_seed(seed + 1)
  train.fit(net, train_loader, {epochs = finetune_epochs, optimizer = opt, schedule = sched, progress = false})
  local tuned = train.evaluate(net, test_loader)
  return {
    criterion = run.name,
    macs_removed = string.format("%.1f %%", 100 * (1 - plan.macs.after / plan.macs.before)),
    params_removed = string.format("%.1f %%", 100 * (1 - plan.params.after / plan.params.before)),
    top1_pruned = string.format("%.2f", 100 * pruned.top1),
    top1_finetuned = string.format("%.2f", 100 * tuned.top1),
    top1 = tuned.top1, macs = plan.macs.after,
  }
end
function run_all()
  local rows = {}
  for _, run in ipairs(runs) do
    local net = nn.load(baseline_path)
    local t0 = topiary.clock()
    local plan = plan_for(run, net)
    seconds[run.name] = topiary.clock() - t0
    rows[#rows + 1] = evaluate_run(run, plan, net)
  end
  return rows
end
rows = run_all()
-- Every score-based criterion removes the same channels' worth: L1's plan gives the MACs.
reference_plan = plan_for({criterion = "l1"}, nn.load(baseline_path))
target_macs = reference_plan.macs.after
print(string.format("%d criteria at %.1f %% of the MACs removed", #rows, 100 * (1 - target_macs / reference_plan.macs.before)))

-- %% FOAD: s chosen so its MACs come nearest
-- t fixed; s from a grid; the plan whose MACs are nearest the others' is fine-tuned.
function foad_nearest()
  local best, best_s
  for _, s in ipairs{0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9} do
    local plan = plan_for({criterion = "foad", options = {t = foad_t, s = s}}, nn.load(baseline_path))
    if not best or math.abs(plan.macs.after - target_macs) < math.abs(best.macs.after - target_macs) then
      best, best_s = plan, s
    end
  end
  return best_s
end
if criterion == "all" or criterion == "foad" then
  foad_s = foad_nearest()
  foad_run = {name = string.format("foad (t=%d, s=%.1f)", foad_t, foad_s), criterion = "foad", options = {t = foad_t, s = foad_s}}
  local net = nn.load(baseline_path)
  local t0 = topiary.clock()
  local plan = plan_for(foad_run, net)
  seconds[foad_run.name] = topiary.clock() - t0
  rows[#rows + 1] = evaluate_run(foad_run, plan, net)
  runs[#runs + 1] = foad_run
  print(string.format("%s: %.1f %% of the MACs removed (the others %.1f %%)", foad_run.name,
    100 * (1 - plan.macs.after / plan.macs.before), 100 * (1 - target_macs / plan.macs.before)))
end

-- %% The table
function with_baseline(rows)
  local all = {{criterion = "baseline", macs_removed = "0.0 %", params_removed = "0.0 %",
    top1_pruned = string.format("%.2f", 100 * base.top1), top1_finetuned = string.format("%.2f", 100 * base.top1)}}
  for _, r in ipairs(rows) do
    all[#all + 1] = {criterion = r.criterion, macs_removed = r.macs_removed, params_removed = r.params_removed,
                     top1_pruned = r.top1_pruned, top1_finetuned = r.top1_finetuned}
  end
  return all
end
-- A sweep task (one criterion) reports its result; `topiary sweep collect` tabulates them.
if #rows == 1 then report{top1 = rows[1].top1, macs = rows[1].macs, top1_pruned = tonumber(rows[1].top1_pruned) / 100} end
with_baseline(rows)

-- %% Time per criterion (scoring and planning, seconds; varies by machine) tags=["ignore-output"]
for _, run in ipairs(runs) do print(string.format("%-22s %8.3f s", run.name, seconds[run.name])) end

-- %% Accuracy by criterion
labels, before, after = {}, {}, {}
for _, r in ipairs(rows) do
  labels[#labels + 1] = r.criterion; before[#before + 1] = tonumber(r.top1_pruned); after[#after + 1] = tonumber(r.top1_finetuned)
end
chart = plot.bar(before, {labels = labels, label = "pruned", ylabel = "top-1 %", width = 900,
  title = string.format("%s on %s, %.0f %% of inner channels removed (baseline %.2f %%)", arch, dataset, 100 * ratio, 100 * base.top1)})
chart:add(after, {label = "fine-tuned"})
chart:show()
