-- diag, fill_diagonal, index_fill, scatter, argsort, mask indexing (x[mask], x[mask] = v),
-- tensor.spearman and the {rows = true} form of the pairwise functions, with their errors.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
local nan = 0 / 0

-- diag: 1-d -> square matrix (offset above/below), 2-d -> its diagonal as a copy
check.near(tensor.new{1, 2}:diag(), {{1, 0}, {0, 2}})
check.near(tensor.new{1, 2}:diag(1), {{0, 1, 0}, {0, 0, 2}, {0, 0, 0}})
check.near(tensor.new{1, 2}:diag(-1), {{0, 0, 0}, {1, 0, 0}, {0, 2, 0}})
local m = tensor.arange(1, 13):view(3, 4)                 -- {{1..4}, {5..8}, {9..12}}
check.near(m:diag(), {1, 6, 11})
check.near(m:diag(1), {2, 7, 12})
check.near(m:diag(-2), {9})
check.same(m:diag(5):shape(), {0})
local d = m:diag(); d[1] = 100
assert(m[1][1] == 1, "diag of a matrix is a copy")
check.near(m:t():diag(-1), {2, 7, 12}, 0, "strided input")
local big = tensor.new{1}:long() * (1 << 62)
assert(big:diag()[1][1] == 1 << 62 and big:diag():dtype() == "int64", "int64 kept exactly")
check.raises(function() tensor.zeros(2, 2, 2):diag() end, "diag: expected a 1-d or 2-d tensor, got shape [2, 2, 2]")
check.raises(function() m:diag(1.5) end, "number has no integer representation")
check.raises(function() tensor.zeros(100000):diag() end, "diag: shape [100000, 100000] is too large")
check.raises(function() tensor.zeros(2):diag(math.maxinteger) end, "diag: offset " .. math.maxinteger .. " is too large")

-- fill_diagonal: in place, returns x; any 2-d shape, or all dims equal
local s = tensor.ones(2, 3)
assert(rawequal(s:fill_diagonal(0), s), "returns x itself")
check.near(s, {{0, 1, 1}, {1, 0, 1}})
local cube = tensor.zeros(2, 2, 2):fill_diagonal(5)
assert(cube[1][1][1] == 5 and cube[2][2][2] == 5 and cube[1][2][2] == 0 and cube[2][1][1] == 0)
local host = tensor.zeros(3, 3)
host:narrow(2, 2, 2):fill_diagonal(7)                      -- writes through a view
check.near(host, {{0, 7, 0}, {0, 0, 7}, {0, 0, 0}})
check.raises(function() tensor.zeros(2, 3, 2):fill_diagonal(1) end, "dimensions are all equal")
check.raises(function() tensor.zeros(3):fill_diagonal(1) end, "fill_diagonal: expected a 2-d tensor")
check.raises(function() s:fill_diagonal("x") end, "number expected, got string")

-- index_fill: a copy with entries of a dimension set; indices 1-based (tensor, table or number)
local w = tensor.arange(1, 7):view(3, 2)
check.near(w:index_fill(1, {1, 3}, 0), {{0, 0}, {3, 4}, {0, 0}})
check.near(w:index_fill(2, tensor.new{2}:long(), -1), {{1, -1}, {3, -1}, {5, -1}})
check.near(w:index_fill(-1, 1, 9), {{9, 2}, {9, 4}, {9, 6}}, 0, "a number index, a negative dim")
assert(w[1][1] == 1, "out of place")
check.raises(function() w:index_fill(1, {4}, 0) end, "index_fill: index 4 out of range for a dimension of size 3 (indices are 1-based)")
check.raises(function() w:index_fill(1, {0}, 0) end, "index 0 out of range")
check.raises(function() w:index_fill(3, {1}, 0) end, "dimension 3 out of range")
check.raises(function() w:index_fill(1, {{1}}, 0) end, "index must be 0-d or 1-d")
check.raises(function() w:index_fill(1, {1.5}, 0) end, "index 1.5 is not an integer")
check.raises(function() w:index_fill(1, {1}) end, "number expected, got no value")

-- scatter: torch's examples with 1-based indices
local src = tensor.arange(1, 11):view(2, 5)
check.near(tensor.zeros(3, 5):scatter(1, tensor.new{{1, 2, 3, 1}}:long(), src),
  {{1, 0, 0, 4, 0}, {0, 2, 0, 0, 0}, {0, 0, 3, 0, 0}})
check.near(tensor.zeros(3, 5):scatter(2, {{1, 2, 3}, {1, 2, 5}}, src),
  {{1, 2, 3, 0, 0}, {6, 7, 0, 0, 8}, {0, 0, 0, 0, 0}})
check.near(tensor.zeros(3, 4):scatter(2, tensor.new{{2}, {1}, {4}}, 1),
  {{0, 1, 0, 0}, {1, 0, 0, 0}, {0, 0, 0, 1}}, 0, "one-hot from a number")
local z = tensor.zeros(2):long():scatter(1, {2}, tensor.new{1}:long() * (1 << 62))
assert(z[2] == 1 << 62 and z:dtype() == "int64", "int64 scatter exact")
check.raises(function() tensor.zeros(3, 5):scatter(1, {{1, 4}}, src) end,
  "scatter: index 4 out of range for a dimension of size 3 (indices are 1-based)")
check.raises(function() tensor.zeros(3, 5):scatter(1, {{1}, {1}, {1}}, src) end,
  "index shape [3, 1] exceeds source shape [2, 5] in dimension 1")
check.raises(function() tensor.zeros(3, 5):scatter(1, {1, 2}, src) end, "index has 1 dimensions, expected 2")
check.raises(function() tensor.zeros(3, 2):scatter(1, {{1, 1, 1}}, src) end, "exceeds input shape [3, 2] in dimension 2")
check.raises(function() tensor.zeros(3, 5):scatter(1, {{1}}, tensor.ones(5)) end, "source has 1 dimensions, expected 2")
check.raises(function() tensor.zeros(3, 5):scatter(0, {{1}}, 1) end, "dimension 0 out of range")
check.raises(function() tensor.zeros(3, 5):scatter(1, {{1}}, "a") end, "number or tensor expected")

-- argsort: 1-based int64 positions, stable, NaN largest, descending
local a = tensor.new{{3, 1, 3, nan}, {2, 2, 1, 5}}
local o = a:argsort()
assert(o:dtype() == "int64")
check.same(o:totable()[1], {2, 1, 3, 4}, "ties keep order, NaN last")
check.same(o:totable()[2], {3, 1, 2, 4})
check.same(a:argsort(2, true):totable()[1], {4, 1, 3, 2}, "NaN first when descending")
check.same(a:argsort(1):totable()[1], {2, 1, 2, 2})
check.same(tensor.new{3, 1, 2}:argsort():totable(), {2, 3, 1})
local sorted = select(2, a:sort(2))
check.same(a:argsort(2):totable()[2], sorted:totable()[2], "agrees with sort")
check.raises(function() a:argsort(3) end, "dimension 3 out of range")
check.raises(function() a:argsort(1, "yes") end, "boolean expected")

-- mask indexing: x[mask] reads the selected elements (row-major), x[mask] = v writes them
local x = tensor.new{{1, -2, 3}, {-4, 5, -6}}
local neg = x:lt(0)
check.near(x[neg], {-2, -4, -6})
check.same(x[x:gt(10)]:shape(), {0}, "nothing selected")
x[neg] = 0
check.near(x, {{1, 0, 3}, {0, 5, 0}})
x[neg] = tensor.new{7, 8, 9}
check.near(x, {{1, 7, 3}, {8, 5, 9}})
x[neg] = tensor.new{{-1, -1, -1}}                             -- any shape with as many values
check.near(x, {{1, -1, 3}, {-1, 5, -1}})
local col = x:narrow(2, 2, 1)                                 -- a view writes through
col[col:gt(0)] = 50
check.near(x, {{1, -1, 3}, {-1, 50, -1}})
local li = tensor.zeros(3):long()
li[tensor.new{0, 1, 0}] = 1 << 62
assert(li[2] == 1 << 62, "an integer into int64 exactly")
assert(li[li:gt(0)]:dtype() == "int64", "reading keeps the dtype")
local v = tensor.new{1, 2, 3, 4}
v[tensor.new{0, 1, 1, 1}] = v:narrow(1, 1, 3)                -- values overlapping the target
check.near(v, {1, 1, 2, 3})
check.raises(function() x[tensor.new{1, 0, 1}] = 0 end,
  "mask assignment: mask shape [3] does not match the tensor's shape [2, 3]")
check.raises(function() return x[tensor.ones(3, 2)] end, "mask indexing: mask shape [3, 2] does not match")
check.raises(function() x[neg] = tensor.new{1, 2} end, "the mask selects 3 elements but 2 values were given")
check.raises(function() x[x * 2] = 0 end, "a mask holds only 0 and 1")
check.raises(function() x[neg] = "a" end, "number or tensor expected")
check.raises(function() x.foo = 1 end, "cannot set field 'foo'")

-- spearman: scipy.stats.spearmanr values (average ranks for ties)
check.near(tensor.spearman(tensor.new{1, 2, 3, 4}, tensor.new{10, 20, 20, 40}), 0.9486832980505139, 1e-12)
check.near(tensor.spearman(tensor.new{3, 1, 4, 1, 5, 9, 2, 6}, tensor.new{2, 7, 1, 8, 2, 8, 1, 8}),
  0.19885368120992467, 1e-12)
check.near(tensor.new{1, 2, 3}:spearman(tensor.new{30, 20, 10}), -1, 0, "as a method")
check.near(tensor.spearman(tensor.new{1, 2, 3}, tensor.new{1, 4, 9}), 1, 0, "monotone is 1")
local r = tensor.spearman(tensor.new{1, 1, 1}, tensor.new{1, 2, 3})
assert(r ~= r, "a constant input gives NaN")
r = tensor.spearman(tensor.new{1, nan, 3}, tensor.new{1, 2, 3})
assert(r ~= r, "NaN propagates")
check.raises(function() tensor.spearman(tensor.ones(2), tensor.ones(3)) end,
  "spearman: the tensors have 2 and 3 elements, expected the same number")
check.raises(function() tensor.spearman(tensor.ones(2, 2), tensor.ones(4)) end, "expected two 1-d tensors")
check.raises(function() tensor.spearman(tensor.ones(2), {1, 2}) end, "tensor expected")

-- pairwise functions: {rows = true} for a (C, F) matrix; a 2-d input without it is refused
local rows = tensor.new{{1, 0}, {0, 1}, {3, 4}}
check.near(rows:cosine_similarity{rows = true}, {{1, 0, 0.6}, {0, 1, 0.8}, {0.6, 0.8, 1}}, 1e-6)
local s2, s20, s18 = math.sqrt(2), math.sqrt(20), math.sqrt(18)
check.near(rows:euclidean_distance{rows = true}, {{0, s2, s20}, {s2, 0, s18}, {s20, s18, 0}}, 1e-5)
check.near(rows:foad_similarity{rows = true}, rows:view(1, 3, 2):foad_similarity(), 1e-6, "same as one image")
for _, f in ipairs{"cosine_similarity", "euclidean_distance", "foad_similarity"} do
  check.raises(function() rows[f](rows) end, f .. ": a 2-d input is ambiguous: pass {rows = true}")
  check.raises(function() rows[f](rows, {rows = false}) end, "a 2-d input is ambiguous")
  check.raises(function() rows:view(1, 3, 2)[f](rows:view(1, 3, 2), {rows = true}) end,
    f .. ": rows = true expects a (C, F) matrix, got shape [1, 3, 2]")
  check.raises(function() rows[f](rows, {rows = true, batch = "mean"}) end, "batch does not apply with rows = true")
  check.raises(function() rows[f](rows, {rows = 1}) end, "field 'rows': boolean expected")
  check.raises(function() tensor.ones(3)[f](tensor.ones(3)) end, "expected (N, C, …) with at least 3 dimensions")
end
print("tensor_helpers ok")
