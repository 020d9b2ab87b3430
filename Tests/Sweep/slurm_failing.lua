-- A sweep with tasks that fail (fail = true: the notebook raises) and one that the test
-- cancels while it runs (fail = false, hold = 30).
sweep{
  notebook = "Tests/Sweep/tiny_notebook.lua",
  grid = {fail = {false, true}, hold = {0, 30}},
  out = os.getenv("SWEEP_TEST_OUT_FAIL") or ".build/slurm-test/failing",
}
