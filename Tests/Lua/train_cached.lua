-- train.cached: the first call trains and saves, later calls read the file without calling
-- the function; the file name follows the settings; a corrupt or foreign file is reported
-- and trained again; the global generator is left as it was; bad arguments are clear
-- errors. Also train.fit{log = false} (prints nothing) and topiary.cache_dir().
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
local base = os.tmpname()
local dir = base .. ".cache"

tensor.manual_seed(5)
local x = tensor.randn(32, 4)
local ds = data.tensor_dataset(x, (x:select(2, 1):gt(0)):long())
local calls = 0
local function trainer(epochs)
  return function()
    calls = calls + 1
    tensor.manual_seed(1)
    local m = nn.Sequential{nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)}
    train.fit(m, data.loader(ds, {batch = 8, shuffle = true, seed = 1}), {epochs = epochs, optimizer = train.sgd{lr = 0.1}, log = false})
    return m
  end
end
local function same_weights(a, b)
  return (a:forward(x) - b:forward(x)):abs():max() == 0
end
local settings = {epochs = 2, lr = 0.1, milestones = {1, 2}, note = "a b/c", augment = false}

-- The first call trains (once), saves under a name made of the settings, returns the saved net.
tensor.manual_seed(7)
local net, info = train.cached("mlp", settings, trainer(2), {dir = dir})
local draw = tensor.rand(3)
assert(calls == 1 and info.trained == true, "first call trains")
assert(info.file:match("^mlp%-augment=false%-epochs=2%-lr=0%.1%-milestones=1,2%-note=a_b_c%-%x%x%x%x%x%x%x%x%.safetensors$"), info.file)
assert(info.path == dir .. "/" .. info.file, info.path)
assert(info.settings == "augment=false epochs=2 lr=0.1 milestones=1,2 note=a b/c", info.settings)
assert(io.open(info.path, "rb")):close()
assert(not net.training, "the network comes back in eval mode, as nn.load gives it")
-- The global generator is left as it was: the same draws as without the call.
tensor.manual_seed(7)
check.near(draw, tensor.rand(3), 0, "generator untouched by training")
-- The weights are those the function trained.
local direct = trainer(2)()
calls = calls - 1
assert(same_weights(net, direct), "cached weights = trained weights")

-- The second call reads the file: the function is not called, the weights are the same.
tensor.manual_seed(7)
local net2, info2 = train.cached("mlp", settings, function() error("must not train again") end, {dir = dir})
assert(calls == 1 and info2.trained == false and info2.path == info.path)
check.near(tensor.rand(3), draw, 0, "generator untouched by reading: a replay that reads the baseline draws as the run that trained it")
assert(same_weights(net, net2), "read weights = saved weights")
-- 2.0 is 2: the same file.
local s2 = {epochs = 2.0, lr = 0.1, milestones = {1, 2}, note = "a b/c", augment = false}
assert(select(2, train.cached("mlp", s2, trainer(2), {dir = dir})).path == info.path and calls == 1)

-- Another setting (or name) is another file, trained again.
local net3, info3 = train.cached("mlp", {epochs = 3, lr = 0.1, milestones = {1, 2}, note = "a b/c", augment = false}, trainer(3), {dir = dir})
assert(calls == 2 and info3.trained and info3.path ~= info.path, info3.path)
assert(not same_weights(net, net3), "3 epochs differ from 2")
local _, info4 = train.cached("mlp2", settings, trainer(2), {dir = dir})
assert(calls == 3 and info4.path ~= info.path)
-- Settings that read alike in the file name differ by the hash.
local _, a = train.cached("h", {note = "a/b"}, trainer(1), {dir = dir})
local _, b = train.cached("h", {note = "a_b"}, trainer(1), {dir = dir})
assert(calls == 5 and a.path ~= b.path and a.file:sub(1, 11) == b.file:sub(1, 11), a.file .. " " .. b.file)

-- A truncated file is reported and trained again; the new file reads back.
local f = assert(io.open(info.path, "rb")); local bytes = f:read("a"); f:close()
f = assert(io.open(info.path, "wb")); f:write(bytes:sub(1, #bytes // 2)); f:close()
local net5, info5 = train.cached("mlp", settings, trainer(2), {dir = dir})
assert(calls == 6 and info5.trained and same_weights(net5, net))
assert(not select(2, train.cached("mlp", settings, trainer(2), {dir = dir})).trained and calls == 6)
-- So is a valid network file written for other settings (or by hand).
nn.Sequential{nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)}:save(info.path)
local net6, info6 = train.cached("mlp", settings, trainer(2), {dir = dir})
assert(calls == 7 and info6.trained and same_weights(net6, net))

-- The messages: one line says where; training's log only when it trains; problems on stderr.
local script = base .. ".lua"
f = assert(io.open(script, "w"))
f:write(string.format([[
local ds = data.tensor_dataset(tensor.randn(8, 4), tensor.new{0, 1, 0, 1, 0, 1, 0, 1})
local log = ...
train.cached("msg", {epochs = 1}, function()
  print("TRAINING")
  local m = nn.Sequential{nn.Linear(4, 2)}
  train.fit(m, data.loader(ds, {batch = 4}), {epochs = 1, optimizer = train.sgd{lr = 0.1}, log = log == "log"})
  return m
end, {dir = %q})
]], dir))
f:close()
local function run(cmd, stderr)
  local p = assert(io.popen(cmd .. (stderr or " 2>&1"))); local out = p:read("a"); p:close()
  return out
end
local bin = q(arg[-1])
local cold = run(bin .. " run " .. q(script) .. " quiet")
assert(cold:find("train.cached: training msg (epochs=1) for " .. dir .. "/msg-epochs=1-", 1, true), cold)
assert(cold:find("TRAINING\n", 1, true) and cold:find("train.cached: trained in ", 1, true), cold)
assert(not cold:find("epoch 1/1", 1, true), "log = false prints no epoch line:\n" .. cold)
local warm = run(bin .. " run " .. q(script) .. " quiet")
assert(warm:find("^train.cached: loaded " .. dir:gsub("%p", "%%%0") .. "/msg%-epochs=1%-%x+%.safetensors\n$"), warm)
os.execute("rm -f " .. q(dir) .. "/msg-*")
local logged = run(bin .. " run " .. q(script) .. " log")
assert(logged:find("\nepoch 1/1  loss ", 1, true), "log = true (the default) prints epoch lines:\n" .. logged)
os.execute("for f in " .. q(dir) .. "/msg-*; do head -c 100 \"$f\" > \"$f.x\" && mv \"$f.x\" \"$f\"; done")
local broken = run(bin .. " run " .. q(script) .. " quiet", " 2>/dev/null")
assert(not broken:find("cannot use", 1, true) and broken:find("TRAINING", 1, true), "the notice goes to stderr:\n" .. broken)
os.execute("for f in " .. q(dir) .. "/msg-*; do head -c 100 \"$f\" > \"$f.x\" && mv \"$f.x\" \"$f\"; done")
broken = run(bin .. " run " .. q(script) .. " quiet")
assert(broken:find("train.cached: cannot use " .. dir .. "/msg-epochs=1-", 1, true) and broken:find("; training again\n", 1, true), broken)

-- Two processes asking for the same network at once (a sweep's tasks): one trains, the other
-- waits for it and reads its file.
local slow = base .. ".slow.lua"
f = assert(io.open(slow, "w"))
f:write(string.format([[
local _, info = train.cached("slow", {epochs = 1}, function()
  print("TRAINING")
  os.execute("sleep 1.5")
  return nn.Sequential{nn.Linear(4, 2)}
end, {dir = %q})
print(info.trained and "trained" or "read")
]], dir))
f:close()
os.execute(string.format("(%s run %s > %s.out1 2>&1 & %s run %s > %s.out2 2>&1 & wait)", bin, q(slow), q(base), bin, q(slow), q(base)))
local outs = {}
for i = 1, 2 do
  local h = assert(io.open(base .. ".out" .. i)); outs[i] = h:read("a"); h:close(); os.remove(base .. ".out" .. i)
end
local trainer_out = outs[1]:find("TRAINING", 1, true) and outs[1] or outs[2]
local reader_out = trainer_out == outs[1] and outs[2] or outs[1]
assert(trainer_out:find("\ntrained\n$"), trainer_out)
assert(not reader_out:find("TRAINING", 1, true), "only one process trains:\n" .. reader_out)
assert(reader_out:find("train.cached: waiting for another process training " .. dir .. "/slow-epochs=1-", 1, true), reader_out)
assert(reader_out:find("train.cached: loaded ", 1, true) and reader_out:find("\nread\n$"), reader_out)
os.remove(slow)
-- Asking for the network being trained from inside its own function would wait forever: an error.
check.raises(function()
  train.cached("self", {}, function() return train.cached("self", {}, function() end, {dir = dir}) end, {dir = dir})
end, "the training function asked for the network it is training")
-- The lock is released after that error: the same entry trains now.
assert(select(2, train.cached("self", {}, function() return nn.Sequential{nn.Linear(2, 2)} end, {dir = dir})).trained)

-- topiary.cache_dir(): $TOPIARY_CACHE, else ~/.cache/topiary.
assert(run("TOPIARY_CACHE=/some/where " .. bin .. " -e 'print(topiary.cache_dir())'") == "/some/where\n")
assert(run("env -u TOPIARY_CACHE HOME=/home/u " .. bin .. " -e 'print(topiary.cache_dir())'") == "/home/u/.cache/topiary\n")
if os.getenv("HOME") then
  assert(topiary.cache_dir() == (os.getenv("TOPIARY_CACHE") or (os.getenv("HOME") .. "/.cache/topiary")))
end

-- Bad arguments, and a function that fails: clear errors, nothing written.
local fn = trainer(1)
check.raises(function() train.cached(nil, {}, fn, {dir = dir}) end, "bad argument #1 to 'cached' (string expected, got nil)")
check.raises(function() train.cached("a/b", {}, fn, {dir = dir}) end, "name: 1 to 64 letters, digits, '_', '-' or '.' (not first) expected, got 'a/b'")
check.raises(function() train.cached(".x", {}, fn, {dir = dir}) end, "got '.x'")
check.raises(function() train.cached("x", fn) end, "bad argument #2 to 'cached' (table of settings expected ({epochs = 2, lr = 0.1}), got function)")
check.raises(function() train.cached("x", {opt = {lr = 0.1}}, fn, {dir = dir}) end,
  "setting 'opt': a list of strings, numbers or booleans expected, got a table with named or non-sequence keys (give each its own setting, e.g. opt_lr = 0.1)")
check.raises(function() train.cached("x", {opt = {0.1, 0.2, x = 1}}, fn, {dir = dir}) end, "non-sequence keys")
check.raises(function() train.cached("x", {2, 0.1}, fn, {dir = dir}) end, "settings must map names to values ({epochs = 2}), got a number key")
check.raises(function() train.cached("x", {f = print}, fn, {dir = dir}) end, "setting 'f': string, number, boolean or a list of them expected, got function")
check.raises(function() train.cached("x", {m = {{1}}}, fn, {dir = dir}) end, "setting 'm': string, number, boolean or a list of them expected, got table")
check.raises(function() train.cached("x", {lr = 0 / 0}, fn, {dir = dir}) end, "setting 'lr': a finite number expected")
check.raises(function() train.cached("x", {}, "fn", {dir = dir}) end, "bad argument #3 to 'cached' (function that trains and returns the network expected, got string)")
check.raises(function() train.cached("x", {}, fn, {dri = dir}) end, "unknown option 'dri' for cached")
check.raises(function() train.cached("x", {}, function() end, {dir = dir}) end,
  "train.cached: the function must return the trained network (an nn module), got nil")
local err = select(2, pcall(train.cached, "x", {}, function() error({code = 7}) end, {dir = dir}))
assert(type(err) == "table" and err.code == 7, "the function's error comes through unchanged")
local p = io.popen("ls " .. q(dir) .. " | grep -c '^x-'"); assert(p:read("a") == "0\n"); p:close()
f = assert(io.open(base .. ".file", "w")); f:close()
check.raises(function() train.cached("x", {}, fn, {dir = base .. ".file/sub"}) end, "cannot create the directory " .. base .. ".file")

os.execute("rm -rf " .. q(dir) .. " " .. q(script) .. " " .. q(base .. ".file"))
os.remove(base)
print("ok")
