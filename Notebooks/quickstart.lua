-- ---
-- seed: 1
-- tolerance: 1e-5
-- ---

-- %% [markdown]
-- # Topiary quickstart
--
-- This file is a *notebook script*: plain Lua whose `-- %%` lines start cells
-- (jupytext's percent format). It runs as a script, `topiary run Notebooks/quickstart.lua`,
-- or as a notebook, `topiary notebook run Notebooks/quickstart.lua`, which keeps every
-- cell's outputs in `quickstart.out.md` and `quickstart.out/`. Then
-- `topiary notebook replay Notebooks/quickstart.lua` re-runs it from the recorded seed
-- and compares each cell with what was recorded.
--
-- Cells share globals; a `local` ends with its cell.

-- %% Parameters tags=["parameters"]
n_samples = 2000   -- size of the random sample plotted below (try -p n_samples=500)

-- %% [markdown]
-- ## Tensors
--
-- Built from nested tables, by constructors, or from the seeded generator.
-- Indices and dimensions are 1-based, as in Torch7.

-- %% Tensors from tables
a = tensor.new{{1, 2, 3}, {4, 5, 6}}
print(a)
print("shape", table.concat(a:shape(), " x "), "dtype", a:dtype())

-- %% Views share storage
-- Narrowing, then filling, writes through to the original tensor.
b = tensor.zeros(3, 4)
b:narrow(2, 2, 2):fill(7)
print(b)

-- %% Broadcasting and reductions
x = tensor.randn(8, 16)
z = (x - x:mean(1, true)) / x:std(1, true)
print(string.format("standardised columns: mean %.4f, std of column 1 %.4f",
  z:mean(), z:narrow(2, 1, 1):std()))

-- %% A toy pruning score
-- The L2 norm of each "filter" (row) of a weight matrix: a pruning criterion in one line.
w = tensor.randn(6, 27)
scores = w:norm(2, 2)
local best, idx = scores:max(1)
print(scores)
print(string.format("strongest filter: %d, with norm %.4f", idx:item(), best:item()))

-- %% [markdown]
-- A cell that ends in a call shows the value the call returns; a list of records
-- is shown as a table.

-- %% Filters ranked by score
function ranking(s)
  local rows = {}
  for i = 1, s:size(1) do rows[i] = {filter = i, norm = s[i]} end
  table.sort(rows, function(p, q) return p.norm > q.norm end)
  for rank, r in ipairs(rows) do
    r.rank, r.norm = rank, tonumber(string.format("%.4f", r.norm))
  end
  return rows
end
ranking(scores)

-- %% [markdown]
-- ## Plots
--
-- `plot.line`, `plot.bar`, `plot.hist`, `plot.scatter` and `plot.heatmap` draw SVG.
-- A plot returned from a cell (here by `p:show()`) or saved with `p:save(path)`
-- appears in the notebook's outputs.

-- %% Histogram of randn
sample = tensor.randn(n_samples)
print(string.format("mean %.4f, std %.4f", sample:mean(), sample:std()))
hist = plot.hist(sample, {bins = 30, title = "tensor.randn(" .. n_samples .. ")", xlabel = "value", label = "sample"})
hist:show()

-- %% A random walk
walk = tensor.randn(200):cumsum(1)
plot.line(walk, {title = "Random walk", xlabel = "step", ylabel = "position", label = "cumsum(randn)"})

-- %% Matrix products
-- Matrix products go to OpenBLAS.
m = tensor.randn(256, 128):matmul(tensor.randn(128, 64))
print("matmul result shape:", table.concat(m:shape(), " x "))
