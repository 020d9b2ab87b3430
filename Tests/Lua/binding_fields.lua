-- Module fields: known ones read, absent optional ones are nil, misspelled ones are errors
-- naming the fields that exist; help(module) lists them. Error objects that are tables keep
-- their fields through train.fit callbacks and loader transforms.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

local conv = nn.Conv2d(3, 8, 3, {stride = 2, padding = 1, bias = false})
assert(conv.in_channels == 3 and conv.out_channels == 8 and conv.groups == 1)
check.same(conv.stride, {2, 2}); check.same(conv.padding, {1, 1})
assert(conv.bias == nil, "a conv made without bias has bias == nil")
local err = check.raises(function() return conv.wieght end, "Conv2d has no field 'wieght'")
assert(err:find("weight, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias", 1, true), err)
check.raises(function() return nn.BatchNorm2d(4).running_vars end, "BatchNorm2d has no field 'running_vars' (did you mean 'running_var'?); its fields are weight, bias, running_mean, running_var")
assert(nn.BatchNorm2d(4, {affine = false}).weight == nil)

local net = nn.Sequential{{"conv1", conv}, {"relu", nn.ReLU()}}
assert(net.conv1 == net:get("conv1") or net.conv1.type == "Conv2d")
assert(net[2].type == "ReLU" and net[3] == nil)
check.raises(function() return net.conv2 end, "Sequential has no field 'conv2'; its fields are type, training, conv1, relu")
check.raises(function() return nn.ReLU().weight end, "ReLU has no field 'weight'")
-- Methods still come first.
assert(type(net.forward) == "function")

-- help(module) lists fields and methods.
-- help writes to the output sink (stdout under `topiary run`): read it from a child process.
local function output_of(code)
  local p = assert(io.popen(string.format("%q -e %q", arg[-1], code)))
  local out = p:read("a"); p:close()
  return out
end
local lines = {
  output_of('help(nn.Conv2d(3, 8, 3, {stride = 2, padding = 1, bias = false}))'),
  output_of('help.search("rank")'),
}
assert(lines[1]:find("Fields (x.name):", 1, true), lines[1])
for _, f in ipairs{"weight", "bias", "in_channels", "stride", "training"} do
  assert(lines[1]:find("\n  " .. f .. " ", 1, true), f .. " missing from help(conv):\n" .. lines[1])
end
assert(lines[1]:find("Methods (call as x:name(...)):", 1, true) and lines[1]:find("\n  forward ", 1, true), lines[1])
assert(lines[2]:find("tensor.matrix_rank", 1, true), lines[2])
assert(not lines[2]:find("tensor.sum ", 1, true), lines[2])

-- Table errors keep their fields (item 9).
local ds = data.tensor_dataset(tensor.randn(4, 1, 2, 2), tensor.new{0, 1, 0, 1})
local small = nn.Sequential{nn.Flatten(), nn.Linear(4, 2)}
local ok, e = pcall(train.fit, small, data.loader(ds, {batch = 2}),
  {optimizer = train.sgd{lr = 0.1}, progress = false, on_epoch = function() error({code = 42, msg = "stop"}) end})
assert(not ok and type(e) == "table" and e.code == 42 and e.msg == "stop", tostring(e))
local tl = data.loader(ds, {batch = 2, transform = function() error(setmetatable({code = 7}, {__tostring = function() return "E7" end})) end})
ok, e = pcall(function() for _ in tl:iter() do end end)
assert(not ok and type(e) == "table" and e.code == 7 and tostring(e) == "E7", tostring(e))
-- A string error is raised unchanged (no traceback glued into the message).
ok, e = pcall(train.fit, small, data.loader(ds, {batch = 2}),
  {optimizer = train.sgd{lr = 0.1}, progress = false, on_step = function() error("plain", 0) end})
assert(not ok and e == "plain", e)

-- Types without named fields (loaders, optimizers, schedules, hooks, charts, transforms):
-- an unknown key is an error naming the methods, never a silent nil; x[i] on a type
-- without items says so (ipairs(loader) used to run no iteration at all).
local loader = data.loader(ds, {batch = 2})
check.raises(function() return loader.batch_size end, "data.Loader has no field or method 'batch_size'; its methods are iter, batch")
check.raises(function() return loader.iterr end, "data.Loader has no field or method 'iterr' (did you mean 'iter'?)")
check.raises(function() for _ in ipairs(loader) do end end, "data.Loader has no items: x[1] is not defined; its methods are iter")
check.raises(function() return loader[{}] end, "data.Loader has no items: x[table] is not defined")
assert(type(loader.iter) == "function" and #loader == 2)
local opt = train.sgd{lr = 0.1}
check.raises(function() return opt.momentum end, "train.Optimizer has no field or method 'momentum'; its methods are step, lr, base_lr")
assert(opt:lr() == 0.1)
check.raises(function() return train.schedule.cosine{t_max = 3}.epochs end, "train.Schedule has no field or method 'epochs'")
local hook = net:register_forward_hook("relu", function() end)
check.raises(function() return hook.active end, "nn.Hook has no field or method 'active'; its methods are remove")
hook:remove()
check.raises(function() return data.normalize(0, 1).mean end, "data.Transform has no field or method 'mean'")
check.raises(function() return plot.line{1, 2, 3}.title end, "plot has no field or method 'title'")
-- A dataset has items (ds[i]) but no fields: a misspelled method is an error too.
check.raises(function() return ds.lenght end, "data.Dataset has no field or method 'lenght'")
local sample = ds[2]
assert(sample[2] == 1 and sample[1]:dim() == 3, "ds[i] is {image, label}")
print("binding_fields: ok")
