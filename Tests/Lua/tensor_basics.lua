-- Tensor basics from Lua: construction, views sharing storage, 1-based indexing,
-- broadcasting, reductions, and the error messages of bad calls.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

-- construction
local a = tensor.new{{1, 2, 3}, {4, 5, 6}}
check.same(a:shape(), {2, 3})
assert(a:dim() == 2 and a:numel() == 6 and a:dtype() == "float32")
assert(a[2][3] == 6 and a[-1][1] == 4, "1-based and negative indexing")
assert(#a == 2)
check.same(tensor.zeros{4, 5}:shape(), {4, 5})
check.same(tensor.full(2, 2, 7):totable()[2], {7, 7})
check.near(tensor.arange(4), {0, 1, 2, 3})
check.near(tensor.linspace(0, 1, 5), {0, 0.25, 0.5, 0.75, 1})
check.near(tensor.eye(2), {{1, 0}, {0, 1}})

-- views share storage
local b = tensor.zeros(3, 4)
b:narrow(2, 2, 2):fill(7)
check.near(b[1], {0, 7, 7, 0})
b[3] = 1
check.near(b[3], {1, 1, 1, 1})
local v = b:view(-1)
v[1] = 5
assert(b[1][1] == 5, "view writes through")
local t = a:t()
check.same(t:shape(), {3, 2})
assert(not t:is_contiguous())
check.near(t:contiguous(), {{1, 4}, {2, 5}, {3, 6}})
check.near(a:permute(2, 1), t)
check.same(a:unsqueeze(1):shape(), {1, 2, 3})
check.same(a:unsqueeze(1):squeeze():shape(), {2, 3})
check.same(tensor.ones(3, 1):expand(3, 4):shape(), {3, 4})

-- broadcasting and numbers on either side
check.near(a + tensor.new{10, 20, 30}, {{11, 22, 33}, {14, 25, 36}})
check.near(1 - a, {{0, -1, -2}, {-3, -4, -5}})
check.near(a / 2, {{0.5, 1, 1.5}, {2, 2.5, 3}})
check.near(a ^ 2, {{1, 4, 9}, {16, 25, 36}})
check.near(-a, a * -1)
check.near(a:gt(3), {{0, 0, 0}, {1, 1, 1}})
check.near(tensor.where(a:gt(3), a, 0), {{0, 0, 0}, {4, 5, 6}})
check.near(a:masked_select(a:ge(5)), {5, 6})

-- non-contiguous inputs to element-wise ops
check.near(t + t, (a + a):t())
check.near(t:exp():log(), t, 1e-5)

-- reductions
assert(a:sum() == 21)
check.near(a:sum(1), {5, 7, 9})
check.near(a:sum(2, true), {{6}, {15}})
check.near(a:mean{1, 2}, 3.5)
local mx, mi = a:max(2)
check.near(mx, {3, 6})
assert(mi:dtype() == "int64" and mi[1] == 3 and mi[2] == 3, "max indices are 1-based")
assert(a:argmin() == 1)
check.near(a:norm(1, 2), {6, 15})
check.near(a:var(2), {1, 1})
check.near(a:std(2, false), {math.sqrt(2 / 3), math.sqrt(2 / 3)})
check.near(t:sum(1), {6, 15})   -- non-contiguous input
check.near(a:cumsum(2), {{1, 3, 6}, {4, 9, 15}})

-- matmul through BLAS, including a transposed view
check.near(a:matmul(t), {{14, 32}, {32, 77}})
check.near(t:matmul(a), {{17, 22, 27}, {22, 29, 36}, {27, 36, 45}})

-- seeded generator
tensor.manual_seed(42); local r1 = tensor.randn(5)
tensor.manual_seed(42); local r2 = tensor.randn(5)
check.near(r1, r2, 0)

-- errors read like Lua's own, and the interpreter goes on
check.raises(function() a:narrow(2, nil, 1) end, "bad argument #2 to 'narrow' (number expected, got nil)")
check.raises(function() return tensor.ones(3, 4) + tensor.ones(5) end, "add: shapes [3, 4] and [5] cannot broadcast")
check.raises(function() return a:sum(3) end, "dimension 3 out of range")
check.raises(function() return a[3] end, "index 3 out of range")
check.raises(function() return a:view(4, 2) end, "invalid for input of size 6")
check.raises(function() return tensor.new{{1, 2}, {3}} end, "ragged")
check.raises(function() return tensor.zeros(-1) end, "invalid size")
check.raises(function() return a:matmul(a) end, "cannot be multiplied")
do
  local c <close> = tensor.ones(2)
  assert(c:sum() == 2)
  getmetatable(c).__close(c)
  check.raises(function() return c:sum() end, "closed")
end

print("tensor_basics: ok")
