-- Seeded fuzz test of the pruning API with hostile options: criteria on plain tensors
-- (fpwt, entropy, foad, redundancy), prune.foad_greedy, prune.schedule, and plans, scores
-- and sensitivity runs of every built-in criterion on a small ResNet, each given 0–4
-- options drawn from its own option names with values such as NaN, ±inf, 1e30, 2^40,
-- math.mininteger, fractions, strings, tables and tensors. The process must never crash;
-- every failure is a Lua error whose message is a non-empty string (no Lua-internal
-- "attempt to …"), and enough calls succeed that the fuzz reaches past argument checks.
local seed = tonumber(arg and arg[1]) or 20261205
local rounds = tonumber(arg and arg[2]) or 600
math.randomseed(seed)
tensor.manual_seed(seed)

local function pick(l) return l[math.random(#l)] end
local hostile = {0, 1, 2, -1, 0.5, 0.99, 1.5, 1e30, -1e30, 0 / 0, 1 / 0, -1 / 0, math.maxinteger, math.mininteger,
                 2 ^ 40, 3, 4, 7, 1e-30}
local function number() return math.random() < 0.4 and math.random() or pick(hostile) end
local function value()
  local r = math.random(8)
  if r <= 4 then return number() end
  if r == 5 then return pick{"x", "", "haar", "db2", "sym4", "zero", "periodization", "kmeans", "dbscan", "l1", "layer"} end
  if r == 6 then return {number(), number()} end
  if r == 7 then return pick{true, false} end
  return tensor.randn(2, 2)
end
local function options(names)
  local o = {}
  for _ = 1, math.random(0, 4) do o[pick(names)] = value() end
  return o
end

local FPWT = {"details", "force", "level", "mode", "variant", "wavelet", "weights"}
local ENTROPY = {"base", "bins", "logits", "variant"}
local FOAD = {"s", "t"}
local REDUNDANCY = {"clusters", "dims", "eps", "init", "max_iter", "method", "min_samples", "ratio", "restarts", "seed", "tol"}
local PLAN = {"batches", "ignore", "max_ratio", "normalizer", "p", "point", "ratio", "ratios", "reduction", "round_to",
              "scope", "seed", "target_macs", "target_params"}
local CRITERIA = {"l1", "l2", "fpgm", "bn_scale", "apoz", "hrank", "chip", "entropy", "fpwt", "foad", "redundancy",
                  "taylor", "random", "mean_activation"}
local own = {fpwt = FPWT, entropy = ENTROPY, foad = FOAD, redundancy = REDUNDANCY}
local images = data.tensor_dataset(tensor.randn(8, 3, 8, 8), tensor.new{0, 1, 2, 3, 0, 1, 2, 3})
local calib = data.loader(images, {batch = 4})

local cases = {
  function(maps) return "criteria.fpwt", function() return criteria.fpwt(maps, options(FPWT)) end end,
  function(maps) return "criteria.entropy", function() return criteria.entropy(maps, options(ENTROPY)) end end,
  function(maps) return "criteria.foad", function() return criteria.foad(maps, options(FOAD)) end end,
  function(maps) return "criteria.redundancy", function() return criteria.redundancy(maps, options(REDUNDANCY)) end end,
  function()
    local n = pick{0, 1, 3, 5}
    local S = n > 0 and tensor.rand(n, n) or tensor.randn(2, 3)
    return "prune.foad_greedy", function() return prune.foad_greedy(S, options(FOAD)) end
  end,
  function()
    return "prune.schedule", function()
      local o = options{"ratio", "steps", "initial"}
      o.kind = pick{"oneshot", "iterative", "agp", "x", function() return number() end}
      return prune.schedule(o)
    end
  end,
  function()
    local c = pick(CRITERIA)
    return "prune.plan " .. c, function()
      local names = {table.unpack(PLAN)}
      for _, k in ipairs(own[c] or {}) do names[#names + 1] = k end
      local o = options(names)
      o.criterion = c
      if math.random() < 0.7 then o.input = {1, 3, 8, 8} end
      if math.random() < 0.6 then o.calib = calib end
      if math.random() < 0.5 then o.ratio = pick{0.3, 0.5, number()} end
      local plan = prune.plan(nn.zoo.resnet20{}, o)
      if math.random() < 0.5 then plan:apply() end
    end
  end,
  function()
    local c = pick(CRITERIA)
    return "criteria.score " .. c, function()
      local o = options{"batches", "seed"}
      o.input = {1, 3, 8, 8}; o.calib = calib
      return criteria.score(nn.zoo.resnet20{}, c, o)
    end
  end,
  function()
    return "prune.sensitivity", function()
      local o = options{"criterion", "batches"}
      o.input = {1, 3, 8, 8}; o.eval = calib
      o.ratios = pick{{0.5}, {number()}, {}, {0.2, 0.9}}
      o.groups = pick{nil, {"layer1.0.conv1"}, {"nope"}}
      return prune.sensitivity(nn.zoo.resnet20{}, o)
    end
  end,
}

local passed, failed = 0, 0
for _ = 1, rounds do
  local maps = tensor.randn(pick{1, 2, 4}, pick{1, 3, 8}, pick{1, 2, 3, 8}, pick{1, 2, 3, 8})
  local what, f = pick(cases)(maps)
  local ok, err = pcall(f)
  if ok then
    passed = passed + 1
  else
    failed = failed + 1
    assert(type(err) == "string" and err ~= "", what .. ": error value is not a message: " .. tostring(err))
    assert(not err:find("attempt to", 1, true), what .. ": a Lua-internal error: " .. err)
  end
end
assert(passed >= rounds // 10, string.format("only %d of %d calls succeeded: the fuzz stopped at the argument checks", passed, rounds))
print(string.format("prune_fuzz: ok (seed %d: %d calls succeeded, %d raised clear errors)", seed, passed, failed))
