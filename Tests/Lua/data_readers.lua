-- Dataset readers from Lua: IDX and CIFAR files written here in the real formats,
-- the Debian Fashion-MNIST package when installed, and the errors of bad files and paths.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p '" .. dir .. "'"))
local function write(name, s)
  local f = assert(io.open(dir .. "/" .. name, "wb")); f:write(s); f:close()
end
local function be32(n) return string.char(n >> 24 & 255, n >> 16 & 255, n >> 8 & 255, n & 255) end
local function bytes(n, f) local t = {} for i = 1, n do t[i] = string.char(f(i)) end return table.concat(t) end

-- MNIST layout: 4 images 2×3 whose pixel k of image i is 10i + k, labels 3, 1, 4, 1.
local pixels = bytes(24, function(j) local i, k = (j - 1) // 6, (j - 1) % 6 return 10 * i + k end)
write("train-images-idx3-ubyte", "\0\0\8\3" .. be32(4) .. be32(2) .. be32(3) .. pixels)
write("train-labels-idx1-ubyte", "\0\0\8\1" .. be32(4) .. "\3\1\4\1")
local ds = data.mnist{root = dir}
assert(#ds == 4, "4 samples")
check.same(ds:shape(), {1, 2, 3})
local x, y = ds:get(2)
assert(y == 1 and math.type(y) == "integer", "labels are 0-based integer class ids")
check.same(x:shape(), {1, 2, 3})
check.near(x:view(-1), {10 / 255, 11 / 255, 12 / 255, 13 / 255, 14 / 255, 15 / 255}, 1e-7)
local pair = ds[-1]                                  -- ds[i] gives {image, label}
assert(pair[2] == 1 and pair[1]:shape()[1] == 1)
assert(ds:classes()[4] == "3", "class id 3 is classes()[4]")
assert(tostring(ds):find("data.Dataset mnist: 4 samples of [1, 2, 3], 10 classes", 1, true))
local sub = ds:subset(2, 3)
assert(#sub == 2 and select(2, sub:get(1)) == 1 and select(2, sub:get(2)) == 4)
local picked = ds:subset{4, 1}
assert(select(2, picked:get(2)) == 3)
local all_x, all_y = ds:tensors()
check.same(all_x:shape(), {4, 1, 2, 3})
assert(all_y:dtype() == "int64")
check.near(all_y, {3, 1, 4, 1})
check.raises(function() ds:get(5) end, "sample 5 out of range (dataset has 4)")
check.raises(function() ds:subset(3, 2) end, "end 2 is before start 3")

-- Bad files: truncated data, bad magic, labels out of range, counts that disagree.
write("train-images-idx3-ubyte", "\0\0\8\3" .. be32(4) .. be32(2) .. be32(3) .. pixels:sub(1, 20))
check.raises(function() data.mnist{root = dir} end, "truncated: shape [4, 2, 3] needs 24 bytes of data, the file has 20")
write("train-images-idx3-ubyte", "PK\3\4" .. pixels)
check.raises(function() data.mnist{root = dir} end, "bad magic number 50 4b 03 04 (not an IDX file")
write("train-images-idx3-ubyte", "\0\0\8\3" .. be32(4) .. be32(2) .. be32(3) .. pixels)
write("train-labels-idx1-ubyte", "\0\0\8\1" .. be32(4) .. "\3\1\12\1")
check.raises(function() data.mnist{root = dir} end, "label 12 of sample 3 is outside 0..9")
write("train-labels-idx1-ubyte", "\0\0\8\1" .. be32(3) .. "\3\1\4")
check.raises(function() data.mnist{root = dir} end, "has 4 images but")

-- CIFAR-10 test batch: 2 records, label byte + R, G, B planes.
local function record(label, v) return string.char(label) .. string.rep(string.char(v), 1024)
  .. string.rep(string.char(v + 1), 1024) .. string.rep(string.char(v + 2), 1024) end
write("test_batch.bin", record(7, 100) .. record(0, 200))
local c10 = data.cifar10{split = "test", root = dir}
assert(#c10 == 2)
local cx, cy = c10:get(1)
assert(cy == 7 and c10:classes()[8] == "horse")
check.same(cx:shape(), {3, 32, 32})
check.near(cx:mean{2, 3}:view(-1), {100 / 255, 101 / 255, 102 / 255}, 1e-6)
write("test_batch.bin", record(7, 100):sub(1, 3000))
check.raises(function() data.cifar10{split = "test", root = dir} end,
  "3000 bytes is not a whole number of 3073-byte records")
write("test.bin", string.char(3) .. record(42, 9))
local c100 = data.cifar100{split = "test", root = dir}
assert(select(2, c100:get(1)) == 42)
assert(select(2, data.cifar100{split = "test", root = dir, label = "coarse"}:get(1)) == 3)

-- Missing paths say where they looked and how to get the default; bad options are named.
check.raises(function() data.fashion_mnist{root = dir .. "/nothing"} end, "looked in " .. dir .. "/nothing")
check.raises(function() data.fashion_mnist{root = dir .. "/nothing"} end, "apt-get install dataset-fashion-mnist")
check.raises(function() data.cifar10{root = dir} end, "cannot find the CIFAR-10 train batch (data_batch_1.bin)")
check.raises(function() data.mnist{split = "valid"} end, "field 'split': expected one of train, test, got 'valid'")
check.raises(function() data.mnist{splt = "test"} end, "unknown option 'splt'")
check.raises(function() data.cifar100{root = dir, label = "medium"} end, "field 'label': expected one of fine, coarse")
check.raises(function() data.tensor_dataset(tensor.zeros(3, 2), tensor.zeros(4)) end, "inputs have 3 samples")

-- The real Fashion-MNIST (Debian's dataset-fashion-mnist), when installed.
local f = io.open("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", "rb")
if f then
  f:close()
  local test = data.fashion_mnist{split = "test"}
  assert(#test == 10000)
  check.same(test:shape(), {1, 28, 28})
  local labels = {}
  for i = 1, 10 do labels[i] = select(2, test:get(i)) end
  check.same(labels, {9, 2, 1, 1, 6, 1, 4, 6, 5, 7})      -- numpy over the same file
  check.near(test:get(1):sum() * 255, 33456, 0.05)
  assert(test:classes()[10] == "Ankle boot")
  -- datasets' pixels count for the collector: 80 copies of 7.8 MB never pile up (each used to
  -- stay until a collection that only tensors' bytes would trigger)
  collectgarbage(); collectgarbage()
  local base, peak = tensor.memory().external, 0
  for _ = 1, 80 do
    local copy = test:subset(1, 10000)
    peak = math.max(peak, tensor.memory().external - base)
  end
  assert(peak < 400 * 1024 * 1024, "pixels held at most " .. peak .. " bytes")
  test = nil
  collectgarbage(); collectgarbage()
  assert(tensor.memory().external < base, "a collected dataset gives its bytes back")
else
  print("skip: dataset-fashion-mnist is not installed")
end

os.execute("rm -rf '" .. dir .. "'")
