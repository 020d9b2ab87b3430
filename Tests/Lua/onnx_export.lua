-- net:export_onnx: the file it writes, its options and its errors (no Python needed; the
-- numerical check against onnxruntime is Tests/Interop/onnx_test.sh).
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
local dir = os.tmpname(); os.remove(dir); assert(os.execute("mkdir -p " .. dir))
local path = dir .. "/m.onnx"

local function read(p)
  local f = io.open(p, "rb"); if not f then return nil end
  local s = f:read("a"); f:close(); return s
end

tensor.manual_seed(3)
local net = nn.Sequential{nn.Conv2d(3, 4, 3, {padding = 1}), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)}
assert(net:export_onnx(path, {input = {1, 3, 8, 8}}) == net, "returns the net")
local bytes = assert(read(path), "file written")
assert(#bytes > 4 * (4 * 3 * 9 + 4 * 4 + 8 + 2), "weights are in the file: " .. #bytes .. " bytes")
-- Node types and names appear as protobuf strings.
for _, s in ipairs{"Conv", "BatchNormalization", "Relu", "GlobalAveragePool", "Flatten", "Gemm", "topiary", "1.weight"} do
  assert(bytes:find(s, 1, true), s .. " in the model")
end
local folded = dir .. "/folded.onnx"
net:export_onnx(folded, {input = {1, 3, 8, 8}, fold_bn = true, opset = 13, dynamic_batch = false})
assert(not read(folded):find("BatchNormalization", 1, true), "fold_bn folds the BatchNorm into the conv")

-- Errors: each names what is wrong, and the existing file stays as it was.
check.raises(function() net:export_onnx(path) end, "input shape is required", "no options")
check.raises(function() net:export_onnx(path, {input = {1, 3, 8, 8}, opset = 9}) end, "opset 9 is not supported")
check.raises(function() net:export_onnx(path, {input = {1, 3, 8, 8}, opsett = 17}) end, "unknown option 'opsett'")
check.raises(function() net:export_onnx(path, {input = {1, 5, 8, 8}}) end, "5 channels")
check.raises(function() net:export_onnx(path, {input = {3}}) end, "at least 2 positive sizes")
check.raises(function() net:export_onnx(path, {input = {1, 3, "x", 8}}) end, "shape entry 3")
local odd = nn.Sequential{nn.Conv2d(3, 2, 1), nn.AdaptiveAvgPool2d(3)}
local err = check.raises(function() odd:export_onnx(path, {input = {1, 3, 8, 8}}) end, "layer '1' (AdaptiveAvgPool2d)")
assert(err:find("nothing was written", 1, true), err)
assert(read(path) == bytes, "a failed export leaves the old file untouched")
local fresh = dir .. "/never.onnx"
check.raises(function() odd:export_onnx(fresh, {input = {1, 3, 8, 8}}) end, "no ONNX pooling")
assert(read(fresh) == nil, "a failed export writes no file")
check.raises(function() net:export_onnx(dir .. "/no/such/dir/m.onnx", {input = {1, 3, 8, 8}}) end, "cannot write")

-- Every zoo family exports (pruned nets are covered by Tests/Interop).
for _, name in ipairs{"resnet20", "vgg11", "googlenet", "mobilenetv2"} do
  local m = nn.zoo[name]{}
  m:export_onnx(dir .. "/" .. name .. ".onnx", {input = {1, 3, 32, 32}})
  assert(#read(dir .. "/" .. name .. ".onnx") > 100000, name)
end
os.execute("rm -rf " .. dir)
print("onnx_export ok")
