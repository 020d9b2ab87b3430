-- train.fit / train.evaluate, checkpoints and resuming, net:save / nn.load, net:load from
-- a PyTorch-named safetensors file, and their error paths.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

-- Two separable blobs in 4-D: class 0 around -1, class 1 around +1.
tensor.manual_seed(5)
local n = 256
local labels = {}
for i = 1, n do labels[i] = (i - 1) % 2 end
local y = tensor.new(labels)
local x = tensor.randn(n, 4) * 0.5 + (y:view(n, 1) * 2 - 1)
local ds = data.tensor_dataset(x, y)
local loader = data.loader(ds, {batch = 32, shuffle = true, seed = 1})
local eval_loader = data.loader(ds, {batch = 64})

local function make()
  return nn.Sequential{nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2)}
end

tensor.manual_seed(9)
local net = make()
local before = train.evaluate(net, eval_loader)
assert(before.samples == n and before.top5 == 1)

local steps, seen_epochs = 0, {}
local hist = train.fit(net, loader, {
  epochs = 3, optimizer = train.sgd{lr = 0.1, momentum = 0.9},
  schedule = train.schedule.step{step_size = 1, gamma = 0.5}, eval = eval_loader,
  on_step = function(s) steps = steps + 1; assert(s.loss == s.loss and s.steps == 8) end,
  on_epoch = function(e) seen_epochs[#seen_epochs + 1] = e.epoch end,
})
assert(steps == 24, "8 batches x 3 epochs, got " .. steps)
check.same(seen_epochs, {1, 2, 3})
assert(#hist.epochs == 3)
check.near(hist.epochs[1].lr, 0.1); check.near(hist.epochs[3].lr, 0.025)
assert(hist.epochs[3].loss < hist.epochs[1].loss, "loss falls")
local after = train.evaluate(net, eval_loader)
assert(after.top1 > 0.95, "separable blobs learned, top1 " .. after.top1)
assert(after.loss < before.loss)

-- a callback returning false stops training early
local h2 = train.fit(make(), loader, {epochs = 5, optimizer = train.sgd{lr = 0.1},
  on_epoch = function(e) return e.epoch < 2 end})
assert(#h2.epochs == 2)

-- checkpoints: 4 epochs straight == 2 epochs, then resume for 2 more
local dir = os.tmpname(); os.remove(dir)
local ck = dir .. ".ckpt.safetensors"
local function run(epochs, resume)
  tensor.manual_seed(11)
  local m = make()
  local opt = train.sgd{lr = 0.05, momentum = 0.9}
  train.fit(m, data.loader(ds, {batch = 32, shuffle = true, seed = 3}),
    {epochs = epochs, optimizer = opt, checkpoint = ck, resume = resume})
  return m
end
local straight = run(4, false)
os.remove(ck)
run(2, false)
local resumed = run(4, true)
check.near(resumed:forward(x), straight:forward(x), 1e-5, "resumed run equals the straight run")
os.remove(ck)

-- net:save / nn.load rebuild the architecture; net:load loads weights by name
local path = dir .. ".model.safetensors"
local big = nn.zoo.resnet20{classes = 10}
big:eval()
local probe = tensor.randn(2, 3, 32, 32)
local ref = big:forward(probe)
big:save(path, {note = "test"})
local back = nn.load(path)
check.near(back:forward(probe), ref, 1e-5, "nn.load gives the same outputs")
local fresh = nn.zoo.resnet20{classes = 10}
fresh:load(path)
fresh:eval()
check.near(fresh:forward(probe), ref, 1e-5, "net:load by state_dict names")

-- errors: shape mismatch names the key and both shapes; nothing half-loaded
local other = nn.zoo.resnet20{classes = 100}
local w0 = other:state_dict()["conv1.weight"]:clone()
local err = check.raises(function() other:load(path) end, "linear.bias")
assert(err:find("[10]", 1, true) and err:find("[100]", 1, true), err)
check.near(other:state_dict()["conv1.weight"], w0, 0, "a failed load leaves the model unchanged")
check.raises(function() nn.load("/nonexistent/x.safetensors") end, "/nonexistent/x.safetensors")
check.raises(function() train.fit(net, loader, {epochs = 1}) end, "field 'optimizer'")
-- on_step returning false stops; the history keeps the partial epoch
local seen_loss = {}
local partial = train.fit(net, loader, {epochs = 2, optimizer = train.sgd{lr = 0.01}, log = false,
  on_step = function(s) seen_loss[#seen_loss + 1] = s.loss; return s.step < 3 end})
assert(#partial.epochs == 1 and partial.epochs[1].partial == true and partial.epochs[1].steps == 3, "one partial epoch of 3 steps")
check.near(partial.epochs[1].loss, (seen_loss[1] + seen_loss[2] + seen_loss[3]) / 3, 1e-6, "its loss: the mean over the steps that ran")
-- a wrong type names the field and the argument
check.raises(function() train.fit(net, loader, {optimizer = "sgd"}) end,
  "bad argument #3 to 'fit' (field 'optimizer': train.Optimizer expected, got string)")
check.raises(function() train.fit(net, loader, {optimizer = train.sgd{lr = 0.1}, eval = {}}) end,
  "bad argument #3 to 'fit' (field 'eval': data.Loader expected, got table)")
check.raises(function() train.fit(net, loader, {optimizer = train.sgd{lr = 0.1}, schedule = 0.1}) end,
  "field 'schedule': train.Schedule expected, got number")
check.raises(function() train.fit(net, loader, {epochs = 1, optimizer = train.sgd{lr = 0.1}, bogus = 1}) end, "unknown option 'bogus'")
check.raises(function() train.fit(net, loader, {epochs = 1, optimizer = train.sgd{lr = 0.1},
  on_step = function() error("boom in callback") end}) end, "boom in callback")
check.raises(function() train.fit(nn.Sequential{nn.Linear(3, 2)}, loader, {optimizer = train.sgd{lr = 0.1}}) end, "layer expects 3")
os.remove(path)

-- before_step: gradients changed after backward reach the optimizer's step (Network Slimming's
-- L1 subgradient on BN scales: γ moves by a further lr·λ·sign(γ) in one SGD step)
do
  local function slim(lambda)
    tensor.manual_seed(7)
    local net = nn.zoo.small_cnn{}
    local loader = data.loader(data.tensor_dataset(tensor.randn(8, 1, 28, 28), tensor.zeros(8):long()), {batch = 8})
    local gammas, steps = {}, {}
    for _, m in ipairs(net:named_modules()) do
      if m.module.type == "BatchNorm2d" then gammas[#gammas + 1] = m.module:parameters()[1] end
    end
    local g0 = gammas[1].value:clone()
    train.fit(net, loader, {optimizer = train.sgd{lr = 0.1}, progress = false, log = false,
      before_step = lambda and function(s)
        steps[#steps + 1] = s.step
        for _, p in ipairs(gammas) do p.grad:copy(p.grad + p.value:sign() * lambda) end
      end})
    return gammas[1].value, g0, steps
  end
  local plain, g0 = slim(nil)
  local sparse, _, steps = slim(0.5)
  check.near(plain - sparse, g0:sign() * 0.05, 1e-6, "the extra subgradient step")
  check.same(steps, {1})
  local net = nn.zoo.small_cnn{}
  local loader = data.loader(data.tensor_dataset(tensor.randn(4, 1, 28, 28), tensor.zeros(4):long()), {batch = 4})
  check.raises(function() train.fit(net, loader, {optimizer = train.sgd{lr = 0.1}, log = false, before_step = 3}) end,
    "field 'before_step': function expected, got number")
  check.raises(function() train.fit(net, loader, {optimizer = train.sgd{lr = 0.1}, log = false,
    before_step = function() error("no gradients today") end}) end, "no gradients today")
end

print("train_fit: ok")
