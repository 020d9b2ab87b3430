-- The training math from Lua: cross-entropy (value, gradient, label smoothing), SGD,
-- Adam and AdamW steps, and learning-rate schedules, against torch 2.13 (float64,
-- anchors venv), plus the errors of bad arguments and options.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

-- Cross-entropy.
local z = tensor.new{{1, 2, 3}, {0.5, -1, 2}}
local y = tensor.new{2, 0}                               -- 0-based class ids (float works too)
local loss, grad = train.cross_entropy(z, y)
check.near(loss, 1.0744586305507688, 1e-6)
check.near(grad, {{0.04501528658519022, 0.12236423552739882, -0.1673795221125891},
                  {-0.41235480392998164, 0.019556286635343725, 0.39279851729463794}}, 1e-6)
local ls, lgrad = train.cross_entropy(z, y, {label_smoothing = 0.1})
check.near(ls, 1.124458630550769, 1e-6)
check.near(lgrad[2], {-0.3790214705966483, 0.0028896199686770582, 0.3761318506279713}, 1e-6)
check.near(train.cross_entropy(z, y, {reduction = "sum"}), 2.1489172611015377, 1e-6)
local probs = tensor.new{{0.2, 0.3, 0.5}, {1, 0, 0}}
check.near(train.cross_entropy(z, probs, {label_smoothing = 0.1}), 1.4394586305507688, 1e-6)
-- Finite differences on one logit.
local h = 1e-2
local zp, zm = z:clone(), z:clone()
zp[1][2] = zp[1][2] + h; zm[1][2] = zm[1][2] - h
check.near((train.cross_entropy(zp, y) - train.cross_entropy(zm, y)) / (2 * h), grad[1][2], 1e-4)
check.raises(function() train.cross_entropy(z, tensor.new{3, 0}) end, "target 3 of sample 1 is not a class id in 0..2")
check.raises(function() train.cross_entropy(z, tensor.new{0}) end, "2 rows of logits but 1 targets")
check.raises(function() train.cross_entropy(z:view(-1), y) end, "logits must be N×C")
check.raises(function() train.cross_entropy(z, y, {label_smoothing = -0.1}) end, "label_smoothing must be in [0, 1]")
check.raises(function() train.cross_entropy(z, y, {smoothing = 0.1}) end, "unknown option 'smoothing'")
check.raises(function() train.cross_entropy(z, y, {reduction = "none"}) end, "expected one of mean, sum")
check.raises(function() train.cross_entropy(z) end, "bad argument #2 to 'cross_entropy' (tensor expected, got no value)")

-- Optimizers: three steps from p = {1, -2, 0.5}.
local grads = {tensor.new{0.1, -0.2, 0.3}, tensor.new{0.5, 0, -0.1}, tensor.new{-0.3, 0.4, 0.2}}
local function run(opt, expected)
  local p = tensor.new{1, -2, 0.5}
  for i = 1, 3 do
    opt:step({p}, {grads[i]})
    check.near(p, expected[i], 2e-6, tostring(opt) .. " step " .. i)
  end
end
run(train.sgd{lr = 0.1, momentum = 0.9, dampening = 0.1, weight_decay = 0.01},
  {{0.989, -1.978, 0.4695}, {0.9332099, -1.9564198, 0.45062745}, {0.90915892109, -1.97123684218, 0.415236590295}})
run(train.sgd{lr = 0.1, momentum = 0.9, nesterov = true, weight_decay = 0.01},
  {{0.9791, -1.9582, 0.44205}, {0.87332971, -1.93665942, 0.435505105}, {0.879358312551, -1.9913556251, 0.382185084801}})
run(train.adam{lr = 0.01, weight_decay = 0.1},
  {{0.9900000005, -1.99000000025, 0.490000000286}, {0.98082018599, -1.98068554697, 0.484443017497},
   {0.976008082234, -1.97675853725, 0.477254825524}})
run(train.adamw{lr = 0.01, weight_decay = 0.1},
  {{0.989000001, -1.9880000005, 0.489500000333}, {0.979400538617, -1.97931141843, 0.485008314792},
   {0.97592585587, -1.98073245159, 0.478492441842}})
run(train.adam{lr = 0.01, betas = {0.8, 0.9}, amsgrad = true},
  {{0.990000001, -1.9900000005, 0.490000000333}, {0.981272650961, -1.98387375703, 0.486446047866},
   {0.97932608029, -1.98805746318, 0.480417016548}})
local opt = train.sgd{lr = 0.1}
assert(opt:lr() == 0.1 and opt:lr(0.01) == 0.01 and opt:base_lr() == 0.1)
assert(tostring(train.adamw{}):find("adamw{lr = 0.001", 1, true))
check.raises(function() train.sgd{lr = 0.1, nesterov = true} end, "Nesterov momentum requires a momentum and zero dampening")
check.raises(function() train.sgd{lr = -1} end, "invalid learning rate")
check.raises(function() train.sgd{lr = 0.1, momentun = 0.9} end, "unknown option 'momentun' for sgd")
check.raises(function() train.adam{betas = {0.9}} end, "field 'betas': expected {beta1, beta2}")
check.raises(function() train.adam{betas = {1.5, 0.9}} end, "invalid beta1")
check.raises(function() opt:step({tensor.zeros(3)}, {tensor.zeros(2)}) end, "gradient 1 has shape [2], its parameter [3]")
check.raises(function() opt:step({tensor.zeros(3)}, {}) end, "1 parameters but 0 gradients")
check.raises(function() opt:step({1}, {2}) end, "parameter 1 must be a tensor, got number")
check.raises(function() opt:lr(-1) end, "learning rate must be a non-negative number")

-- Schedules: epoch n (1-based) uses PyTorch's rate after n - 1 scheduler steps.
local function rates(s, n) return s:lrs(0.1, n) end
check.near(rates(train.schedule.step{step_size = 3, gamma = 0.5}, 7), {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025}, 1e-12)
check.near(rates(train.schedule.multistep{milestones = {2, 4}, gamma = 0.1}, 6), {0.1, 0.1, 0.01, 0.01, 0.001, 0.001}, 1e-12)
local cos = train.schedule.cosine{t_max = 10, eta_min = 0.001}
check.near(cos:lr(0.1, 2), 0.0975772975566, 1e-12)
check.near(cos:lr(0.1, 6), 0.0505, 1e-12)
check.near(cos:lr(0.1, 11), 0.001, 1e-12)
check.near(rates(train.schedule.exponential{gamma = 0.9}, 3), {0.1, 0.09, 0.081}, 1e-12)
check.near(rates(train.schedule.linear{start_factor = 0.25, total = 4}, 6), {0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1}, 1e-12)
local warm = train.schedule.warmup{epochs = 5, start_factor = 0.2, after = cos}
check.near(rates(warm, 8), {0.02, 0.036, 0.052, 0.068, 0.084, 0.1, 0.0975772975566, 0.0905463412216}, 1e-12)
check.near(train.schedule.warmup{epochs = 2}:lr(1, 1), 1 / 3, 1e-12)
check.near(train.schedule.constant():lr(0.3, 100), 0.3, 0)
assert(tostring(warm):find("warmup{epochs = 5", 1, true))
check.raises(function() train.schedule.step{} end, "(field 'step_size': number expected, got nil)")
check.raises(function() train.schedule.cosine{t_max = 0} end, "t_max must be positive")
check.raises(function() train.schedule.multistep{milestones = 3} end, "field 'milestones': table expected, got number")
check.raises(function() train.schedule.warmup{epochs = 2, after = 1} end, "field 'after': train.Schedule expected, got number")
check.raises(function() train.schedule.linear{start_factor = 0} end, "start_factor must be in (0, 1]")
check.raises(function() cos:lr(0.1, 0) end, "epoch must be at least 1")
-- warmups chain (a warmup after a warmup), at most 16 deep: what reads a chain recurses through it
local chain = train.schedule.cosine{t_max = 10}
for _ = 1, 16 do chain = train.schedule.warmup{epochs = 1, after = chain} end
assert(chain:lr(0.1, 17) > 0, "a 16-warmup chain works")
check.raises(function() train.schedule.warmup{epochs = 1, after = chain} end,
  "field 'after': a chain of at most 16 warmups, this would be 17")

-- An optimizer keeps no dropped tensor or net alive: stepping a fresh tensor each time
-- (a loop that clones) stays bounded (it held every tensor and its momentum: 3.4 GB here),
-- and a net trained, dropped and replaced leaves no state behind.
do
  local opt = train.sgd{lr = 0.1, momentum = 0.9}
  local w = tensor.randn(1024, 1024)
  collectgarbage(); collectgarbage()
  local base, peak = tensor.memory().live, 0
  for _ = 1, 400 do
    opt:step({w}, {w * 0.1}); w = w:clone()
    peak = math.max(peak, tensor.memory().live - base)
  end
  assert(peak < 1024 * 1024 * 1024, "peak native memory " .. peak .. " bytes")
  local v = tensor.ones(3)   -- a kept tensor's momentum still carries over: 1 − 0.1 − 0.19
  opt:step({v}, {tensor.ones(3)}); opt:step({v}, {tensor.ones(3)})
  check.near(v, {0.71, 0.71, 0.71}, 1e-6)
  local x, y = tensor.randn(8, 64), tensor.zeros(8):long()
  local loader = data.loader(data.tensor_dataset(x, y), {batch = 8})
  collectgarbage(); collectgarbage()
  local before = tensor.memory().live
  for _ = 1, 12 do
    local net = nn.Sequential{nn.Linear(64, 1024), nn.ReLU(), nn.Linear(1024, 10)}
    train.fit(net, loader, {epochs = 1, optimizer = opt, progress = false, log = false})
  end
  collectgarbage(); collectgarbage()
  opt:step({v}, {tensor.ones(3)})   -- the next step drops the dead nets' state
  assert(tensor.memory().live - before < 4 * 1024 * 1024, "state of dropped nets: " .. (tensor.memory().live - before) .. " bytes")
end
print("train_math ok")
