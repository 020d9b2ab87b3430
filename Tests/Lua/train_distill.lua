-- Knowledge distillation in train.fit (teacher =, distill =) and train.distill_loss: the loss
-- against formulas written out here, a pruned net fine-tuned from its unpruned copy, resuming;
-- fit ending early (modes given back, the error unchanged, a second fit runs); option errors.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

-- 1. train.distill_loss against the formulas: alpha·T²/N·Σ KL(p ‖ q) + (1 − alpha)·CE,
--    p = softmax(t/T), q = softmax(s/T); gradient alpha·T/N·(q − p) + (1 − alpha)/N·(r − smoothed y).
local S = {{1, 2, 3}, {0.5, -1, 2}}
local T_ = {{2, 1, 0.5}, {0, 1, -1}}
local Y = {2, 0}
local function log_softmax(row, temp)
  local m = -math.huge
  for _, v in ipairs(row) do m = math.max(m, v / temp) end
  local sum = 0
  for _, v in ipairs(row) do sum = sum + math.exp(v / temp - m) end
  local out = {}
  for k, v in ipairs(row) do out[k] = v / temp - m - math.log(sum) end
  return out
end
local function reference(alpha, temp, eps)
  local n, c, kd, ce, grad = #S, 3, 0, 0, {}
  for i = 1, n do
    local lq, lp, lr = log_softmax(S[i], temp), log_softmax(T_[i], temp), log_softmax(S[i], 1)
    grad[i] = {}
    for k = 1, c do
      local p = math.exp(lp[k])
      local target = eps / c + ((k - 1) == Y[i] and 1 - eps or 0)
      kd = kd + p * (lp[k] - lq[k])
      ce = ce - target * lr[k]
      grad[i][k] = alpha * temp * (math.exp(lq[k]) - p) / n + (1 - alpha) * (math.exp(lr[k]) - target) / n
    end
  end
  return alpha * temp * temp * kd / n + (1 - alpha) * ce / n, grad
end
local s, t, y = tensor.new(S), tensor.new(T_), tensor.new(Y):long()
for _, case in ipairs{{0.9, 4, 0}, {0.7, 2, 0.1}, {1, 1, 0}, {0.5, 0.5, 0.3}} do
  local alpha, temp, eps = case[1], case[2], case[3]
  local loss, grad = train.distill_loss(s, t, y, {alpha = alpha, temperature = temp, label_smoothing = eps})
  local rl, rg = reference(alpha, temp, eps)
  check.near(loss, rl, 1e-6, "distill_loss " .. table.concat(case, ", "))
  check.near(grad, rg, 1e-6, "its gradient " .. table.concat(case, ", "))
end
check.near(train.distill_loss(s, t, y, {alpha = 0.7, temperature = 2, label_smoothing = 0.1}), 1.3970584126387133, 1e-6, "known value")
-- alpha = 0 is the cross-entropy exactly; the defaults are alpha 0.9, T 4
local l0, g0 = train.distill_loss(s, t, y, {alpha = 0, label_smoothing = 0.1})
local lc, gc = train.cross_entropy(s, y, {label_smoothing = 0.1})
assert(l0 == lc, "alpha = 0: the cross-entropy")
check.near(g0, gc, 0, "alpha = 0: its gradient")
assert(train.distill_loss(s, t, y) == train.distill_loss(s, t, y, {alpha = 0.9, temperature = 4}), "defaults")
check.raises(function() train.distill_loss(s, tensor.zeros(2, 4), y) end, "the teacher's logits have shape [2, 4], the student's [2, 3]")
check.raises(function() train.distill_loss(s, t, y, {temp = 2}) end, "unknown option 'temp' for distill_loss")

-- 2. A small CNN trained on synthetic 4-class images, pruned, then fine-tuned from its copy.
tensor.manual_seed(1)
local n, classes = 256, 4
local patterns = tensor.randn(classes, 1, 28, 28)
local labels = {}
for i = 1, n do labels[i] = (i * 3) % classes end
local ly = tensor.new(labels):long()
local images = tensor.randn(n, 1, 28, 28) * 0.8
for c = 0, classes - 1 do
  for i = 1, n do if labels[i] == c then images[i]:copy(images[i] + patterns[c + 1]) end end
end
local ds = data.tensor_dataset(images, ly)
local loader = data.loader(ds, {batch = 32, shuffle = true, seed = 2})
local eval_loader = data.loader(ds, {batch = 128})
local quiet = {progress = false, log = false}
local function opts(extra)
  local o = {}
  for k, v in pairs(quiet) do o[k] = v end
  for k, v in pairs(extra) do o[k] = v end
  return o
end

local net = nn.zoo.small_cnn{classes = classes}
train.fit(net, loader, opts{epochs = 2, optimizer = train.sgd{lr = 0.05, momentum = 0.9}})
local teacher = net:clone()
prune.plan(net, {criterion = "l1", ratio = 0.6, input = {1, 1, 28, 28}}):apply()
assert(net.conv2.out_channels < teacher.conv2.out_channels, "pruned")
local pruned = net:clone()

local function modes(m)
  local out = {}
  for _, e in ipairs(m:named_modules()) do out[#out + 1] = e.name .. "=" .. tostring(e.module.training) end
  return out
end
-- The mean soft term (alpha = 1) between the two nets over the data, both in eval mode.
local function kl(student)
  local ms, mt = modes(student), modes(teacher)
  student:eval(); teacher:eval()
  local sum, batches = 0, 0
  for x, yb in eval_loader:iter() do
    sum = sum + train.distill_loss(student:forward(x), teacher:forward(x), yb, {alpha = 1, temperature = 4})
    batches = batches + 1
  end
  for _, pair in ipairs{{student, ms}, {teacher, mt}} do   -- each module's own mode back, root first
    for i, e in ipairs(pair[1]:named_modules()) do e.module:train(pair[2][i]:sub(-4) == "true") end
  end
  return sum / batches
end
local teacher_weights = teacher:state_dict()["conv1.weight"]:clone()
local teacher_mean = teacher:state_dict()["bn1.running_mean"]:clone()
teacher.bn2:eval()   -- a mixed mode, which fit must give back
local teacher_modes, net_modes = modes(teacher), modes(net)
local kl_before = kl(net)
local hist = train.fit(net, loader, opts{epochs = 3, optimizer = train.sgd{lr = 0.02, momentum = 0.9}, teacher = teacher,
  distill = {alpha = 1, temperature = 4}})
local kl_after = kl(net)
assert(kl_after < kl_before, string.format("alpha = 1: the student moves towards the teacher, KL %.4f -> %.4f", kl_before, kl_after))
assert(hist.epochs[3].loss < hist.epochs[1].loss, "the distillation loss falls")
check.near(teacher:state_dict()["conv1.weight"], teacher_weights, 0, "the teacher is not trained")
check.near(teacher:state_dict()["bn1.running_mean"], teacher_mean, 0, "the teacher runs in eval mode (running statistics kept)")
check.same(modes(teacher), teacher_modes, "the teacher's modes")
check.same(modes(net), net_modes, "the student's modes")

-- Label smoothing combined with distillation; the reported loss is the total loss.
local first
local mixed = pruned:clone()
local h2 = train.fit(mixed, loader, opts{epochs = 2, optimizer = train.sgd{lr = 0.02, momentum = 0.9}, teacher = teacher,
  distill = {alpha = 0.9, temperature = 4}, label_smoothing = 0.1, eval = eval_loader,
  on_step = function(st) first = first or st.loss end})
assert(h2.epochs[2].loss < h2.epochs[1].loss, "loss falls with smoothing too")
assert(h2.epochs[2].eval.top1 > 0.5, "the fine-tuned net classifies, top1 " .. h2.epochs[2].eval.top1)
assert(first > 0 and first == first)

-- Checkpoints with a teacher: 2 epochs straight equal 1 epoch, then resume for 1 more.
local dir = os.tmpname(); os.remove(dir)
local ck = dir .. ".distill.safetensors"
local function run(epochs, resume)
  local m = pruned:clone()
  train.fit(m, data.loader(ds, {batch = 64, shuffle = true, seed = 5}), opts{epochs = epochs, resume = resume,
    optimizer = train.sgd{lr = 0.02, momentum = 0.9}, teacher = teacher, distill = {alpha = 0.5, temperature = 3},
    checkpoint = ck})
  m:eval()
  return m:forward(images:narrow(1, 1, 16))
end
local straight = run(2, false)
os.remove(ck)
run(1, false)
check.near(run(2, true), straight, 1e-5, "resumed distillation equals the straight run")
os.remove(ck)

-- 3. fit ending early: a callback's error at step 3, a bad batch. Every module keeps its mode
--    from before (mixed ones too), the error object comes back unchanged, and fit runs again.
local victim = pruned:clone()
victim:eval(); victim.fc1:train()
teacher:train(); teacher.bn1:eval()
local vm, tm = modes(victim), modes(teacher)
local opt = train.sgd{lr = 0.01, momentum = 0.9}
local boom = {reason = "boom at step 3"}
local ok, err = pcall(train.fit, victim, loader, opts{epochs = 2, optimizer = opt, teacher = teacher,
  on_step = function(st) if st.step == 3 then error(boom) end end})
assert(not ok and err == boom, "the callback's error object, unchanged")
check.same(modes(victim), vm, "student modes after a callback error")
check.same(modes(teacher), tm, "teacher modes after a callback error")
check.raises(function() train.fit(victim, loader, opts{optimizer = opt, on_epoch = function() error("epoch end fails") end}) end,
  "epoch end fails")
check.same(modes(victim), vm, "student modes after an on_epoch error")
local bad_labels = ly:clone(); bad_labels[40] = 9
check.raises(function() train.fit(victim, data.loader(data.tensor_dataset(images, bad_labels), {batch = 32}),
  opts{optimizer = opt, teacher = teacher}) end, "target 9 of sample 8 is not a class id in 0..3")
check.same(modes(victim), vm, "student modes after a bad batch")
check.same(modes(teacher), tm, "teacher modes after a bad batch")
local again = train.fit(victim, loader, opts{epochs = 1, optimizer = opt, teacher = teacher})
assert(#again.epochs == 1 and again.epochs[1].loss == again.epochs[1].loss, "a second fit on the same net runs")
check.same(modes(victim), vm, "a finished fit gives the modes back too")

-- 4. Option errors name the field and what is allowed; the process lives on.
local function fails(extra, pattern)
  extra.optimizer = train.sgd{lr = 0.01}
  check.raises(function() train.fit(victim, loader, opts(extra)) end, pattern)
  check.same(modes(victim), vm, "modes after: " .. pattern)
end
fails({teacher = "base"}, "bad argument #3 to 'fit' (field 'teacher': nn.Module expected, got string)")
fails({distill = {alpha = 0.5}}, "field 'distill': needs teacher = net")
fails({teacher = teacher, distill = 4}, "field 'distill': table expected (e.g. distill = {alpha = 0.9, temperature = 4}), got number")
fails({teacher = teacher, distill = {alpha = 1.5}}, "field 'distill.alpha': must be in [0, 1]")
fails({teacher = teacher, distill = {alpha = -0.1}}, "field 'distill.alpha': must be in [0, 1]")
fails({teacher = teacher, distill = {alpha = 0 / 0}}, "field 'distill.alpha': must be in [0, 1] (the soft term's weight; 1 − alpha weighs the cross-entropy), got nan")
fails({teacher = teacher, distill = {temperature = 0}}, "field 'distill.temperature': must be a finite number > 0")
fails({teacher = teacher, distill = {temperature = math.huge}}, "field 'distill.temperature': must be a finite number > 0")
fails({teacher = teacher, distill = {temperature = "4"}}, "field 'distill.temperature': number expected, got string")
fails({teacher = teacher, distill = {alpha = 0.5, temp = 4}}, "field 'distill': unknown option 'temp' (allowed: alpha, temperature)")
fails({teacher = teacher, distill = {0.9}}, "field 'distill': unknown option a number key (allowed: alpha, temperature)")
fails({label_smoothing = 1.5}, "field 'label_smoothing': must be in [0, 1], got 1.5")
fails({label_smoothing = -0.1}, "field 'label_smoothing': must be in [0, 1], got -0.1")
fails({teacher = victim}, "the teacher is the network being trained (distill from a copy: net:clone())")
fails({teacher = victim.fc2}, "the teacher is part of the network being trained")
fails({teacher = nn.zoo.small_cnn{classes = 10}}, "the teacher's logits have shape [32, 10], the student's [32, 4]")
print(string.format("ok train_distill: KL %.4f -> %.4f, fine-tuned top1 %.3f", kl_before, kl_after, h2.epochs[2].eval.top1))
