-- topk, sort, index_select, gather, cat, stack and the *_like constructors from Lua:
-- 1-based indices in and out, ties, NaN, non-contiguous inputs, and their errors.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
local nan = 0 / 0

local x = tensor.new{{3, 1, 2, 1}, {nan, 5, -1, 5}}

-- sort: stable, 1-based int64 indices, NaN last ascending / first descending
local v, i = x:sort(2)
check.near(v[1], {1, 1, 2, 3})
assert(i:dtype() == "int64")
check.same(i:totable()[1], {2, 4, 3, 1}, "ties keep index order")
check.same(i:totable()[2], {3, 2, 4, 1}, "NaN sorts last")
assert(v[2][4] ~= v[2][4], "NaN value at the end")
v, i = x:sort(2, true)
check.same(i:totable()[1], {1, 3, 2, 4})
check.same(i:totable()[2], {1, 2, 4, 3}, "NaN first when descending")
-- default dim is the last; sorting along dim 1 of a transposed view
check.same(select(2, x:sort()):totable()[1], {2, 4, 3, 1})
local t = tensor.new{{5, 0}, {1, 4}, {3, 2}}:t()          -- {{5, 1, 3}, {0, 4, 2}}
assert(not t:is_contiguous())
v, i = t:sort(2)
check.near(v, {{1, 3, 5}, {0, 2, 4}})
check.same(i:totable()[2], {1, 3, 2})
v, i = t:sort(1, true)
check.near(v, {{5, 4, 3}, {0, 1, 2}})

-- topk: largest by default, smallest on request, along any dim
v, i = x:topk(2, 2)
check.same(v:shape(), {2, 2})
check.near(v[1], {3, 2})
check.same(i:totable()[1], {1, 3})
check.same(i:totable()[2], {1, 2}, "NaN counts as the largest")
v, i = x:topk(3, 2, false)
check.near(v, {{1, 1, 2}, {-1, 5, 5}})
check.same(i:totable()[2], {3, 2, 4})
v, i = tensor.new{{1, 9}, {7, 2}, {4, 8}}:topk(1, 1)
check.near(v, {{7, 9}})
check.same(i:totable()[1], {2, 1})
local scores = tensor.new{0.1, 0.7, 0.3, 0.7}
local _, keep = scores:topk(2)
check.same(keep:totable(), {2, 4})
check.same(x:topk(0, 2):shape(), {2, 0})

-- index_select with int64 tensors, integral floats and tables; dtype is kept
local a = tensor.arange(12):view(3, 4)                   -- 0 .. 11
check.near(a:index_select(1, tensor.new{3, 1}), {{8, 9, 10, 11}, {0, 1, 2, 3}})
check.near(a:index_select(2, {4, 1, 4}), {{3, 0, 3}, {7, 4, 7}, {11, 8, 11}})
check.near(a:index_select(-1, keep), {{1, 3}, {5, 7}, {9, 11}})
check.near(a:t():index_select(1, {2}), {{1, 5, 9}})     -- non-contiguous input
local l = a:long():index_select(1, {2})
assert(l:dtype() == "int64")
check.same(l:totable()[1], {4, 5, 6, 7})
check.same(a:index_select(1, tensor.zeros(0)):shape(), {0, 4})

-- gather: out[i][j] = a[i][idx[i][j]] along dim 2
check.near(a:gather(2, tensor.new{{4, 1}, {2, 2}, {1, 3}}), {{3, 0}, {5, 5}, {8, 10}})
check.near(a:gather(1, {{3, 2, 1, 3}}), {{8, 5, 2, 11}})
local _, am = a:max(2, true)
check.near(a:gather(2, am), (a:max(2, true)))
check.near(a:t():gather(2, {{3}, {1}}), {{8}, {1}})

-- cat and stack
local b = tensor.new{{5}, {6}}
local c = tensor.cat({tensor.new{{1, 2}, {3, 4}}, b}, 2)
check.same(c:shape(), {2, 3})
check.near(c, {{1, 2, 5}, {3, 4, 6}})
check.same(tensor.cat({a, a, a}):shape(), {9, 4})
check.same(tensor.cat({a, a:narrow(2, 1, 1)}, -1):shape(), {3, 5})
check.near(tensor.cat({a:t(), a:t()}, 1):narrow(1, 5, 4), a:t())
check.same(tensor.cat({tensor.zeros(0), a}):shape(), {3, 4}, "empty 1-d tensors are skipped")
assert(tensor.cat({a:long(), a:long()}):dtype() == "int64")
local s = tensor.stack({a, a * 2})
check.same(s:shape(), {2, 3, 4})
check.near(s[2], a * 2)
check.same(tensor.stack({a, a}, 3):shape(), {3, 4, 2})
check.same(tensor.stack({a, a}, -1):shape(), {3, 4, 2})
check.near(tensor.stack({tensor.new{1, 2}, tensor.new{3, 4}}, 2), {{1, 3}, {2, 4}})

-- *_like constructors
check.near(tensor.zeros_like(a), tensor.zeros(3, 4))
check.near(tensor.ones_like(a:t()), tensor.ones(4, 3))
assert(tensor.zeros_like(a:long()):dtype() == "int64")
check.near(tensor.full_like(a, 2.5), tensor.full(3, 4, 2.5))
tensor.manual_seed(3); local r1 = tensor.rand_like(a)
tensor.manual_seed(3); local r2 = tensor.rand(3, 4)
check.near(r1, r2, 0)
assert(r1:min() >= 0 and r1:max() < 1)
check.same(tensor.randn_like(a):shape(), {3, 4})

-- errors (method calls count arguments after self, as Lua does)
check.raises(function() return x:topk(5, 2) end, "topk: k = 5 out of range for a dimension of size 4")
check.raises(function() return x:topk() end, "bad argument #1 to 'topk' (number expected, got no value)")
check.raises(function() return x:topk(1, 3) end, "bad argument #2 to 'topk' (dimension 3 out of range")
check.raises(function() return x:sort(2, "yes") end, "bad argument #2 to 'sort' (boolean expected, got string)")
check.raises(function() return a:index_select(1, {0}) end, "index 0 out of range for a dimension of size 3 (indices are 1-based)")
check.raises(function() return a:index_select(1, {4}) end, "index_select: index 4 out of range")
check.raises(function() return a:index_select(1, {1.5}) end, "index_select: index 1.5 is not an integer")
check.raises(function() return a:index_select(1, {{1}}) end, "index must be 1-d")
check.raises(function() return a:index_select(1, "1") end, "bad argument #2 to 'index_select' (index tensor or table expected, got string)")
check.raises(function() return a:gather(2, {1, 2}) end, "gather: index has 1 dimensions, expected 2")
check.raises(function() return a:gather(2, {{5}}) end, "gather: index 5 out of range")
check.raises(function() return a:gather(2, tensor.ones(4, 1)) end, "exceeds input shape")
check.raises(function() return tensor.cat({a, b}) end, "cat: tensor 2 has shape [2, 1], expected [3, 4] outside dimension 1")
check.raises(function() return tensor.cat({}) end, "expected a non-empty list of tensors")
check.raises(function() return tensor.cat({a, 3}) end, "list entry 2 is a number, expected a tensor")
check.raises(function() return tensor.cat(a) end, "bad argument #1 to 'cat' (table expected, got tensor)")
check.raises(function() return tensor.cat({a}, 3) end, "dimension 3 out of range")
check.raises(function() return tensor.stack({a, b}) end, "stack: tensor 2 has shape [2, 1], expected [3, 4]")
check.raises(function() return tensor.stack({a}, 4) end, "dimension 4 out of range")
check.raises(function() return tensor.zeros_like(3) end, "bad argument #1 to 'zeros_like' (tensor expected, got number)")

print("tensor_indexing: ok")
