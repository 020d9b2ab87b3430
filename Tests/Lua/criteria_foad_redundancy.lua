-- FOAD (prune.foad_greedy, criteria.foad, the `foad` criterion) and feature-map clustering
-- (criteria.redundancy, the `redundancy` criterion) from Lua, with their error paths.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(3)

local function list(t) local out = {} for i = 1, t:numel() do out[i] = t[i] end return out end

-- FOAD's greedy: index order, kept channels take top-t slots, threshold s (≥), ties by index.
local S = tensor.new{{1, 0.7, 0.1, 0.9}, {0.7, 1, 0.6, 0.3}, {0.1, 0.6, 1, 0.1}, {0.9, 0.3, 0.1, 1}}
local kept, removed = prune.foad_greedy(S, {t = 1, s = 0.5})
assert(kept:dtype() == "int64")
check.same(list(kept), {1, 2, 3}, "t = 1: channel 1 removes 4; 2's top slot goes to 1 (kept)")
check.same(list(removed), {4})
check.same(list(prune.foad_greedy(S, {t = 2, s = 0.5})), {1, 3})
check.same(list(prune.foad_greedy(S, {t = 10, s = 0.05})), {1})
check.same(list(prune.foad_greedy(S, {t = 1, s = 0.95})), {1, 2, 3, 4}, "nothing reaches s")
check.same(list(prune.foad_greedy(S, {t = 1, s = 0.9})), {1, 2, 3}, "S = s removes")
local ties = {{1, 0.8, 0.8, 0.8}, {0.8, 1, 0.1, 0.1}, {0.8, 0.1, 1, 0.8}, {0.8, 0.1, 0.8, 1}}
check.same(list(prune.foad_greedy(ties, {t = 1, s = 0.5})), {1, 3, 4}, "ties: the lower index first")
check.same(list(prune.foad_greedy(ties)), {1, 3, 4}, "defaults t = 1, s = 0")

check.raises(function() prune.foad_greedy(S, {t = 0}) end, "field 't': must be an integer ≥ 1")
check.raises(function() prune.foad_greedy(S, {t = 1.5}) end, "field 't': number has no integer representation")
check.raises(function() prune.foad_greedy(S, {s = "high"}) end, "field 's': number expected, got string")
check.raises(function() prune.foad_greedy(S, {s = 0 / 0}) end, "field 's'")
check.raises(function() prune.foad_greedy(S, {u = 1}) end, "unknown option 'u'")
check.raises(function() prune.foad_greedy(tensor.ones(2, 3)) end, "square (C, C) similarity matrix")
check.raises(function() prune.foad_greedy(tensor.new{{1, 0 / 0}, {0 / 0, 1}}) end, "is NaN")

-- criteria.foad on maps: channel 3 duplicates channel 1, so it is the one removed.
local maps = tensor.randn(6, 5, 4, 4):relu()
maps:select(2, 3):copy(maps:select(2, 1))
local keep, sim = criteria.foad(maps, {t = 1, s = 0.999})
check.same(list(keep), {1, 2, 4, 5})
check.same(sim:shape(), {5, 5})
check.near(sim[1][3], 1, 0, "identical maps: S = 1 exactly")
check.near(sim, sim:transpose(1, 2), 0, "symmetric")
check.near(sim, maps:foad_similarity(), 1e-6, "tensor.foad_similarity agrees")
-- images in another order: the same S and keep-set
local perm = tensor.new{6, 2, 4, 1, 5, 3}:long()
local keep2, sim2 = criteria.foad(maps:index_select(1, perm), {t = 1, s = 0.999})
check.same(list(keep2), list(keep))
check.near(sim2, sim, 1e-7, "image order")
check.raises(function() criteria.foad(maps, {s = 1.5}) end, "field 's': must be in [0, 1]")
check.raises(function() criteria.foad(maps, {t = -1}) end, "field 't': must be an integer ≥ 1")
check.raises(function() criteria.foad(tensor.ones(4)) end, "feature maps (N, C, …) expected")

-- criteria.redundancy: clusters, medoids, redundancy index, determinism.
local r = criteria.redundancy(maps, {clusters = 4, seed = 1})
check.same(list(r.keep), {1, 2, 4, 5}, "the duplicate shares a cluster with its twin; the lower index is its medoid")
assert(r.clusters == 4 and r.labels[1] == r.labels[3])
check.near(r.ri[1], 1 / 4, 1e-7, "RI = (|cluster| - 1)/(C - 1)")
check.near(r.ri[2], 0, 0)
check.same(list(r.prune_order), {3})
local v = tensor.randn(40, 12, 3, 3):relu()
local a = criteria.redundancy(v, {ratio = 0.5, seed = 7})
local b = criteria.redundancy(v, {ratio = 0.5, seed = 7})
check.same(list(a.keep), list(b.keep), "same seed, same keep-set")
check.same(list(a.labels), list(b.labels))
assert(a.keep:numel() == 6, "k = round(12 · 0.5)")
assert(criteria.redundancy(v, {ratio = 0.25, dims = 3, seed = 2}).keep:numel() == 9, "PCA then 9 clusters")
local fixed = criteria.redundancy(v, {clusters = 3, init = {1, 2, 3}})
assert(fixed.clusters == 3)
local d = criteria.redundancy(maps, {method = "dbscan", eps = 1e-6, min_samples = 2})
check.same(list(d.keep), {1, 2, 4, 5}, "DBSCAN: the twins form the only cluster, the rest is noise")

check.raises(function() criteria.redundancy(maps, {clusters = 6}) end, "fewer channels than clusters")
check.raises(function() criteria.redundancy(maps, {clusters = 0}) end, "field 'clusters': must be an integer ≥ 1")
check.raises(function() criteria.redundancy(maps, {method = "spectral"}) end, "field 'method': expected one of kmeans, dbscan")
check.raises(function() criteria.redundancy(maps, {method = "dbscan", eps = 3}) end, "field 'eps': must be in (0, 2]")
check.raises(function() criteria.redundancy(maps, {method = "dbscan", min_samples = 0}) end, "field 'min_samples': must be an integer ≥ 1")
check.raises(function() criteria.redundancy(maps, {method = "dbscan", min_samples = 9}) end, "every channel would be noise")
check.raises(function() criteria.redundancy(maps, {eps = 0.1}) end, "field 'eps': applies to method = 'dbscan' only")
check.raises(function() criteria.redundancy(maps, {method = "dbscan", clusters = 2}) end, "field 'clusters': applies to method = 'kmeans' only")
check.raises(function() criteria.redundancy(maps, {dims = 9}) end, "dims = 9 is out of range")
check.raises(function() criteria.redundancy(maps, {dims = -1}) end, "field 'dims'")
check.raises(function() criteria.redundancy(maps, {ratio = 1}) end, "field 'ratio': must be in [0, 1)")
check.raises(function() criteria.redundancy(maps, {init = {1, 2, 3}}) end, "3 initial centres given for k = 2 clusters")
check.raises(function() criteria.redundancy(maps, {clusters = 2, init = {1, 9}}) end, "field 'init': channel 9 is out of range")
check.raises(function() criteria.redundancy(maps, {clusters = 2, init = {1, 1e30}}) end, "field 'init': a list of 1-based channel indices")
check.raises(function() criteria.redundancy(maps, {clusters = 2, init = {1, math.huge}}) end, "field 'init': a list of 1-based channel indices")

-- As built-in criteria: a tiny net whose filter 3 duplicates filter 1.
local net = nn.Sequential{ {"conv", nn.Conv2d(1, 4, 3, {padding = 1})}, {"bn", nn.BatchNorm2d(4)}, {"relu", nn.ReLU()},
                           {"head", nn.Conv2d(4, 3, 3)} }
net.conv.weight[3] = net.conv.weight[1]
net.conv.bias[3] = net.conv.bias[1]
net:eval()
local images = tensor.randn(20, 1, 8, 8)
local calib = data.loader(data.tensor_dataset(images, tensor.zeros(20)), {batch = 6})
local shuffled = data.loader(data.tensor_dataset(images, tensor.zeros(20)), {batch = 6, shuffle = true, seed = 4})
local shape = {1, 1, 8, 8}
local plan = prune.plan(net, {criterion = "foad", t = 1, s = 0.999, calib = calib, batches = 4, input = shape})
check.same(plan.kept.conv, {1, 2, 4})
local again = prune.plan(net, {criterion = "foad", t = 1, s = 0.999, calib = shuffled, batches = 4, input = shape})
check.same(again.kept.conv, {1, 2, 4}, "batch order does not matter")
local p2 = prune.plan(net, {criterion = "redundancy", ratio = 0.25, calib = calib, batches = 4, input = shape})
check.same(p2.kept.conv, {1, 2, 4}, "k-means with k = 4 · (1 − 0.25) = 3")
local p3 = prune.plan(net, {criterion = "redundancy", clusters = 3, calib = shuffled, batches = 4, input = shape})
check.same(p3.kept.conv, {1, 2, 4})
local s = criteria.score(net, "foad", {t = 1, s = 0.999, calib = calib, batches = 4, input = shape})
check.same(s.conv.keep, {1, 2, 4})
local sr = criteria.score(net, "redundancy", {ratio = 0.25, calib = calib, batches = 4, input = shape})
check.same(sr.conv.keep, {1, 2, 4})
plan:apply()
assert(net.conv.out_channels == 3 and net.head.in_channels == 3)
-- k-means cannot split equal points: 8 dead channels are one cluster whatever k is. A ratio still
-- removes what it says: the 9 medoids, then the least redundant others (lowest index first).
do
  local maps = tensor.randn({8, 16, 4, 4}, {seed = 5}):relu()
  for c = 9, 16 do maps:select(2, c):fill(0) end
  local r = criteria.redundancy(maps, {ratio = 0.25, seed = 0})
  check.same(r.keep:totable(), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, "k = round(16 · 0.75) = 12 kept")
  assert(r.clusters == 9, "nine clusters have members: " .. r.clusters)
  check.raises(function() criteria.redundancy(tensor.randn(4, 1, 3, 3), {ratio = 0.6}) end,
    "k = round(C·(1 − ratio)) = round(1 · 0.4) = 0 for the maps: k-means needs at least one cluster (a lower ratio, or clusters = k)")
  -- in a plan, as with every other criterion, a group keeps at least one channel: k = max(1, …)
  local tiny = nn.Sequential{{"conv", nn.Conv2d(3, 4, 3, {padding = 1})}, {"relu", nn.ReLU()},
                             {"se", nn.SqueezeExcite(4, 1)}, {"pool", nn.AdaptiveAvgPool2d(1)}, {"flatten", nn.Flatten()},
                             {"fc", nn.Linear(4, 2)}}
  local tp = prune.plan(tiny, {criterion = "redundancy", ratio = 0.6, input = {1, 3, 8, 8}, calib = tensor.randn(6, 3, 8, 8)})
  check.same(tp.kept["se.fc1"], {1}, "a one-channel group keeps its channel")
  local explicit = criteria.redundancy(maps, {clusters = 10, seed = 0})
  assert(explicit.keep:numel() == 10, "clusters = 10 keeps 10")
end

check.raises(function() prune.plan(net, {criterion = "foad", ratio = 0.5, calib = calib, input = shape}) end,
  "field 'ratio': criterion 'foad' chooses how many channels each group keeps")
check.raises(function() prune.plan(net, {criterion = "foad", target_macs = 10, calib = calib, input = shape}) end,
  "field 'target_macs': criterion 'foad'")
check.raises(function() prune.plan(net, {criterion = "redundancy", clusters = 2, ratios = {conv = 0.5}, calib = calib, input = shape}) end,
  "field 'ratios': criterion 'redundancy'")
check.raises(function() prune.plan(net, {criterion = "redundancy", target_macs = 10, calib = calib, input = shape}) end,
  "needs per-channel scores")
check.raises(function() prune.plan(net, {criterion = "redundancy", clusters = 5, calib = calib, input = shape}) end,
  "fewer channels than clusters")
check.raises(function() prune.plan(net, {criterion = "foad", t = 0, calib = calib, input = shape}) end,
  "bad argument #2 to 'plan' (field 't': must be an integer ≥ 1")
check.raises(function() prune.plan(net, {criterion = "foad", input = shape}) end, "needs calibration data")
check.raises(function() criteria.define("foad", function() end) end, "'foad' is a built-in criterion")
local names = table.concat(criteria.list(), " ")
assert(names:find("foad") and names:find("redundancy"))

-- A Lua selection criterion sees the plan's ratio as ctx.ratio.
local seen
criteria.define("first_half", function(ctx)
  seen = ctx.ratio
  local k = math.max(1, math.floor(ctx.channels * (1 - ctx.ratio)))
  local out = {}
  for i = 1, k do out[i] = i end
  return out
end, {selection = true})
local fresh = nn.Sequential{ {"conv", nn.Conv2d(1, 4, 3)}, {"relu", nn.ReLU()}, {"head", nn.Conv2d(4, 2, 3)} }
check.same(prune.plan(fresh, {criterion = "first_half", ratio = 0.5, input = shape}).kept.conv, {1, 2})
assert(seen == 0.5)
-- point = "pool": the convs right before a pooling are read after it (FOAD's VGG protocol),
-- the others after their ReLU; "act" reads every one after its ReLU.
tensor.manual_seed(9)
local vgg = nn.zoo.vgg{cfg = {8, 8, "M", 16, "M", 16}, in_channels = 1, input = 16}
vgg:eval()
local vx = tensor.randn(6, 1, 16, 16)
local sides, points = {}, {}
criteria.define("sides", function(ctx)
  sides[ctx.name], points[ctx.name] = ctx.fmaps:size(3), ctx.point
  return ctx.fmaps:mean{1, 3, 4}
end, {needs = "fmaps"})
criteria.score(vgg, "sides", {calib = vx, point = "pool"})
check.same({sides["features.0"], sides["features.3"], sides["features.7"], sides["features.11"]}, {16, 8, 4, 4},
  "before a pool: the pooled side; elsewhere the ReLU's")
check.same({points["features.0"], points["features.3"], points["features.7"], points["features.11"]},
  {"features.2", "features.6", "features.10", "features.13"})
criteria.score(vgg, "sides", {calib = vx, point = "act"})
check.same({sides["features.3"], points["features.3"]}, {16, "features.5"})
-- the pooled maps are the ReLU's maps pooled: FOAD's S of features.3 from them
local pooled = vgg:capture("features.6", vx)["features.6"]
local _, S = criteria.foad(pooled, {t = 1, s = 0})
local plan = prune.plan(vgg, {criterion = "foad", t = 1, s = 0, calib = vx, point = "pool"})
check.same(plan.kept["features.3"], criteria.foad(pooled, {t = 1, s = 0}):totable(), "FOAD's keep-set on the pooled maps")
assert(S:size(1) == 8)
check.raises(function() prune.plan(vgg, {criterion = "foad", calib = vx, point = "pooled"}) end,
  "field 'point': expected one of conv, bn, act, pool")
print("criteria_foad_redundancy: ok")
