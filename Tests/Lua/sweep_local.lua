-- Sweeps on local cores: `topiary sweep run` (resumable, failures listed with logs),
-- `sweep collect`, `sweep task`, report{...}, and the errors for bad sweeps.
-- (The Slurm side runs on a real single-node Slurm in Tests/Sweep/slurm_test.sh.)
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

-- report{...} in this process: values kept, replaced by name, returned; bad values refused.
local r = report{top1 = 0.5, macs = 10}
check.same({r.top1, r.macs}, {0.5, 10}, "report returns the values")
r = report{top1 = 0.75, name = "l1", ok = true}
check.same({r.top1, r.macs, r.name, tostring(r.ok)}, {0.75, 10, "l1", "true"}, "a later value replaces")
assert(report().top1 == 0.75 and topiary.report().name == "l1", "report() and topiary.report() return the values")
check.raises(function() report{x = {}} end, "field 'x': number, string or boolean expected, got table")
check.raises(function() report{1} end, "report names must be strings, got a number key")
check.raises(function() report(5) end, "table expected")

local bin = io.popen("readlink /proc/$PPID/exe"):read("l")
assert(bin and bin ~= "", "found the topiary binary")
local dir = os.tmpname(); os.remove(dir)
assert(os.execute("mkdir -p '" .. dir .. "'"))
local function write(path, text) local f = assert(io.open(path, "w")); f:write(text); f:close() end
local function read(path) local f = io.open(path); if not f then return nil end; local s = f:read("a"); f:close(); return s end
local function sh(cmd)
  local p = io.popen("cd '" .. dir .. "' && " .. cmd .. " 2>&1")
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end
local function topiary(args) return sh("'" .. bin .. "' " .. args) end

write(dir .. "/nb.lua", [[
-- %% Parameters tags=["parameters"]
ratio = 0.5
crit = "l1"
-- %%
if crit == "bad" then error("criterion bad is not known") end
report{acc = 1 - ratio, macs = ratio * 100}
print("ran", crit, ratio)
]])
write(dir .. "/s.lua", [[sweep{notebook = "nb.lua", out = "runs", grid = {crit = {"l1", "fpgm", "bad"}, ratio = {0.25, 0.5}}}]])

-- 1. A run with one failing criterion: 4 ok, 2 failed, listed with their logs; exit 1.
local ok, out = topiary("sweep run s.lua -j 2")
assert(not ok, "a sweep with failed tasks exits non-zero:\n" .. out)
assert(out:find("6 tasks: 4 ran ok, 2 failed, 0 had finished before", 1, true), out)
assert(out:find("  4 crit=bad,ratio=0.25: exit 1, log runs/crit=bad,ratio=0.25/log.txt", 1, true), out)
assert(read(dir .. "/runs/crit=bad,ratio=0.25/log.txt"):find("criterion bad is not known", 1, true))
local rec = read(dir .. "/runs/crit=l1,ratio=0.25/task.json")
assert(rec:find('"status": "ok"', 1, true) and rec:find('"acc": 0.75', 1, true) and rec:find('"crit": "l1"', 1, true), rec)
assert(read(dir .. "/runs/crit=l1,ratio=0.25/report.json"):find('"macs": 25.0', 1, true))
assert(read(dir .. "/runs/crit=l1,ratio=0.25/nb.out.md"), "the notebook's outputs are in the task folder")
assert(read(dir .. "/runs/crit=bad,ratio=0.5/task.json"):find('"status": "failed"', 1, true))
assert(not read(dir .. "/nb.out.md"), "nothing is written beside the notebook")

-- 2. Resume: finished tasks are skipped (their records untouched); failed ones run again.
write(dir .. "/nb.lua", read(dir .. "/nb.lua"):gsub('error%("criterion bad is not known"%)', 'crit = "fixed"'))
ok, out = topiary("sweep run s.lua")
assert(ok, out)
assert(out:find("6 tasks: 2 ran ok, 0 failed, 4 had finished before", 1, true), out)
assert(read(dir .. "/runs/crit=l1,ratio=0.25/task.json") == rec, "a finished task's record is left as it was")
ok, out = topiary("sweep run s.lua")
assert(ok and out:find("0 ran ok, 0 failed, 6 had finished before", 1, true), out)
ok, out = topiary("sweep task s.lua --index 3")
assert(ok and out:find("task 3 (crit=fpgm,ratio=0.5) had finished; left as it is", 1, true), out)

-- 3. Collect: a row per task, CSV, Markdown and a chart.
ok, out = topiary("sweep collect s.lua --x macs --y acc --by crit")
assert(ok, out)
assert(out:find("| index | crit | ratio | acc | macs | status |", 1, true), out)
local csv = read(dir .. "/runs/results.csv")
local rows = 0
for _ in csv:gmatch("\r\n") do rows = rows + 1 end
assert(rows == 7, csv)
assert(csv:find("2,fpgm,0.25,0.75,25.0,ok", 1, true), csv)
assert(read(dir .. "/runs/results.md"):find("| 5 | bad | 0.5 | 0.5 | 50.0 | ok |", 1, true))
local svg = read(dir .. "/runs/results.svg")
assert(svg:find("<svg", 1, true) and svg:find("crit=fpgm", 1, true), "one line per criterion")
ok, out = topiary("sweep collect s.lua --x nope")
assert(not ok and out:find("plot x = 'nope' is not a column", 1, true), out)

-- 3b. A notebook and an out folder whose paths start with "-" are passed as paths, not options.
write(dir .. "/-nb.lua", read(dir .. "/nb.lua"))
write(dir .. "/dash.lua", [[sweep{notebook = "-nb.lua", out = "-runs", grid = {crit = "l1", ratio = {0.25, 0.5}}}]])
ok, out = topiary("sweep run dash.lua")
assert(ok and out:find("2 tasks: 2 ran ok, 0 failed", 1, true), out)
assert(read(dir .. "/-runs/crit=l1,ratio=0.5/task.json"):find('"status": "ok"', 1, true))
assert(read(dir .. "/-runs/crit=l1,ratio=0.5/-nb.out.md"), "the outputs are in the task folder")

-- 4. Bad sweeps and bad requests, each a clear error.
local function fails(sweep, args, pattern)
  write(dir .. "/bad.lua", sweep)
  local ok2, out2 = sh(args or ("'" .. bin .. "' sweep run bad.lua"))
  assert(not ok2, "expected a failure: " .. sweep)
  assert(out2:find(pattern, 1, true), "expected '" .. pattern .. "' in:\n" .. out2)
end
fails([[sweep{notebook = "nb.lua", out = "o", grid = {epochs = {1, 2}}}]], nil,
  "grid parameter 'epochs' is not assigned in the parameters cell of nb.lua (it sets: ratio, crit)")
fails([[sweep{notebook = "nb.lua", out = "o", grid = {ratio = {}}}]], nil, "grid 'ratio' is an empty list")
fails([[sweep{notebook = "nb.lua", out = "o", grid = {ratio = {{}}}}]], nil, "grid 'ratio' value 1 must be a number, string or boolean, got table")
fails([[sweep{notebook = "missing.lua", out = "o", grid = {ratio = {1}}}]], nil, "notebook 'missing.lua' does not exist")
fails([[sweep{notebook = "nb.lua", out = "o", grid = {crit = {"a/b", "a_b"}}}]], nil, "grid points 0 and 1 would share the task folder 'crit=a_b'")
fails([[sweep{notebook = "nb.lua", out = "o", grid = {ratio = {1}}}]], "'" .. bin .. "' sweep task bad.lua --index 4", "no grid point 4: the grid has 1 points")
fails([[sweep{notebook = "nb.lua", out = "o", grid = {ratio = {1}}}]], "env PATH=/nonexistent '" .. bin .. "' sweep submit bad.lua --slurm",
  "sbatch is not on PATH")
ok, out = topiary("sweep run nothere.lua")
assert(not ok and out:find("nothere.lua: no such sweep file", 1, true), out)

-- 5. Stopping `sweep run`. Task k = 1 busy-loops in Lua; task k = 2 waits in a command it
-- started (`sleep`, its pid in sleep.pid). Each task writes its own pid to pid.
-- A SIGTERM, a SIGINT (Ctrl-C) or a SIGKILL to the sweep stops both tasks and the sleep
-- (each task runs in a process group of its own, which the sweep signals; a task whose sweep
-- was killed stops itself); none runs on, orphaned. While they run, their folders' locks
-- make `sweep status` say RUNNING.
write(dir .. "/slow.lua", [[
-- %% Parameters tags=["parameters"]
k = 1
-- %%
local task = os.getenv("TOPIARY_TASK_DIR")
local function put(name, text) local f = assert(io.open(task .. "/" .. name, "w")); f:write(text); f:close() end
put("pid", io.open("/proc/self/stat"):read("l"):match("^%d+"))
if k == 2 then
  os.execute("echo $$ > '" .. task .. "/sleep.tmp'; mv '" .. task .. "/sleep.tmp' '" .. task .. "/sleep.pid'; exec sleep 40")
else
  put("started", "")
  local t = os.time()
  while os.time() - t < 40 do end
end
]])
write(dir .. "/slow_sweep.lua", [[sweep{notebook = "slow.lua", out = "slow_runs", grid = {k = {1, 2}}}]])
local pids = {}   -- every process started here, killed at the end whatever happens
local function alive(pid) return os.execute("kill -0 " .. pid .. " 2>/dev/null") end
local function wait_until(cond, secs)
  local t = os.time()
  while not cond() and os.time() - t < secs do os.execute("sleep 0.1") end
  return cond()
end
local markers = {"k=1/started", "k=2/sleep.pid", "k=1/pid", "k=2/pid"}
-- Starts `sweep run slow_sweep.lua -j 2` in the background (`prefix` in front, e.g. nohup);
-- returns its pid once both tasks are under way, and the pids of the tasks and the sleep.
local function launch(prefix)
  for _, m in ipairs(markers) do os.remove(dir .. "/slow_runs/" .. m) end
  assert(os.execute("cd '" .. dir .. "' && (" .. (prefix or "") .. " '" .. bin .. "' sweep run slow_sweep.lua -j 2 > slow.log 2>&1 & echo $! > slow.pid)"))
  local pid = read(dir .. "/slow.pid"):match("%d+")
  pids[#pids + 1] = pid
  assert(wait_until(function()
    for _, m in ipairs(markers) do if not read(dir .. "/slow_runs/" .. m) then return false end end
    return true
  end, 20), "both tasks started: " .. (read(dir .. "/slow.log") or ""))
  local others = {}
  for _, m in ipairs({"k=1/pid", "k=2/pid", "k=2/sleep.pid"}) do
    others[#others + 1] = read(dir .. "/slow_runs/" .. m):match("%d+")
    pids[#pids + 1] = others[#others]
  end
  return pid, others
end
-- Sends `sig` to the sweep; checks that it ends and that the tasks and the sleep end too.
local function stop(pid, others, sig, what)
  assert(os.execute("kill -" .. sig .. " " .. pid))
  assert(wait_until(function() return not alive(pid) end, 20), what .. ": sweep run ended")
  for _, p in ipairs(others) do
    assert(wait_until(function() return not alive(p) end, 10), what .. ": process " .. p .. " of a task runs on after the sweep was stopped")
  end
end

local body = function()
  local pid, others = launch()
  ok, out = topiary("sweep status slow_sweep.lua")
  assert(out:find("2 tasks: 2 RUNNING", 1, true), out)
  ok, out = topiary("sweep task slow_sweep.lua --index 0")
  assert(ok and out:find("task 0 (k=1) is running in another process (its folder's lock is held); left as it is", 1, true), out)
  -- A second `sweep run` leaves the running tasks to the first, says so, and does not claim
  -- they finished: it exits 1 (not everything is done).
  ok, out = topiary("sweep run slow_sweep.lua")
  assert(not ok and out:find("2 tasks: 0 ran ok, 0 failed, 0 had finished before, 2 running in another process", 1, true), out)
  assert(out:find("  1 k=2\n", 1, true), out)
  stop(pid, others, "TERM", "SIGTERM")
  assert(read(dir .. "/slow.log"):find("stopped by signal 15 (SIGTERM): the running tasks were stopped; `sweep run` again resumes", 1, true),
         read(dir .. "/slow.log"))
  ok, out = topiary("sweep status slow_sweep.lua")
  assert(out:find("2 tasks: 2 failed", 1, true), "stopped tasks are failed, run again by a rerun: " .. out)

  pid, others = launch()
  stop(pid, others, "INT", "SIGINT")
  assert(read(dir .. "/slow.log"):find("stopped by signal 2 (SIGINT): the running tasks were stopped", 1, true), read(dir .. "/slow.log"))

  pid, others = launch()
  stop(pid, others, "KILL", "SIGKILL")

  -- Under nohup a SIGHUP is ignored: the sweep and its tasks go on.
  pid, others = launch("nohup")
  assert(os.execute("kill -HUP " .. pid))
  os.execute("sleep 1")
  assert(alive(pid) and alive(others[1]) and alive(others[3]), "nohup: a SIGHUP stopped the sweep: " .. read(dir .. "/slow.log"))
  stop(pid, others, "TERM", "SIGTERM under nohup")
end
local passed, err = pcall(body)
for _, p in ipairs(pids) do os.execute("kill -KILL " .. p .. " 2>/dev/null") end
if not passed then error(err, 0) end

os.execute("rm -rf '" .. dir .. "'")
print("sweep_local: ok")
