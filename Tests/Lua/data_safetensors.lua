-- safetensors from Lua: round trips with metadata, atomic writes, a file written by hand
-- from the spec, truncated/corrupt files, and the ResNet-56 exported from PyTorch.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p '" .. dir .. "'"))
local function read(path) local f = assert(io.open(path, "rb")); local s = f:read("a"); f:close() return s end
local function write(path, s) local f = assert(io.open(path, "wb")); f:write(s); f:close() end

-- Round trip, including an int64 scalar (num_batches_tracked) and a non-contiguous view.
local w = tensor.new{{1, 2, 3}, {4, 5, 6}}
local nbt = tensor.randperm(3)                             -- an int64 tensor
local path = dir .. "/m.safetensors"
tensor.save_safetensors(path, {["layer1.0.conv1.weight"] = w, ["t"] = w:t(), ["bn.num_batches_tracked"] = nbt},
  {arch = "toy", pruned = "{}"})
local got, meta = tensor.load_safetensors(path)
check.near(got["layer1.0.conv1.weight"], w, 0)
check.near(got["t"], {{1, 4}, {2, 5}, {3, 6}}, 0)
assert(got["bn.num_batches_tracked"]:dtype() == "int64")
check.near(got["bn.num_batches_tracked"], nbt, 0)
assert(meta.arch == "toy" and meta.pruned == "{}")
local raw = read(path)
local hlen = string.unpack("<I8", raw)
assert(hlen % 8 == 0, "header padded to a multiple of 8")
assert(raw:sub(9, 9) == "{")
-- Written atomically: no temporary file is left next to it.
local p = io.popen("ls '" .. dir .. "'"); local listing = p:read("a"); p:close()
assert(listing == "m.safetensors\n", listing)

-- A file written by hand from the spec: F16, BF16, F64 and I64 (two of them 0-d).
local function file(header, payload)
  header = header .. string.rep(" ", (8 - #header % 8) % 8)
  return string.pack("<I8", #header) .. header .. payload
end
local header = '{"h":{"dtype":"F16","shape":[3],"data_offsets":[24,30]},' ..
  '"b":{"dtype":"BF16","shape":[1],"data_offsets":[30,32]},' ..
  '"d":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},' ..
  '"i":{"dtype":"I64","shape":[1],"data_offsets":[16,24]},' ..
  '"l":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}'
local payload = string.pack("<i8", -9) .. string.pack("<d", 0.125) .. string.pack("<i8", 7)
  .. string.pack("<I2I2I2", 0x3C00, 0xC000, 0x3555) .. string.pack("<I2", 0x4049)
write(dir .. "/hand.safetensors", file(header, payload))
local h = tensor.load_safetensors(dir .. "/hand.safetensors")
check.near(h.h, {1, -2, 0.333251953125}, 0)                -- 0x3555 is the half nearest 1/3
check.near(h.b, {3.140625}, 0)                             -- bfloat16 0x4049
check.near(h.d, {0.125}, 0)
assert(h.i:dtype() == "int64" and h.i[1] == 7 and h.l:item() == -9)
write(dir .. "/size.safetensors", file(header:gsub('"shape":%[1%],"data_offsets":%[16', '"shape":[2],"data_offsets":[16'), payload))
check.raises(function() tensor.load_safetensors(dir .. "/size.safetensors") end,
  "tensor 'i' (I64 [2]) needs 16 bytes, its data_offsets [16, 24] hold 8")
write(dir .. "/overlap.safetensors", file(header:gsub("%[30,32%]", "[28,30]"), payload))
check.raises(function() tensor.load_safetensors(dir .. "/overlap.safetensors") end, "overlap")

-- Truncated and corrupt files: clear errors naming the file.
write(dir .. "/cut.safetensors", raw:sub(1, #raw - 3))
check.raises(function() tensor.load_safetensors(dir .. "/cut.safetensors") end, "cut.safetensors: truncated")
write(dir .. "/short.safetensors", raw:sub(1, 5))
check.raises(function() tensor.load_safetensors(dir .. "/short.safetensors") end, "too short for the 8-byte header length")
write(dir .. "/huge.safetensors", string.pack("<I8", 1 << 50) .. "{}")
check.raises(function() tensor.load_safetensors(dir .. "/huge.safetensors") end, "is implausible")
write(dir .. "/json.safetensors", string.pack("<I8", 8) .. "{\"a\":1,}")
check.raises(function() tensor.load_safetensors(dir .. "/json.safetensors") end, "corrupt header")
check.raises(function() tensor.load_safetensors(dir .. "/absent.safetensors") end, "absent.safetensors: no such file")
check.raises(function() tensor.save_safetensors(path, {w = 3}) end, "value of 'w' must be a tensor, got number")
check.raises(function() tensor.save_safetensors(path, {w}) end, "keys must be strings")
check.raises(function() tensor.save_safetensors(path, {w = w}, {n = 1}) end, "metadata must map strings to strings")
check.raises(function() tensor.save_safetensors(dir .. "/no/dir/x.safetensors", {w = w}) end, "cannot write")
check.near(tensor.load_safetensors(path)["layer1.0.conv1.weight"], w, 0, "a failed save leaves the old file")

-- The ResNet-56 exported from PyTorch (values from numpy over the same file).
local bench = "/work/shared/bench/resnet56_seed0.safetensors"
local fb = io.open(bench, "rb")
if fb then
  fb:close()
  local sd, m = tensor.load_safetensors(bench)
  local n = 0
  for _ in pairs(sd) do n = n + 1 end
  assert(n == 332, n)
  check.same(sd["conv1.weight"]:shape(), {16, 3, 3, 3})
  check.near(sd["conv1.weight"]:view(-1):narrow(1, 1, 3), {-0.34289073944091797, -0.09091194719076157, -0.2433082014322281}, 0)
  check.near(sd["linear.bias"]:sum(), -0.14435702562332153, 1e-6)
  assert(sd["layer3.8.bn2.num_batches_tracked"]:dtype() == "int64")
  assert(m.info:find("resnet56", 1, true))
else
  print("skip: " .. bench .. " not present")
end

os.execute("rm -rf '" .. dir .. "'")
