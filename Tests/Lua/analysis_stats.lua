-- Entropy, channel distances and batched linear algebra from Lua: values worked out by
-- hand, option handling, and the error messages.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

-- entropy of hand-made 4x4 maps (N = 1, C = 3): constant, two-valued, 16 distinct values
local vals = {}
for i = 1, 16 do vals[i] = i end
local maps = tensor.new{{
  {{2, 2, 2, 2}, {2, 2, 2, 2}, {2, 2, 2, 2}, {2, 2, 2, 2}},
  {{0, 1, 0, 1}, {0, 1, 0, 1}, {0, 1, 0, 1}, {0, 1, 0, 1}},
  {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}, {13, 14, 15, 16}},
}}
check.same(maps:entropy():shape(), {1, 3})
check.near(maps:entropy(), {{0, 1, 4}}, 1e-6, "histogram bits")
check.near(maps:entropy{bins = 16, base = math.exp(1)}, {{0, math.log(2), math.log(16)}}, 1e-6, "nats")
-- per channel over the batch: two images, channel 2 of the second is all zeros
local two = tensor.zeros(2, 3, 4, 4)
two[1] = maps[1]
check.near(two:entropy{per = "channel"}[3], -(0.5 * math.log(0.5, 2) + 16 * (1 / 32) * math.log(1 / 32, 2)), 1e-6)
-- pooled: each channel's two image means differ (2/0, 0.5/0, 8.5/0) -> 1 bit each; shape (C)
check.near(two:entropy{variant = "pooled"}, {1, 1, 1}, 1e-6)
-- softmax over 16 pixels: a constant map is uniform (4 bits) under both logits
check.near(maps:entropy{variant = "softmax"}[1][1], 4, 1e-5)
check.near(maps:entropy{variant = "softmax", logits = "values"}[1][1], 4, 1e-5)
-- two-valued: (x - mean)^2 is constant -> uniform; raw values 0/1 -> p = e/(8e + 8), 1/(8e + 8)
local e = math.exp(1)
local p1, p0 = e / (8 * e + 8), 1 / (8 * e + 8)
check.near(maps:entropy{variant = "softmax"}[1][2], 4, 1e-5)
check.near(maps:entropy{variant = "softmax", logits = "values", base = e}[1][2],
  -(8 * p1 * math.log(p1) + 8 * p0 * math.log(p0)), 1e-5)
check.raises(function() maps:entropy{variant = "fancy"} end, "expected one of histogram, pooled, softmax")
check.raises(function() maps:entropy{bin = 3} end, "unknown option 'bin'")
check.raises(function() maps:entropy{base = 1} end, "base must be positive and not 1")
check.raises(function() tensor.new{{0, 0 / 0}, {1, 2}}:entropy() end, "NaN")

-- channel distances: channels a = (1, 0), b = (0, 1), c = (3, 4) of one 1x2 image
local fm = tensor.new{{{{1, 0}}, {{0, 1}}, {{3, 4}}}}
check.near(fm:cosine_similarity(), {{1, 0, 0.6}, {0, 1, 0.8}, {0.6, 0.8, 1}}, 1e-6)
local s2, s20, s18 = math.sqrt(2), math.sqrt(20), math.sqrt(18)
check.near(fm:euclidean_distance(), {{0, s2, s20}, {s2, 0, s18}, {s20, s18, 0}}, 1e-5)
check.near(fm:foad_similarity(), {{1, 1 / (1 + s2), 1 / (1 + s20)}, {1 / (1 + s2), 1, 1 / (1 + s18)},
  {1 / (1 + s20), 1 / (1 + s18), 1}}, 1e-6)
-- a second image equal to the first changes nothing per image, or averaged
local fm2 = tensor.zeros(2, 3, 1, 2)
fm2[1] = fm[1]; fm2[2] = fm[1]
check.near(fm2:foad_similarity(), fm:foad_similarity(), 1e-6)
check.near(fm2:euclidean_distance{batch = "mean"}, fm:euclidean_distance(), 1e-5)
check.near(fm2:euclidean_distance(), fm:euclidean_distance() * math.sqrt(2), 1e-5, "flattened over N")
check.raises(function() fm:cosine_similarity{batch = "sum"} end, "expected one of flatten, mean, per_image")
-- NaN and infinity propagate (the Gram formula gave 0): channels (nan, 0), (0, 1), (inf, 0), (1, 1)
local bad = tensor.new{{{0 / 0, 0}, {0, 1}, {1 / 0, 0}, {1, 1}}}
for _, batch in ipairs{"flatten", "mean", "per_image"} do
  local d = bad:euclidean_distance{batch = batch}
  for j = 1, 4 do assert(d[1][j] ~= d[1][j] and d[j][1] ~= d[j][1], batch .. ": NaN row") end
  assert(d[3][2] == math.huge and d[2][3] == math.huge, batch .. ": |inf - finite| = inf")
  assert(d[3][3] ~= d[3][3], batch .. ": inf - inf is NaN")
  check.near(d[2][4], 1, 1e-6, batch .. ": finite pairs unchanged")
  assert(bad:foad_similarity{batch = batch}[3][4] == 0, batch .. ": 1 / (1 + inf)")
end
-- histogram entropy of values near the float maximum (max - min overflows float32)
check.near(tensor.new{{-3e38, -1e38, 1.5e38, 3e38}}:entropy{bins = 3}, {1.5}, 1e-6, "entropy near float max")

-- linear algebra
local a = tensor.new{{3, 0}, {4, 5}}
check.near(a:svd(), {math.sqrt(45), math.sqrt(5)}, 1e-5)
check.near(a:nuclear_norm(), math.sqrt(45) + math.sqrt(5), 1e-5)
local s, u, v = a:svd{vectors = true}
check.near((u * s:unsqueeze(1)):matmul(v:t()), a, 1e-5, "u diag(s) v^T")
assert(tensor.new{{1, 2}, {2, 4}}:matrix_rank() == 1)
local batch = tensor.zeros(2, 3, 4, 4)
batch[1][2]:narrow(1, 1, 2):fill(1)       -- rank 1
batch[2][3] = tensor.eye(4)                -- rank 4
local r = batch:matrix_rank()
check.same(r:shape(), {2, 3}); assert(r:dtype() == "int64")
check.near(r:float(), {{0, 1, 0}, {0, 0, 4}})
check.near(batch:matrix_rank{method = "svd"}:float(), {{0, 1, 0}, {0, 0, 4}})
check.near(tensor.eye(4):matrix_rank{atol = 2}, 0)
check.raises(function() batch:matrix_rank{method = "qr"} end, "expected one of gram, svd")
check.raises(function() tensor.new{{1, 0 / 0}, {0, 1}}:matrix_rank() end, "NaN or infinity")
check.raises(function() tensor.zeros(4):svd() end, "at least 2 dimensions")
print("analysis_stats ok")
