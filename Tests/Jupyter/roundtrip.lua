-- ---
-- title: Kernel round trip
-- seed: 7
-- ---

-- %% [markdown]
-- # Through the kernel
--
-- `Tests/Jupyter/kernel_test.sh` records this notebook with `topiary notebook run`,
-- exports it with `--ipynb`, executes the export in Jupyter (nbclient) with the Topiary
-- kernel and compares every cell's outputs with the recorded ones. The seed is not the
-- default: the export's set-up cell must give the kernel the recorded one.

-- %% Parameters tags=["parameters"]
n = 4

-- %% Streams and a value
print("squares:")
for i = 1, n do io.write(i * i, " ") end
io.write("\n")
io.stderr:write("to stderr\n")
warn("a warning")
string.rep("ab", n)

-- %% Seeded numbers
x = tensor.randn(2, 3)
x

-- %% A table of records
local rows = {}
for i = 1, 3 do rows[i] = {layer = "conv" .. i, channels = 16 * i} end
rows

-- %% A plot
plot.line({1, 2, 3, 4}, {1, 4, 9, 16}, {title = "squares"})

-- %% An error tags=["raises"]
local function inner() error("expected failure") end
inner()

-- %% After the error
n * 10
