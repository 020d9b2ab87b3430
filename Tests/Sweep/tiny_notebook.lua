-- A tiny notebook for the sweep tests: a seeded linear fit whose error depends on its
-- parameters, reported with report{...}. Runs in well under a second.

-- %% Parameters tags=["parameters"]
width = 4         -- features
noise = 0.1       -- label noise
seed = 1
fail = false      -- true: the run fails (a failing task)
hold = 0          -- seconds to wait first (a task to cancel while it runs)

-- %% Fit
tensor.manual_seed(seed)
if fail then error("asked to fail (fail = true)") end
if hold > 0 then os.execute("sleep " .. hold) end
local x = tensor.randn(64, width)
local w = tensor.randn(width, 1)
local y = x:matmul(w) + tensor.randn(64, 1) * noise
local err = (x:matmul(w) - y):pow(2):mean()
report{mse = err, features = width, noise = noise}
print(string.format("width %d noise %.2f seed %d: mse %.5f", width, noise, seed, err))
