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
epochs = 3         -- training epochs of the Fashion-MNIST model at the end
n_train = 60000    -- training images used (try -p n_train=6000 for a quick look)

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

-- %% [markdown]
-- ## Training a CNN on Fashion-MNIST
--
-- The default dataset comes from Debian's `dataset-fashion-mnist` package (the Scripts
-- install it). Images are 1×28×28 in [0, 1], labels are class ids 0–9.

-- %% Data
train_set = data.fashion_mnist{split = "train"}:subset(1, n_train)
test_set = data.fashion_mnist{split = "test"}
norm = data.normalize({0.2860}, {0.3530})
train_loader = data.loader(train_set, {batch = 128, shuffle = true, seed = 1, transform = norm})
test_loader = data.loader(test_set, {batch = 500, transform = norm})
print(string.format("%d training and %d test images, %d batches per epoch", #train_set, #test_set, #train_loader))

-- %% The model and its per-layer table
net = nn.zoo.small_cnn{classes = 10}
print(net:summary{1, 1, 28, 28})

-- %% Train
-- SGD with momentum, cosine learning rate; the test set is evaluated after every epoch.
history = train.fit(net, train_loader, {
  epochs = epochs,
  optimizer = train.sgd{lr = 0.05, momentum = 0.9, weight_decay = 5e-4, nesterov = true},
  schedule = train.schedule.cosine{t_max = epochs},
  eval = test_loader,
})
final = history.epochs[#history.epochs].eval
print(string.format("test accuracy after %d epochs: %.2f %%", epochs, 100 * final.top1))

-- %% Loss and accuracy curves
epoch_ids, train_loss, test_loss, train_acc, test_acc = {}, {}, {}, {}, {}
for i, e in ipairs(history.epochs) do
  epoch_ids[i], train_loss[i], test_loss[i] = e.epoch, e.loss, e.eval.loss
  train_acc[i], test_acc[i] = 100 * e.top1, 100 * e.eval.top1
end
curves = plot.line{x = epoch_ids, y = train_loss, label = "train loss", title = "Cross-entropy", xlabel = "epoch", ylabel = "loss"}
curves:add{x = epoch_ids, y = test_loss, label = "test loss"}
curves:show()

-- %% Accuracy
acc = plot.line{x = epoch_ids, y = train_acc, label = "train top-1", title = "Accuracy", xlabel = "epoch", ylabel = "%"}
acc:add{x = epoch_ids, y = test_acc, label = "test top-1"}
acc:show()
