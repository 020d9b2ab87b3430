-- Seeded fuzz test of every tensor binding: each function of the `tensor` table and
-- each metamethod of tensors, called thousands of times with random arguments (nil,
-- booleans, integers small and huge, NaN, infinities, strings, empty/nested/cyclic
-- tables, functions, and tensors of random small shapes: 0-size, 0-d, int64,
-- non-contiguous views, expanded views, closed tensors). The process must never crash
-- and every failure must be a Lua error with a string message.
-- Every path it passes is inside a fresh temporary directory (removed at the end), and
-- the test checks that the working directory (the checkout) gained no file.
local seed = tonumber(arg and arg[1]) or 20261122
local calls = tonumber(arg and arg[2]) or 150000
local trace = arg and arg[3] == "trace"      -- prints each call before making it
math.randomseed(seed)
tensor.manual_seed(seed)

local function listing(dir)
  local h = io.popen("ls -A '" .. dir .. "'")
  local names = h:read("a"); h:close()
  return names
end
local cwd_before = listing(".")
local tmp = os.tmpname()
os.remove(tmp)
assert(os.execute("mkdir '" .. tmp .. "'"))
local npy = tmp .. "/fuzz.npy"
local st = tmp .. "/fuzz.safetensors"
local threads = tensor.get_num_threads()

local function pick(list) return list[math.random(#list)] end

local ints = {0, 1, 2, 3, -1, -2, 4, 1, 2, 1, 2, 3, math.maxinteger, math.mininteger, 1 << 33, 1 << 40, 1 << 62, -(1 << 62)}
-- (no sizes between 5 and 2^33: they would be legal and slow)
local floats = {0.5, -2.5, 0 / 0, 1 / 0, -1 / 0, 1e300, -1e300, 1e-300, 2.0, -0.0, 3.7}
-- (strings double as paths: all of them name places inside the temporary directory)
local strings = {"", tmp .. "/abc", npy, npy, st, "/nonexistent-dir/fuzz.npy", tmp .. "/\0", tmp .. "/1", tmp .. "/"}

-- A random small tensor, often a view.
local function rtensor(depth)
  local rank = math.random(0, 4)
  local shape = {}
  for i = 1, rank do shape[i] = math.random() < 0.15 and 0 or math.random(1, 3) end
  local t
  local r = math.random()
  if r < 0.4 then t = tensor.randn(shape)
  elseif r < 0.55 then t = (tensor.rand(shape) * 10 - 5):round():long()
  elseif r < 0.65 then t = tensor.full(shape, pick(floats))
  elseif r < 0.72 then t = tensor.zeros(shape)
  elseif r < 0.80 then t = tensor.ones(shape):long()                     -- valid 1-based indices
  else
    local n = 1
    for i = 1, rank do n = n * shape[i] end
    t = tensor.arange(n):reshape(shape)
  end
  -- views over the same storage
  local v, d = math.random(10), t:dim()
  if v == 1 and d >= 2 then t = t:transpose(1, d)
  elseif v == 2 and d >= 1 and t:size(1) >= 1 then t = t:narrow(1, 1, math.random(0, t:size(1)))
  elseif v == 3 and d >= 1 and t:size(1) >= 1 then t = t:select(1, math.random(1, t:size(1)))
  elseif v == 4 then
    local s = t:shape()
    s[#s + 1] = 1
    t = t:reshape(s)
    s[#s] = 3
    t = t:expand(s)                                                     -- a stride-0 view
  elseif v == 5 and d >= 3 then
    local p = {3, 1, 2}
    for i = 4, d do p[i] = i end
    t = t:permute(table.unpack(p))
  elseif v == 6 and math.random() < 0.2 then
    local c = t:clone(); getmetatable(c).__close(c); t = c            -- a closed tensor
  end
  return t
end

local function rtable(depth)
  local r = math.random(10)
  if r >= 9 then r = 6 end
  if r == 1 then return {} end
  if r == 2 then return {math.random(-3, 3), math.random(-3, 3)} end
  if r == 3 then return {{1, 2}, {3, 4}} end
  if r == 4 then return {1, {2}} end
  if r == 5 then local c = {}; c[1] = c; return c end                  -- cyclic
  if r == 6 then                                                     -- for cat/stack
    local t = rtensor(depth + 1)
    return math.random() < 0.5 and {t, t} or {t, rtensor(depth + 1)}
  end
  if r == 7 then return {a = 1, [2] = 0 / 0} end
  return {{{{pick(floats)}}}}
end

local function rvalue(depth)
  depth = depth or 0
  local r = math.random(100)
  if r <= 8 then return nil end
  if r <= 12 then return math.random() < 0.5 end
  if r <= 32 then return pick(ints) end
  if r <= 42 then return pick(floats) end
  if r <= 48 then return pick(strings) end
  if r <= 58 and depth < 2 then return rtable(depth) end
  if r <= 59 then return print end
  if r <= 60 then return io.stdout end                                -- a foreign userdata
  return rtensor(depth)
end

-- Valid argument lists for functions that random arguments rarely satisfy; the fuzz
-- mutates them (one argument replaced by a random value) to reach deep code paths.
local function square3() local n = math.random(0, 3); return tensor.randn(math.random(0, 2), n, n) end
local valid = {
  ["tensor.gather"] = function() local x = tensor.randn(2, 3); return {x, math.random(1, 2), tensor.ones(2, 2):long()} end,
  ["tensor.index_select"] = function() return {tensor.randn(3, 2), 1, {3, 1}} end,
  ["tensor.bmm"] = function() local x = square3(); return {x, x} end,
  ["tensor.matmul"] = function() local x = square3(); return {x, x} end,
  ["tensor.cat"] = function() local x = rtensor(0); return {{x, x}, 1} end,
  ["tensor.stack"] = function() local x = rtensor(0); return {{x, x}, 1} end,
  ["tensor.linspace"] = function() return {0, 1, math.random(0, 5)} end,
  ["tensor.narrow"] = function() return {tensor.randn(3, 4), 2, 2, 2} end,
  ["tensor.select"] = function() return {tensor.randn(3, 4), 1, 3} end,
  ["tensor.topk"] = function() return {tensor.randn(3, 4), 2, 2, false} end,
  ["tensor.sort"] = function() return {tensor.randn(3, 4), 1, true} end,
  ["tensor.view"] = function() return {tensor.randn(3, 4), 2, -1} end,
  ["tensor.expand"] = function() return {tensor.randn(3, 1), 3, 4} end,
  ["tensor.full"] = function() return {2, 3, 1.5} end,
  ["tensor.load"] = function() return {npy} end,
  ["tensor.save"] = function() return {rtensor(0), npy} end,
  ["tensor.save_safetensors"] = function() return {st, {w = rtensor(0), b = rtensor(0)}, {arch = "x"}} end,
  ["tensor.load_safetensors"] = function() return {st} end,
  ["tensor.dwt2"] = function() return {tensor.randn(2, 5, 7), pick{"haar", "db2", "sym3"}, {mode = pick{"symmetric", "zero", "periodization"}}} end,
  ["tensor.wavedec2"] = function() return {tensor.randn(2, 8, 8), "haar", math.random(0, 3)} end,
  ["tensor.idwt2"] = function() return {tensor.randn(3, 5, 6):dwt2("db2"), "db2"} end,
  ["tensor.waverec2"] = function() return {tensor.randn(2, 9, 8):wavedec2("haar", 2), "haar"} end,
  ["tensor.dbscan"] = function() return {tensor.randn(6, 2), {eps = 1, min_samples = 2}} end,
  ["tensor.kmeans"] = function() return {tensor.randn(12, 2), 2, {seed = 1}} end,
  ["tensor.index_fill"] = function() return {tensor.randn(3, 2), math.random(1, 2), {2, 1}, pick{0, 1 << 62, 2.5}} end,
  ["tensor.scatter"] = function() return {tensor.zeros(3, 4), math.random(1, 2), tensor.ones(2, 2):long(), pick{1, tensor.randn(2, 3)}} end,
  ["tensor.spearman"] = function() return {tensor.randn(5), tensor.randn(5)} end,
  ["__newindex"] = function()
    local x = tensor.randn(3, 4)
    return math.random() < 0.5 and {x, 2, tensor.ones(4)} or {x, x:gt(0), pick{0, x[x:gt(0)]}}
  end,
  ["__index"] = function() local x = tensor.randn(3, 4); return {x, pick{-1, x:lt(0)}} end,
}

-- Every function of the module and every metamethod, in a fixed order.
local targets = {}
for name, f in pairs(tensor) do
  if type(f) == "function" then targets[#targets + 1] = {"tensor." .. name, f} end
end
for name, f in pairs(getmetatable(tensor.zeros(1))) do
  if type(f) == "function" then targets[#targets + 1] = {name, f} end
end
table.sort(targets, function(a, b) return a[1] < b[1] end)
assert(#targets > 100, "found " .. #targets .. " functions")

local writes = {["tensor.save"] = true, ["tensor.save_safetensors"] = true}
local scratch = tmp .. "/fuzz-scratch"
local failures, successes = 0, 0
local per = {}
local start = os.clock()
local function fuzz()
  for k = 1, calls do
    local target = targets[(k - 1) % #targets + 1]        -- every function, in turn
    local n = math.random(0, 5)
    local args = {}
    if valid[target[1]] and math.random() < 0.5 then
      args = valid[target[1]]()
      n = #args
      if math.random() < 0.7 then args[math.random(n)] = rvalue() end
    else
      for i = 1, n do
        -- sometimes repeat an earlier argument (x:bmm(x), x:add(x), ...)
        if i > 1 and math.random() < 0.15 then args[i] = args[math.random(i - 1)] else args[i] = rvalue() end
      end
      local first = math.random()
      if first < 0.6 then args[1] = rtensor(0); n = math.max(n, 1)
      elseif first < 0.7 then args[1] = rtable(0); n = math.max(n, 1)
      elseif first < 0.73 then args[1] = npy; n = math.max(n, 1) end  -- tensor.load of a saved file
    end
    -- functions that write files get paths beside the temporary file, never random ones
    -- (a random string like "1" would otherwise create a file in the working directory)
    if writes[target[1]] then
      for i = 1, n do if type(args[i]) == "string" and args[i] ~= npy and args[i] ~= st then args[i] = scratch end end
    end
    if trace then
      local d = {}
      for i = 1, n do
        local a = args[i]
        local ok, shape = pcall(function() return "tensor{" .. table.concat(a:shape(), ",") .. "}" .. a:dtype() end)
        d[i] = ok and shape or (type(a) == "string" and string.format("%q", a))
               or select(2, pcall(tostring, a))
      end
      io.stderr:write(k, " ", target[1], "(", table.concat(d, ", "), ")\n")
    end
    local ok, err = pcall(target[2], table.unpack(args, 1, n))
    if ok then
      successes = successes + 1
      per[target[1]] = true
    else
      failures = failures + 1
      if type(err) ~= "string" or err == "" then
        error(string.format("%s: error value is a %s, not a message (call %d)", target[1], type(err), k))
      end
    end
    if target[1] == "tensor.set_num_threads" then tensor.set_num_threads(threads) end
    if k % 500 == 0 then collectgarbage() end
  end
end

-- run, then restore the thread count and remove the files, even after a failure
local ok, err = xpcall(fuzz, debug.traceback)
tensor.set_num_threads(threads)
assert(os.execute("rm -rf '" .. tmp .. "'"))
if not ok then error(err, 0) end
assert(listing(".") == cwd_before, "the fuzz test wrote into the working directory")

-- every binding succeeded at least once with some arguments (the generator reaches them)
local never = {}
for _, t in ipairs(targets) do
  if not per[t[1]] and t[1] ~= "__close" and t[1] ~= "__gc" then never[#never + 1] = t[1] end
end
assert(#never == 0, "never succeeded: " .. table.concat(never, ", "))

-- and the interpreter is fine afterwards
collectgarbage()
assert(tensor.new{{1, 2}, {3, 4}}:sum() == 10)
print(string.format("tensor_fuzz: ok (%d functions, %d calls: %d errors, %d successes, %.1f s)",
  #targets, calls, failures, successes, os.clock() - start))
