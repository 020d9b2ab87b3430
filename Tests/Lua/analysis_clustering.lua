-- k-means, DBSCAN and PCA from Lua: 1-based labels, DBSCAN's noise label 0, seeds,
-- and the error messages.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

-- three separable blobs of four points (offsets with zero mean), interleaved
local centres = {{0, 0}, {20, 0}, {0, 20}}
local offsets = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}}
local rows = {}
for p = 0, 11 do
  local c, o = centres[p % 3 + 1], offsets[p // 3 + 1]
  rows[#rows + 1] = {c[1] + o[1], c[2] + o[2]}
end
local pts = tensor.new(rows)
local labels, centroids, inertia = tensor.kmeans(pts, 3, {seed = 7})
assert(labels:dtype() == "int64")
local l = labels:totable()
for p = 1, 12 do assert(l[p] == l[(p - 1) % 3 + 1], "point " .. p .. " joins its blob") end
assert(l[1] ~= l[2] and l[2] ~= l[3] and l[1] ~= l[3])
for _, v in ipairs(l) do assert(v >= 1 and v <= 3, "labels are 1-based") end
check.near(inertia, 12, 1e-4)   -- each point is 1 away from its centre
check.near(centroids[l[2]], {20, 0}, 1e-5)
local again = tensor.kmeans(pts, 3, {seed = 7, restarts = 4})
check.same(again:totable(), l)
tensor.manual_seed(3); local g1 = tensor.kmeans(pts, 2)
tensor.manual_seed(3); local g2 = tensor.kmeans(pts, 2)
check.same(g1:totable(), g2:totable())
check.raises(function() tensor.kmeans(pts, 13) end, "k = 13 is larger than the number of points (12)")
check.raises(function() tensor.kmeans(tensor.new{{1, 0 / 0}, {2, 3}}, 1) end, "NaN")
check.raises(function() tensor.kmeans(pts, 2, {sede = 1}) end, "unknown option 'sede'")
check.raises(function() pts:kmeans(0) end, "k must be at least 1")
check.raises(function() tensor.kmeans(pts, 2, {restarts = 0}) end, "restarts must be in 1...1000")

-- DBSCAN on a hand-drawn line: chains at 0..1 and 10..11, a lone point at 5
local line = tensor.new{{0}, {0.5}, {1}, {5}, {10}, {10.5}, {11}}
local db, n = tensor.dbscan(line, {eps = 0.6, min_samples = 2})
check.same(db:totable(), {1, 1, 1, 0, 2, 2, 2})   -- noise is 0
assert(n == 2)
local border = tensor.dbscan(line, {eps = 0.6, min_samples = 3})
check.same(border:totable(), {1, 1, 1, 0, 2, 2, 2})   -- chain ends join as border points
local none, zero = tensor.dbscan(line, {eps = 0.1, min_samples = 2})
check.same(none:totable(), {0, 0, 0, 0, 0, 0, 0}); assert(zero == 0)
-- cosine: two directions and a diagonal loner
local dirs = tensor.new{{1, 0}, {5, 0.1}, {0, 2}, {0.1, 3}, {1, 1}}
check.same(tensor.dbscan(dirs, {eps = 0.01, min_samples = 2, metric = "cosine"}):totable(), {1, 1, 2, 2, 0})
check.raises(function() tensor.dbscan(line, {min_samples = 2}) end, "field 'eps': number expected")
check.raises(function() tensor.dbscan(line, {eps = 1, metric = "manhattan"}) end, "expected one of euclidean, cosine")

-- PCA on points along (0.6, 0.8) with a small orthogonal wobble
local data = {}
local t, w = {-2, -1, 0, 1, 2}, {0.1, -0.1, 0, -0.1, 0.1}
for i = 1, 5 do data[i] = {0.6 * t[i] - 0.8 * w[i], 0.8 * t[i] + 0.6 * w[i]} end
local comps, var, scores, ratio, mean = tensor.pca(tensor.new(data), 1)
check.near(comps, {{0.6, 0.8}}, 1e-5)
check.near(var, {2.5}, 1e-5)
check.near(scores:view(-1), t, 1e-5)
check.near(ratio, {2.5 / 2.51}, 1e-5)
check.near(mean, {0, 0}, 1e-6)
check.raises(function() tensor.pca(tensor.new(data), 3) end, "k must be in 1...2")
print("analysis_clustering ok")
