-- Topiary quickstart: the tensor API at work.
-- Run it with `topiary run Notebooks/quickstart.lua` (Scripts/demo does).

tensor.manual_seed(1)

-- Tensors from tables, constructors and seeded random numbers.
local a = tensor.new{{1, 2, 3}, {4, 5, 6}}
print("a =")
print(a)
print("shape", table.concat(a:shape(), " x "), "dtype", a:dtype())

-- Views share storage: narrowing then filling writes through.
local b = tensor.zeros(3, 4)
b:narrow(2, 2, 2):fill(7)
print("b after filling columns 2..3 with 7:")
print(b)

-- Broadcasting arithmetic and reductions over dims (1-based).
local x = tensor.randn(8, 16)
local z = (x - x:mean(1, true)) / x:std(1, true)
print(string.format("standardised columns: mean %.4f, std of column 1 %.4f",
  z:mean(), z:narrow(2, 1, 1):std()))

-- A toy pruning score: L2 norm of each "filter" (row) of a weight matrix.
local w = tensor.randn(6, 27)
local scores = w:norm(2, 2)
local best, idx = scores:max(1)
print("filter norms:")
print(scores)
print("strongest filter:", idx, "with norm", string.format("%.4f", best))

-- Matrix products go to OpenBLAS.
local m = tensor.randn(256, 128):matmul(tensor.randn(128, 64))
print("matmul result shape:", table.concat(m:shape(), " x "))
