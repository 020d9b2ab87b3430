-- Weights exported from PyTorch load into the zoo model by state_dict name, and the
-- logits match PyTorch's (../shared/bench/resnet56_seed0_check.json) within 1e-4 relative.
local path = "../shared/bench/resnet56_seed0.safetensors"
local f = io.open(path, "rb")
if not f then print("nn_pytorch_weights: skipped (" .. path .. " not found)") return end
f:close()

local net = nn.zoo.resnet56{classes = 10}
net:load(path)
net:eval()
-- x[n,c,h,w] = sin(0.01 * (n*3072 + c*1024 + h*32 + w)), as the check file says
local x = tensor.zeros(2, 3, 32, 32)
local flat = x:view(-1)
for i = 1, 2 * 3 * 32 * 32 do flat[i] = math.sin(0.01 * (i - 1)) end
local y = net:forward(x)
local expected = {
  {-12464.1787109375, -6098.48486328125, 6665.1103515625, 5813.4130859375, 1668.3648681640625,
   -4861.95849609375, -4083.006103515625, 7813.76953125, 5269.00048828125, -3337.83740234375},
  {-12174.7861328125, -5946.9384765625, 6522.11181640625, 5683.10791015625, 1668.8980712890625,
   -4800.115234375, -4071.281982421875, 7717.5546875, 4956.24951171875, -3285.4970703125},
}
local e = tensor.new(expected)
local rel = ((y - e):abs() / e:abs()):max()
assert(rel < 1e-4, "logits differ from PyTorch's by " .. rel .. " (relative)")
print(string.format("nn_pytorch_weights: ok (max relative difference %.2e)", rel))
