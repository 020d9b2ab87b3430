-- Data readers and writers under hostile input: names that are not UTF-8 are refused
-- (never rewritten to U+FFFD, where two names could collide), oversized IDX headers
-- are refused before anything is inflated.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
local base = os.tmpname()

-- safetensors: tensor names and metadata must be UTF-8, on writing and reading.
local p = base .. ".safetensors"
check.raises(function() tensor.save_safetensors(p, {["a\xff"] = tensor.ones(1), ["a\xfe"] = tensor.ones(2)}) end,
  "is not valid UTF-8")
check.raises(function() tensor.save_safetensors(p, {["a\xff"] = tensor.ones(1)}) end,
  "bad argument #2 to 'save_safetensors' (tensor name \"a\\xff\" is not valid UTF-8)")
check.raises(function() tensor.save_safetensors(p, {a = tensor.ones(1)}, {["k\xc3"] = "v"}) end,
  "metadata key \"k\\xc3\" is not valid UTF-8")
check.raises(function() tensor.save_safetensors(p, {a = tensor.ones(1)}, {k = "\xe9t\xe9"}) end,
  "metadata value \"\\xe9t\\xe9\" is not valid UTF-8")
check.raises(function() nn.Linear(2, 2):save(p, {note = "\xff"}) end, "not valid UTF-8")
tensor.save_safetensors(p, {["caf\u{e9}"] = tensor.ones(1)}, {["k\u{e9}"] = "\u{2713}"})   -- real UTF-8 is fine
local w, meta = tensor.load_safetensors(p)
assert(w["caf\u{e9}"] and meta["k\u{e9}"] == "\u{2713}")
-- A file whose header holds raw non-UTF-8 bytes is refused on reading.
local header = '{"a\xff":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
local f = assert(io.open(p, "wb"))
f:write(string.pack("<I8", #header), header, string.pack("<f", 1)); f:close()
check.raises(function() tensor.load_safetensors(p) end, "UTF-8")
os.remove(p)

-- IDX: a header claiming more data than the file can hold, plain or gzip.
local function idx(path, dims, payload, gz)
  local out = assert(io.open(path, "wb"))
  out:write("\0\0\8" .. string.char(#dims))
  for _, d in ipairs(dims) do out:write(string.pack(">I4", d)) end
  out:write(payload); out:close()
  if gz then assert(os.execute("gzip -f '" .. path .. "'")) end
end
local d = base .. ".mnist"
assert(os.execute("mkdir -p '" .. d .. "'"))
idx(d .. "/train-images-idx3-ubyte", {2^31 - 1, 1, 1}, string.rep("\0", 4096), true)
idx(d .. "/train-labels-idx1-ubyte", {3}, "\1\2\3", true)
check.raises(function() data.mnist{root = d} end, "claims 2147483647 bytes of data, more than a")
idx(d .. "/train-images-idx3-ubyte", {3, 1, 1}, "\1\2\3" .. string.rep("\0", 8 << 20), true)
check.raises(function() data.mnist{root = d} end, "corrupt: 1 bytes after the 3 bytes of data")
idx(d .. "/train-images-idx3-ubyte", {3, 2, 2}, string.rep("\7", 12), true)
assert(#data.mnist{root = d} == 3)
assert(os.execute("rm -rf '" .. d .. "'"))
os.remove(base)

-- Transforms with hostile sizes are errors.
check.raises(function() data.random_crop(4, {padding = 1 << 40}) end, "too large")
