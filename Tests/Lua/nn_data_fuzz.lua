-- Seeded fuzz test of the nn constructors, nn.load's architecture metadata and the data
-- readers with hostile sizes (0, negative, 2^31, 2^40, math.maxinteger, NaN, ...). The
-- process must never crash; every failure is a Lua error with a message. All files
-- live in a fresh temporary directory; the working directory must gain nothing.
local seed = tonumber(arg and arg[1]) or 20261130
local rounds = tonumber(arg and arg[2]) or 3000
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

local errors, built = 0, 0
local function try(f, ...)
  local ok, err = pcall(f, ...)
  if ok then built = built + 1; return err end
  errors = errors + 1
  assert(type(err) == "string" and err ~= "", "error value is not a message: " .. tostring(err))
end

local function pick(list) return list[math.random(#list)] end
-- (no size that is legal on its own but huge, like 2^31: a BatchNorm2d(2^31) is legal
-- and would allocate 3 x 8 GB; two of 65536 / 100000 multiplied are past the limit)
local sizes = {0, 1, 2, 3, 4, -1, -3, 2^40, 1 << 33, 1 << 62, math.maxinteger, math.mininteger,
               0 / 0, 1 / 0, 1.5, 65536, 100000, 4e12}
local function rsize() return math.random() < 0.5 and math.random(1, 4) or pick(sizes) end
local function rvalue()
  local r = math.random(12)
  if r <= 6 then return rsize() end
  if r == 7 then return nil end
  if r == 8 then return {rsize(), rsize()} end
  if r == 9 then return {padding = rsize(), stride = rsize(), groups = rsize(), dilation = rsize()} end
  if r == 10 then return pick{true, false, "x", tmp .. "/x"} end
  if r == 11 then return {nn.ReLU(), try(nn.Linear, rsize(), 2) or nn.Identity()} end
  return nn.Sequential{nn.ReLU()}
end

-- 1. Every nn constructor with hostile sizes; a module that builds gets a random forward.
local ctors = {}
for name, f in pairs(nn) do
  if type(f) == "function" and name ~= "load" and name ~= "set_grad_enabled" then ctors[#ctors + 1] = name end
end
table.sort(ctors)
local function fuzz_constructors()
  for k = 1, rounds do
    local name = ctors[(k - 1) % #ctors + 1]
    local m = try(nn[name], rvalue(), rvalue(), rvalue(), rvalue())
    if nn.is_module(m) and math.random() < 0.3 then
      local shape = {}
      for i = 1, math.random(1, 4) do shape[i] = math.random(0, 3) end
      try(m.forward, m, tensor.randn(shape))
      try(tostring, m)
    end
  end
end

-- 2. nn.load of files whose architecture metadata has hostile numbers or structure.
local spec = nn.Sequential{nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2),
  nn.Residual(nn.Sequential{nn.ReLU()}), nn.MaxPool2d(2), nn.Dropout(0.5)}:spec()
local function mutate(s)
  local r = math.random(5)
  if r == 1 then      -- a number replaced by a hostile one
    local n, target = 0, nil
    for _ in s:gmatch("%d+") do n = n + 1 end
    target = math.random(n)
    local i = 0
    return (s:gsub("%d+", function(d) i = i + 1; if i == target then return string.format("%.17g", pick(sizes)) end end))
  elseif r == 2 then return s:sub(1, math.random(0, #s))                        -- truncated
  elseif r == 3 then return s:gsub('"Conv2d"', '"' .. pick{"Linear", "Sequential", "Nope", ""} .. '"', 1)
  elseif r == 4 then
    local depth = pick{10, 130, 600, 5000}
    return string.rep('{"class":"Sequential","type":"Sequential","children":[["0",', depth) .. s .. string.rep("]]}", depth)
  end
  return s:gsub('"children":%[', '"children":[["x",' .. s .. "],", 1)          -- nested copies
end
local function fuzz_load()
  local path = tmp .. "/m.safetensors"
  for _ = 1, rounds // 10 do
    local json = spec
    for _ = 1, math.random(1, 3) do json = mutate(json) end
    tensor.save_safetensors(path, {}, {["topiary.model"] = json, ["topiary.format"] = "model"})
    try(nn.load, path)
    try(nn.from_spec, json)
  end
end

-- 3. Data readers with hostile header sizes: IDX (plain and gzip), npy, safetensors.
local function idx(path, dims, payload)
  local f = assert(io.open(path, "wb"))
  f:write("\0\0" .. string.char(pick{8, 8, 9, 11, 12, 13, 14, 7}, #dims))
  for _, d in ipairs(dims) do f:write(string.pack(">I4", d)) end
  f:write(payload); f:close()
end
local u32 = {0, 1, 2, 3, 28, 60000, 2^31 - 1, 2^31, 2^32 - 1}
local function fuzz_readers()
  local root = tmp .. "/mnist"
  assert(os.execute("mkdir -p '" .. root .. "'"))
  for _ = 1, rounds // 30 do
    for _, part in ipairs{"train-images-idx3-ubyte", "train-labels-idx1-ubyte"} do
      local dims = {}
      for i = 1, math.random(0, 4) do dims[i] = pick(u32) end
      local path = root .. "/" .. part
      os.remove(path); os.remove(path .. ".gz")
      idx(path, dims, string.rep("\1", math.random(0, 64)))
      if math.random() < 0.5 then os.execute("gzip -f '" .. path .. "'") end
    end
    try(data.mnist, {root = root})
    -- npy with a hostile shape
    local shape = {}
    for i = 1, math.random(0, 3) do shape[i] = string.format("%d", pick(u32) * pick{1, 1, 65536, -1}) end
    local header = "{'descr': '" .. pick{"<f4", "<i8", "|u1", "<f8"} .. "', 'fortran_order': False, 'shape': ("
      .. table.concat(shape, ", ") .. (#shape == 1 and "," or "") .. "), }"
    local f = assert(io.open(tmp .. "/h.npy", "wb"))
    f:write("\x93NUMPY\1\0", string.pack("<I2", #header + 1), header, "\n", string.rep("\0", math.random(0, 32)))
    f:close()
    try(tensor.load, tmp .. "/h.npy")
    -- safetensors with hostile shapes and offsets
    local n = pick(u32)
    local st = '{"a":{"dtype":"' .. pick{"F32", "I64", "U8", "BF16"} .. '","shape":[' .. pick(u32) .. "," .. pick(u32)
      .. '],"data_offsets":[0,' .. n .. "]}}"
    f = assert(io.open(tmp .. "/h.safetensors", "wb"))
    f:write(string.pack("<I8", #st), st, string.rep("\0", math.random(0, 32))); f:close()
    try(tensor.load_safetensors, tmp .. "/h.safetensors")
  end
end

local start = os.clock()
local ok, err = xpcall(function() fuzz_constructors(); fuzz_load(); fuzz_readers() end, debug.traceback)
collectgarbage(); collectgarbage()
assert(os.execute("rm -rf '" .. tmp .. "'"))
if not ok then error(err, 0) end
assert(listing(".") == cwd_before, "the fuzz test wrote into the working directory")
assert(built > rounds // 10 and errors > rounds // 10, string.format("%d built, %d errors", built, errors))
assert(nn.Linear(3, 2):forward(tensor.ones(1, 3)):shape()[2] == 2)
print(string.format("nn_data_fuzz: ok (%d calls built, %d errors, %.1f s)", built, errors, os.clock() - start))
