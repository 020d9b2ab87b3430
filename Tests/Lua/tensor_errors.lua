-- Error paths of the tensor API: each is a Lua error that reads like Lua's own, and the
-- interpreter goes on. Also: closed tensors, and bounded memory when big temporaries
-- are made in a loop.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
local a = tensor.new{{1, 2, 3}, {4, 5, 6}}

-- wrong argument types (method calls count arguments after self, as Lua does)
check.raises(function() return a:narrow("2", 1, 1) end, "bad argument #1 to 'narrow' (number expected, got string)")
check.raises(function() return a:view({}, 2) end, "view: shape [] is invalid for input of size 6")
check.raises(function() return tensor.zeros("3") end, "bad argument #1 to 'zeros' (number expected, got string)")
check.raises(function() return tensor.zeros(2.5) end, "number has no integer representation")
check.raises(function() return tensor.zeros(0 / 0) end, "number has no integer representation")
check.raises(function() return tensor.zeros{2, "x"} end, "shape entry 2 must be an integer, got string")
check.raises(function() return a:sum("all") end, "number or table of dims expected, got string")
check.raises(function() return a:sum(1, "yes") end, "boolean expected, got string")
check.raises(function() return a + "x" end, "tensor or number expected, got string")
check.raises(function() return a + {} end, "add: shapes [2, 3] and [0] cannot broadcast")
check.raises(function() return a + true end, "tensor or number expected, got boolean")
check.raises(function() return tensor.sum(5) end, "bad argument #1 to 'sum' (tensor expected, got number)")
check.raises(function() return a.sum() end, "tensor expected, got no value")
check.raises(function() return a:clamp("0") end, "number expected, got string")
check.raises(function() return tensor.new{{1, 2}, {3, "4"}} end, "nested table holds a string where a number was expected")
check.raises(function() return tensor.new{a} end, "nested table holds a tensor of shape [2, 3]; use tensor.stack")
check.raises(function() a.foo = 1 end, "cannot set field 'foo'")
check.raises(function() a[1] = "x" end, "number or tensor expected, got string")
check.raises(function() return a.nonexistent end, "tensor has no field or method 'nonexistent'; help(x) lists its methods")
check.raises(function() return a.sizee end, "tensor has no field or method 'sizee' (did you mean 'size'?)")

-- wrong argument counts
check.raises(function() return a:narrow(2, 1) end, "bad argument #3 to 'narrow' (number expected, got no value)")
check.raises(function() return a:select(1) end, "bad argument #2 to 'select' (number expected, got no value)")
check.raises(function() return tensor.full(3) end, "number expected, got no value")
check.raises(function() return tensor.linspace(0, 1) end, "bad argument #3 to 'linspace' (number expected, got no value)")
check.raises(function() return tensor.where(a:gt(2), a) end, "bad argument #3 to 'where'")
check.raises(function() return a:gather(2) end, "index tensor or table expected, got no value")

-- shapes that do not broadcast
check.raises(function() return a + tensor.ones(4) end, "add: shapes [2, 3] and [4] cannot broadcast")
check.raises(function() return a * tensor.ones(2) end, "mul: shapes [2, 3] and [2] cannot broadcast")
check.raises(function() return a:maximum(tensor.ones(4, 1)) end, "maximum: shapes [2, 3] and [4, 1] cannot broadcast")
check.raises(function() return tensor.where(tensor.ones(5), a, 0) end, "where: shapes")
check.raises(function() a[1] = tensor.ones(2) end, "tensor assignment: expand")
check.raises(function() return a:copy(tensor.ones(3, 3)) end, "expand")
check.raises(function() return a:expand(4, 3) end, "cannot expand to 4")
check.raises(function() return a:matmul(tensor.ones(2, 2)) end, "cannot be multiplied")

-- dims and indices out of range
check.raises(function() return a:sum(3) end, "dimension 3 out of range (expected 1..2 or -2..-1)")
check.raises(function() return a:sum(0) end, "dimension 0 out of range")
check.raises(function() return a:sum{1, 1} end, "dimension 1 repeated")
check.raises(function() return a:size(-3) end, "dimension -3 out of range")
check.raises(function() return a:select(2, 4) end, "select: index 4 out of range for dimension 2 of size 3")
check.raises(function() return a:select(1, 0) end, "index 0 is invalid (indices are 1-based)")
check.raises(function() return a:narrow(2, 3, 2) end, "narrow: range [3, 4] out of bounds for dimension 2 of size 3")
check.raises(function() return a:narrow(2, 0, 1) end, "start must be >= 1")
check.raises(function() return a[0] end, "index 0 out of range")
check.raises(function() return a[3] end, "index 3 out of range for dimension 1 of size 2")
check.raises(function() return a[-3] end, "index -3 out of range")
check.raises(function() return a[1][4] end, "index 4 out of range")
check.raises(function() return a[1.5] end, "number has no integer representation")
check.raises(function() return a:permute(1, 3) end, "expected a permutation of 1..2")
check.raises(function() return a:unsqueeze(4) end, "dimension 4 out of range")
check.raises(function() return a:transpose(1, 5) end, "dimension 5 out of range")
check.raises(function() return a:view(4, -1) end, "view: shape [4, -1] is invalid for input of size 6")
check.raises(function() return a:t():view(6) end, "view: tensor is not contiguous")
check.raises(function() return a:view(-1, -1) end, "at most one -1")
check.raises(function() return tensor.zeros(0, 3):max() end, "max: cannot reduce an empty tensor")
check.raises(function() return a:item() end, "item: tensor has 6 elements, expected 1")
check.raises(function() return tensor.eye(-1) end, "size must be non-negative")
check.raises(function() return tensor.randperm(-2) end, "size must be non-negative")
check.raises(function() return tensor.set_num_threads(0) end, "thread count must be in 1..256")
check.raises(function() return (a / 0):long() end, "cannot convert inf to int64")

-- sizes too large to allocate are refused before allocating
check.raises(function() return tensor.zeros(1e6, 1e6) end, "zeros: shape [1000000, 1000000] is too large")
check.raises(function() return tensor.eye(1e6) end, "eye: shape [1000000, 1000000] is too large")
check.raises(function() return tensor.zeros(2^53) end, "zeros: shape [9007199254740992] is too large")   -- an integer, as math.tointeger says
check.raises(function() return tensor.zeros(2^63) end, "number has no integer representation")
check.raises(function() return tensor.ones(math.maxinteger, 2) end, "is too large")
check.raises(function() return tensor.zeros(1 << 62) end, "too large")
check.raises(function() return tensor.arange(1e300) end, "too many elements")
check.raises(function() return tensor.ones(1):expand(1e6, 1e6) end, "expand: shape [1000000, 1000000] is too large")
check.raises(function() return tensor.ones(1e5, 1) + tensor.ones(1, 1e5) end, "is too large")
check.raises(function() return tensor.ones(1e5, 1):matmul(tensor.ones(1, 1e5)) end, "is too large")

-- a closed tensor is an error to use, never a crash
do
  local c <close> = tensor.ones(3)
  local v = c:view(3, 1)              -- a view holds its own reference to the storage
  getmetatable(c).__close(c)
  check.raises(function() return c:sum() end, "tensor was closed and can no longer be used")
  check.raises(function() return c + 1 end, "closed")
  check.raises(function() return tostring(c) end, "closed")
  check.raises(function() return c[1] end, "closed")
  check.raises(function() return #c end, "closed")
  assert(v:sum() == 3, "views outlive the closed tensor")
  getmetatable(c).__close(c)          -- closing twice is harmless
  getmetatable(c).__gc(c)
  getmetatable(c).__close(io.stdout)  -- not one of ours: ignored
  assert(io.type(io.stdout) == "file")
end
do
  local before = tensor.memory().live
  do
    local big <close> = tensor.zeros(1024, 1024)
    assert(tensor.memory().live - before >= 4 * 1024 * 1024)
  end
  assert(tensor.memory().live - before < 4096, "<close> released the storage at once")
end

-- a big tensor made a thousand times: native memory stays bounded (GC on a budget)
local peak, start = 0, tensor.memory().live
for i = 1, 1000 do
  local t = tensor.ones(1024, 1024) * 2          -- two 4 MB temporaries per iteration
  if i % 100 == 0 then assert(t[1024][1024] == 2) end
  peak = math.max(peak, tensor.memory().live - start)
end
assert(peak < 1024 * 1024 * 1024, "peak native memory " .. peak .. " bytes")
collectgarbage()
assert(tensor.memory().live - start < 16 * 1024 * 1024, "released after collection")

-- the interpreter goes on after every error above
assert(a:sum() == 21)
-- a nil among the sizes is an error, not the end of the shape
check.raises(function() tensor.zeros(2, nil, 3) end, "bad argument #2 to 'zeros' (size 2 of the shape is nil (sizes follow it))")
assert(#tensor.zeros(2, nil):shape() == 1, "a trailing nil ends the sizes")
print("tensor_errors: ok (peak " .. math.floor(peak / 1048576) .. " MB over 1000 x 8 MB)")
