-- Forward hooks: a hook runs on the stack of the Lua code that runs the forward (never on
-- the coroutine that registered it), lives as long as its module (not one of a dead net's
-- reused address), follows its module through nn.acnet / nn.fuse, and a hook that replaced
-- an output makes the backward an error instead of wrong gradients.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

-- Runs `code` in a child `topiary run` (a crash must not end this script): status, output.
local function child(code)
  local file = os.tmpname()
  local f = assert(io.open(file, "w")); f:write(code); f:close()
  local p = assert(io.popen(string.format("%q run %q 2>&1", arg[-1], file)))
  local out = p:read("a")
  local ok, how, status = p:close()
  os.remove(file)
  return ok and how == "exit" and status == 0, out, how, status
end

-- Hooks registered inside coroutines that finished and were collected (their stacks were
-- freed) run on the caller's stack; this crashed with SIGSEGV.
local ok, out, how, status = child([[
local net = nn.Sequential{{"conv1", nn.Conv2d(1, 2, 3)}}
local hooks, calls = {}, 0
for i = 1, 10 do coroutine.wrap(function()
  hooks[i] = net:register_forward_hook("conv1", function(m, x, y) calls = calls + 1 end) end)() end
collectgarbage(); collectgarbage()
local junk = {} for i = 1, 20000 do junk[i] = {i, string.rep("x", 64) .. i} end
net:forward(tensor.randn(1, 1, 5, 5))
print("calls", calls)
]])
assert(ok and out:find("calls\t10", 1, true), "hooks from dead coroutines: " .. tostring(how) .. " " .. tostring(status) .. "\n" .. out)

-- A hook registered in a coroutine that is suspended, or in the main chunk, runs on the
-- thread that runs the forward: the main state, or the coroutine calling forward.
local net = nn.Sequential{{"a", nn.Linear(2, 2)}}
local seen = {}
local co = coroutine.create(function()
  net:register_forward_hook("a", function() seen[#seen + 1] = coroutine.running() end)
  coroutine.yield()
end)
assert(coroutine.resume(co))
assert(coroutine.status(co) == "suspended")
local main = coroutine.running()
net:forward(tensor.randn(1, 2))
assert(seen[1] == main, "the hook ran on the main state, not on the suspended coroutine")
local worker = coroutine.create(function() net:forward(tensor.randn(1, 2)) end)
assert(coroutine.resume(worker))
assert(seen[2] == worker, "the hook ran on the coroutine that called forward")
-- An error in such a hook reaches the caller's pcall.
net:register_forward_hook("a", function() error("hook failed") end)
check.raises(function() net:forward(tensor.randn(1, 2)) end, "hook failed")

-- A hook lives as long as its module: a new net made where a dead one was (the same
-- address) does not inherit its hooks. Here the dead nets' hooks zero the output.
local zeroed = 0
for i = 1, 200 do
  do
    local dead = nn.Sequential{{"a", nn.Linear(2, 2)}}
    dead:register_forward_hook("a", function(m, x, y) return y * 0 end)
  end
  collectgarbage(); collectgarbage()
  local fresh = nn.Sequential{{"a", nn.Linear(2, 2)}}
  fresh.a.weight:copy(tensor.ones(2, 2))
  if fresh:forward(tensor.ones(1, 2)):abs():sum() == 0 then zeroed = zeroed + 1 end
end
assert(zeroed == 0, zeroed .. " of 200 fresh nets ran a dead net's hook")

-- ...and its function and upvalues are freed with the module, handle kept or not.
local probe = setmetatable({}, {__mode = "k"})
do
  local big = {}
  probe[big] = true
  local n = nn.Sequential{{"a", nn.Linear(2, 2)}}
  n:register_forward_hook("a", function(m, x, y) local _ = big end)
  n:forward(tensor.randn(1, 2))
end
do
  local big = {}
  probe[big] = true
  local n = nn.Sequential{{"a", nn.Linear(2, 2)}}
  local h = n:register_forward_hook("a", function(m, x, y) local _ = big end)
end
collectgarbage(); collectgarbage(); collectgarbage()
assert(next(probe) == nil, "a dead module's hooks are freed")
-- hook:remove() frees them too, and a hook whose handle is dropped keeps running.
do
  local big = {}
  probe[big] = true
  local h = net:register_forward_hook("a", function(m, x, y) local _ = big end)
  h:remove()
end
collectgarbage(); collectgarbage()
assert(next(probe) == nil, "a removed hook is freed")
local kept = nn.Sequential{{"a", nn.Linear(2, 2)}}
local count = 0
kept:register_forward_hook("a", function() count = count + 1 end)
collectgarbage(); collectgarbage()
kept:forward(tensor.randn(1, 2))
assert(count == 1, "a hook whose handle was collected still runs while its module lives")

-- Swapping layers (nn.acnet, nn.fuse) carries the hooks to the replacement at the same path.
local vgg = nn.Sequential{{"conv", nn.Conv2d(1, 2, 3, {padding = 1})}, {"relu", nn.ReLU()}}
local fired = 0
vgg:register_forward_hook("conv", function() fired = fired + 1 end)
vgg = nn.acnet(vgg)
assert(vgg.conv.type == "ACConv2d")
vgg:forward(tensor.randn(1, 1, 4, 4))
assert(fired == 1, "the hook followed the conv into its ACNet block")
vgg:eval()
vgg = nn.fuse(vgg)
assert(vgg.conv.type == "Conv2d")
vgg:forward(tensor.randn(1, 1, 4, 4))
assert(fired == 2, "and back into the fused conv")

-- A hook that replaces an output while gradients are on makes backward an error: a Lua
-- function cannot be differentiated (the gradients used to ignore the replacement).
local lin = nn.Sequential{{"a", nn.Linear(2, 2, {bias = false})}, {"b", nn.Linear(2, 1, {bias = false})}}
lin.a.weight:copy(tensor.new{{1, 0}, {0, 1}}); lin.b.weight:copy(tensor.new{{1, 1}})
local double = lin:register_forward_hook("a", function(m, x, y) return y * 2 end)
lin:zero_grad()
check.near(lin:forward(tensor.new{{1, 2}}), tensor.new{{6}}, 0, "the replacement is the output")
check.raises(function() lin:backward(tensor.ones(1, 1)) end,
  "backward: a forward hook replaced the output of a (Linear)")
-- Under no_grad the replacement is fine (nothing to differentiate), and a hook that
-- returns nothing never stops backward.
nn.no_grad(function() check.near(lin:forward(tensor.new{{1, 2}}), tensor.new{{6}}, 0, "no_grad") end)
double:remove()
local observed = 0
lin:register_forward_hook("a", function(m, x, y) observed = observed + y:sum() end)
lin:zero_grad()
check.near(lin:forward(tensor.new{{1, 2}}), tensor.new{{3}}, 0)
local dx = lin:backward(tensor.ones(1, 1))
check.near(dx, tensor.new{{1, 1}}, 0, "an observing hook leaves the gradients alone")
check.near(lin:parameters()[1].grad, tensor.new{{1, 2}, {1, 2}}, 0)
assert(observed == 3)
-- train.fit's backward refuses the same way.
local ds = data.tensor_dataset(tensor.randn(4, 2), tensor.zeros(4))
local clf = nn.Sequential{{"a", nn.Linear(2, 2)}}
clf:register_forward_hook("a", function(m, x, y) return y + 1 end)
check.raises(function() train.fit(clf, data.loader(ds, {batch = 2}), {optimizer = train.sgd{lr = 0.1}, progress = false}) end,
  "a forward hook replaced the output of a (Linear)")
print("nn_forward_hooks: ok")

-- An error in a hook names the hook and keeps the traceback inside it.
do
  local net = nn.zoo.resnet20{}
  local h = net:register_forward_hook("layer1.0.relu1", function(m, x, y) error("hook broke") end)
  local e = check.raises(function() net:forward(tensor.randn(1, 3, 32, 32)) end, "forward hook on layer1.0.relu1: ")
  assert(e:find("hook broke", 1, true) and e:find("stack traceback", 1, true), e)
  h:remove()
end
