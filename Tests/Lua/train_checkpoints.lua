-- Tampered checkpoints are refused with a message naming what is wrong, and training
-- on an empty dataset is an error (not a nan loss).
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

tensor.manual_seed(3)
local x = tensor.randn(16, 4)
local y = tensor.new{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}
local ds = data.tensor_dataset(x, y)
local function make() return nn.Sequential{nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)} end
local dir = os.tmpname()
local ck = dir .. ".ckpt.safetensors"

local function fit(opt, resume)
  return train.fit(make(), data.loader(ds, {batch = 8}), {epochs = 2, optimizer = opt, checkpoint = ck, resume = resume})
end
-- Rewrites the checkpoint through `edit(weights, meta)`, then resumes from it.
local function tampered(make_opt, edit)
  os.remove(ck)
  train.fit(make(), data.loader(ds, {batch = 8}), {epochs = 1, optimizer = make_opt(), checkpoint = ck})
  local w, meta = tensor.load_safetensors(ck)
  edit(w, meta)
  tensor.save_safetensors(ck, w, meta)
  return function() fit(make_opt(), true) end
end
local sgd = function() return train.sgd{lr = 0.1, momentum = 0.9} end
local adam = function() return train.adam{lr = 0.01} end

-- An intact checkpoint resumes.
tampered(sgd, function() end)()
tampered(adam, function() end)()

check.raises(tampered(sgd, function(w) w["optimizer.0.momentum_buffer"] = nil end),
  "sgd: state '0.momentum_buffer' is missing")
check.raises(tampered(adam, function(w) w["optimizer.2.exp_avg_sq"] = nil end),
  "adam: state '2.exp_avg_sq' is missing")
check.raises(tampered(adam, function(w) w["optimizer.1.step"] = tensor.new{-3}:long() end),
  "adam: state '1.step' must be a non-negative whole number, got -3")
check.raises(tampered(adam, function(w) w["optimizer.1.step"] = tensor.new{2.5} end),
  "must be a non-negative whole number, got 2.5")
check.raises(tampered(sgd, function(w) w["optimizer.0.step"] = nil end),
  "state '0.momentum_buffer' has no step count '0.step'")
check.raises(tampered(sgd, function(_, m) m["topiary.epoch"] = "-5" end),
  "invalid topiary.epoch '-5' (expected the number of completed epochs")
check.raises(tampered(sgd, function(_, m) m["topiary.epoch"] = "1.5" end), "invalid topiary.epoch '1.5'")
check.raises(tampered(sgd, function(_, m) m["topiary.epoch"] = nil end), "no topiary.epoch metadata")
-- SGD without momentum keeps no buffer: nothing is missing.
tampered(function() return train.sgd{lr = 0.1} end, function() end)()
os.remove(ck); os.remove(dir)

-- An empty dataset (or drop_last with less than a batch) is an error, not a nan loss.
local empty = data.tensor_dataset(tensor.zeros(0, 4), tensor.zeros(0))
check.raises(function() train.fit(make(), data.loader(empty, {batch = 4}), {epochs = 1, optimizer = sgd()}) end,
  "fit: epoch 1 saw no training samples")
check.raises(function() train.fit(make(), data.loader(ds, {batch = 32, drop_last = true}), {epochs = 1, optimizer = sgd()}) end,
  "saw no training samples")
-- a checkpoint of another network (the net before pruning, resumed into the pruned one) names
-- the file and how to start afresh
os.remove(ck)
train.fit(make(), data.loader(ds, {batch = 8}), {epochs = 1, optimizer = sgd(), checkpoint = ck})
local narrower = nn.Sequential{nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 2)}
local err = check.raises(function()
  train.fit(narrower, data.loader(ds, {batch = 8}), {epochs = 2, optimizer = sgd(), checkpoint = ck, resume = true})
end, "checkpoint: " .. ck .. " does not fit this network (resume = true reads it): load_state_dict: shape mismatch for '0.bias'")
assert(err:find("delete it or give another `checkpoint` path to start afresh", 1, true), err)
os.remove(ck)
-- a checkpoint of another optimizer names the file and what to do; resume needs a path;
-- label_smoothing is checked with the other options, before any step
os.remove(ck)
train.fit(make(), data.loader(ds, {batch = 8}), {epochs = 1, optimizer = sgd(), checkpoint = ck})
err = check.raises(function() fit(adam(), true) end, "checkpoint: " .. ck .. " does not fit this optimizer (resume = true reads it): adam: state")
assert(err:find("resume with the optimizer that wrote it", 1, true), err)
os.remove(ck)
check.raises(function() train.fit(make(), data.loader(ds, {batch = 8}), {epochs = 1, optimizer = sgd(), resume = true}) end,
  "field 'resume': true needs checkpoint = path")
check.raises(function() train.fit(make(), data.loader(ds, {batch = 8}), {epochs = 1, optimizer = sgd(), label_smoothing = 1.5}) end,
  "bad argument #3 to 'fit' (field 'label_smoothing': must be in [0, 1], got 1.5)")
check.raises(function() train.fit(make(), data.loader(ds, {batch = 8}), {epochs = 1, optimizer = sgd(), label_smoothing = 0/0}) end,
  "field 'label_smoothing': must be in [0, 1], got nan")
