-- The plot module from Lua: constructors in their argument forms, series, options,
-- tostring, SVG text, and saving.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

local function count(s, pattern)
  local n = 0
  for _ in s:gmatch(pattern) do n = n + 1 end
  return n
end

-- line: y only, x and y, and the table form give the same chart
local a = plot.line({1, 4, 9}, {title = "squares", xlabel = "n", ylabel = "n^2", label = "sq"})
local b = plot.line({1, 2, 3}, {1, 4, 9}, {title = "squares", xlabel = "n", ylabel = "n^2", label = "sq"})
local c = plot.line{x = {1, 2, 3}, y = {1, 4, 9}, title = "squares", xlabel = "n", ylabel = "n^2", label = "sq"}
assert(a:svg() == b:svg() and b:svg() == c:svg(), "the three forms agree")
assert(tostring(a) == 'plot.line "squares" (1 series, 3 points)', tostring(a))
local svg = a:svg()
assert(svg:sub(1, 4) == "<svg" and svg:find("</svg>", 1, true))
assert(svg:find('class="axis x"', 1, true) and svg:find('class="axis y"', 1, true))
assert(svg:find(">n^2</text>", 1, true), "y label")
assert(svg:find('class="legend"', 1, true), "a labelled series gets a legend")

-- tensors work as data; add returns the plot, so calls chain
local p = plot.line(tensor.linspace(0, 1, 11), {label = "a"})
assert(p:add(tensor.linspace(1, 0, 11), {label = "b"}) == p)
assert(tostring(p) == "plot.line (2 series, 22 points)", tostring(p))
assert(count(p:svg(), "<polyline") == 2)
assert(p:show() == p, "show returns the plot")
p:set{title = "crossing", width = 800}
assert(p:svg():find('width="800"', 1, true) and tostring(p):find('"crossing"', 1, true))

-- histogram: bins, range, density; counts as numpy.histogram gives them
local h = plot.hist({0, 0.5, 1, 1.5, 2, 2, 3}, {bins = 3, range = {0, 3}})
assert(tostring(h) == "plot.hist (1 series, 3 bins)")
tensor.manual_seed(1)
local h2 = plot.hist(tensor.randn(100, 10), {bins = 25, density = true, label = "randn"})
h2:add(tensor.randn(500) + 1, {label = "shifted"})
assert(tostring(h2) == "plot.hist (2 series, 25 bins)")
assert(h2:svg():find(">density</text>", 1, true))

-- bar, scatter, heatmap
local bar = plot.bar({3, 1, 2}, {labels = {"x", "y", "z"}})
assert(bar:svg():find(">y</text>", 1, true))
bar:add({1, 1, 1}, {label = "second"})
assert(tostring(bar) == "plot.bar (2 series, 3 bars)")
assert(tostring(plot.bar{values = {1, 2}, labels = {10, 20}}) == "plot.bar (1 series, 2 bars)")
local x = tensor.randn(50)
local s = plot.scatter(x, x * 2, {size = 5, label = "pts"})
assert(count(s:svg(), "<circle") == 50 + 1, "50 points and a legend mark")
local hm = plot.heatmap(tensor.new{{1, 2, 3}, {4, 5, 6}}, {title = "m"})
assert(tostring(hm) == 'plot.heatmap "m" (2 x 3)')
assert(hm:svg():find('class="colorbar"', 1, true))
assert(tostring(plot.heatmap{{0, 1}, {1, 0}}) == "plot.heatmap (2 x 2)", "nested tables work")

-- save writes the SVG text
local path = os.tmpname() .. ".svg"
a:save(path)
local f = assert(io.open(path))
local text = f:read("a")
f:close()
os.remove(path)
assert(text == a:svg(), "the saved file is the chart's SVG")
-- Log scales and limits: a loss curve over decades, a learning-rate sweep on a log x axis.
local function tick_labels(svg, axis)
  local body = svg:match('<g class="axis ' .. axis .. '">(.-)</g>\n</g>') or svg:match('<g class="axis ' .. axis .. '">(.*)')
  local out = {}
  for t in body:gmatch('<text[^>]*>([^<]*)</text>') do out[#out + 1] = t end
  return out
end
local loss = plot.line({3, 0.5, 0.08, 0.02}, {yscale = "log", label = "train"})
local ys = tick_labels(loss:svg(), "y")
check.same({ys[1], ys[#ys]}, {"0.01", "10"}, "log y ticks: whole decades around 0.02..3")
local sweep = plot.scatter({1e-4, 1e-3, 1e-2, 1e-1}, {0.6, 0.8, 0.9, 0.4}, {xscale = "log"})
check.same(tick_labels(sweep:svg(), "x"), {"1e-04", "0.001", "0.01", "0.1"}, "log x ticks")
sweep:set{ylim = {0.5, 1}}
assert(sweep:svg():find('clip-path="url(#plot-area)"', 1, true), "limits clip the series")
assert(not plot.line({1, 2}):svg():find("clip-path", 1, true), "no limits, no clip")
print("plot_basics ok")

-- Charts' data counts for the collector: 60 charts of a million points (16 MB each) never pile
-- up, and a collected chart gives its bytes back.
do
  collectgarbage(); collectgarbage()
  local y = tensor.randn(1000000)
  local base, peak = tensor.memory().external, 0
  local one = plot.line(y)
  assert(tensor.memory().external - base >= 16000000, "a chart's points are counted")
  one = nil
  for _ = 1, 60 do
    local c = plot.line(y)
    peak = math.max(peak, tensor.memory().external - base)
  end
  assert(peak < 400 * 1024 * 1024, "charts held at most " .. peak .. " bytes")
  collectgarbage(); collectgarbage()
  assert(tensor.memory().external <= base, "collected charts give their bytes back")
end
print("plot charts counted ok")
