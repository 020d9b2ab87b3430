-- The sweep the Slurm test submits: 2 widths × 3 noise levels × 2 seeds = 12 tasks.
sweep{
  notebook = "Tests/Sweep/tiny_notebook.lua",
  grid = {width = {2, 4}, noise = {0.0, 0.1, 0.2}, seed = {1, 2}},
  out = os.getenv("SWEEP_TEST_OUT") or ".build/slurm-test/runs",
  plot = {x = "noise", y = "mse", by = "width"},
  slurm = {max = 2},
}
