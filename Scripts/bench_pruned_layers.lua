-- The 3×3 stride-1 convolutions of ResNet-56 and of its 50 % pruned form (every block's
-- inner channels halved), timed one by one: forward alone (eval, no epilogue), batch 128,
-- median of `reps` rounds (each layer once a round) after a warm-up, then the sums weighted by how often each layer
-- occurs in the net. A benchmark, not a test: run on a quiet machine, e.g.
--   TOPIARY_THREADS=1 topiary run Scripts/bench_pruned_layers.lua 9
local shapes = {
  -- name, in, out, plane, layers of this shape in the net
  {"full s1 16c32", 16, 16, 32, 18}, {"full s2 32c16", 32, 32, 16, 17}, {"full s3 64c8", 64, 64, 8, 17},
  {"pruned s1 16to8 c32", 16, 8, 32, 9}, {"pruned s1 8to16 c32", 8, 16, 32, 9},
  {"pruned s2 32to16 c16", 32, 16, 16, 8}, {"pruned s2 16to32 c16", 16, 32, 16, 9},
  {"pruned s3 64to32 c8", 64, 32, 8, 8}, {"pruned s3 32to64 c8", 32, 64, 8, 9},
}
local reps = math.max(1, tonumber(arg and arg[1]) or 7)
-- Every layer once per round, rounds repeated: drift of the machine's speed spreads over all
-- shapes alike instead of over the ones timed last.
local layers = {}
for i, s in ipairs(shapes) do
  local name, cin, cout, hw, count = table.unpack(s)
  local conv = nn.Conv2d(cin, cout, 3, {padding = 1, bias = false})
  conv:eval()
  layers[i] = {name = name, count = count, conv = conv, x = tensor.randn({128, cin, hw, hw}), t = {}}
  conv:forward(layers[i].x)
end
for r = 1, reps do
  for _, l in ipairs(layers) do
    collectgarbage()   -- the last output's buffer goes back to the pool: no fresh pages timed
    local t0 = topiary.clock(); l.conv:forward(l.x); l.t[r] = topiary.clock() - t0
  end
end
local total = {full = 0, pruned = 0}
for _, l in ipairs(layers) do
  table.sort(l.t)
  local ms = l.t[(reps + 1) // 2] * 1e3
  local net = l.name:match("^%a+")
  total[net] = total[net] + ms * l.count
  print(string.format("%-22s %7.2f ms  x%2d = %7.1f ms", l.name, ms, l.count, ms * l.count))
end
print(string.format("3x3 stride-1 convs: full %.1f ms, pruned %.1f ms, full / pruned %.2f",
                    total.full, total.pruned, total.full / total.pruned))
