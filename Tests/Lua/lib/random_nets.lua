-- Random architectures for property tests (Tests/Lua/prune_random_nets.lua, and the ONNX and
-- PyTorch round trips of Tests/Interop/export_models.lua): stacks of conv blocks (1×1, 3×3,
-- strided, depthwise; with or without BN; any activation of the family), residual blocks
-- (identity, option-A and option-B shortcuts), Concat branches, DenseNet layers,
-- squeeze-and-excitation, pooling, ACNet blocks (nn.acnet), and a head on pooled or flattened
-- maps (one or two linears, dropout). Draws from math.random: seed it first.
-- local random_net = dofile(dir .. "lib/random_nets.lua")   -- random_net() -> net, description
local function pick(l) return l[math.random(#l)] end
local acts = {
  function() return nn.ReLU() end, function() return nn.ReLU6() end, function() return nn.LeakyReLU(0.1) end,
  function() return nn.Sigmoid() end, function() return nn.Tanh() end, function() return nn.SiLU() end,
  function() return nn.GELU() end, function() return nn.GELU{approximate = "tanh"} end, function() return nn.ELU(0.7) end,
  function() return nn.Hardswish() end, function() return nn.Hardsigmoid() end,
}

-- A random net on [N, 3, 8, 8] and a description of it (for failure messages).
return function()
  local layers, c, side, what = {}, 3, 8, {}
  local function add(name, m) layers[#layers + 1] = {name .. #layers, m}; what[#what + 1] = name end
  local function conv_block(cin, cout, k, stride, groups)
    local parts = {{"conv", nn.Conv2d(cin, cout, k, {padding = (k - 1) // 2, stride = stride, groups = groups,
                                                     bias = math.random() < 0.3})}}
    if math.random() < 0.8 then parts[#parts + 1] = {"bn", nn.BatchNorm2d(cout)} end
    parts[#parts + 1] = {"act", pick(acts)()}
    return nn.Sequential(parts)
  end
  for _ = 1, math.random(2, 6) do
    local r = math.random(7)
    if r <= 2 or c == 3 then
      local cout, stride = pick{4, 6, 8, 12}, (side > 2 and math.random() < 0.3) and 2 or 1
      add("conv", conv_block(c, cout, pick{1, 3}, stride, 1))
      c, side = cout, stride == 2 and side // 2 or side
    elseif r == 3 then
      add("depthwise", conv_block(c, c, 3, 1, c))
    elseif r == 4 then
      local body = nn.Sequential{{"conv1", nn.Conv2d(c, c, 3, {padding = 1, bias = false})}, {"bn1", nn.BatchNorm2d(c)},
                                 {"act1", pick(acts)()}, {"conv2", nn.Conv2d(c, c, 3, {padding = 1, bias = false})},
                                 {"bn2", nn.BatchNorm2d(c)}}
      add("residual", nn.Residual(body, nil, {post = pick(acts)()}))
    elseif r == 5 and side > 2 then
      local cout = c * 2
      local body = nn.Sequential{{"conv1", nn.Conv2d(c, cout, 3, {padding = 1, stride = 2, bias = false})},
                                 {"bn1", nn.BatchNorm2d(cout)}, {"act1", pick(acts)()},
                                 {"conv2", nn.Conv2d(cout, cout, 3, {padding = 1, bias = false})}, {"bn2", nn.BatchNorm2d(cout)}}
      add("residualA", nn.Residual(body, {option = "A"}, {post = nn.ReLU()}))
      c, side = cout, side // 2
    elseif r == 6 then
      local a, b = pick{2, 4}, pick{3, 5}
      add("concat", nn.Concat{{"a", conv_block(c, a, 1, 1, 1)}, {"b", conv_block(c, b, 3, 1, 1)}})
      c = a + b
    elseif r == 7 then
      add("se", nn.SqueezeExcite(c, math.max(1, c // 4), {activation = pick(acts)(), scale_activation = pick(acts)()}))
    end
    if math.random() < 0.12 then   -- a DenseNet layer: the input and new maps side by side
      local grow = pick{2, 4}
      add("dense", nn.Concat{{"", nn.Identity()}, {"", nn.Sequential{{"bn1", nn.BatchNorm2d(c)}, {"act1", pick(acts)()},
                                                                   {"conv1", nn.Conv2d(c, grow, 3, {padding = 1, bias = false})}}}})
      c = c + grow
    end
    if math.random() < 0.15 then   -- option B: a 1×1 conv + BN shortcut to a new width
      local cout = pick{6, 8, 10}
      local body = nn.Sequential{{"conv1", nn.Conv2d(c, cout, 3, {padding = 1, bias = false})}, {"bn1", nn.BatchNorm2d(cout)},
                                 {"act1", pick(acts)()}}
      local shortcut = nn.Sequential{{"0", nn.Conv2d(c, cout, 1, {bias = false})}, {"1", nn.BatchNorm2d(cout)}}
      add("residualB", nn.Residual(body, shortcut, {post = pick(acts)()}))
      c = cout
    end
    if side >= 4 and math.random() < 0.2 then add("pool", nn.MaxPool2d(2)); side = side // 2 end
  end
  local features = c
  if side <= 4 and math.random() < 0.3 then   -- flattened maps: the linear reads side² features a channel
    add("flatten", nn.Flatten()); features = c * side * side
  else
    add("gap", nn.AdaptiveAvgPool2d(1)); add("flatten", nn.Flatten())
  end
  if math.random() < 0.4 then
    add("fc_hidden", nn.Linear(features, 7)); add("fc_act", pick(acts)())
    if math.random() < 0.5 then add("dropout", nn.Dropout(0.3)) end
    add("fc", nn.Linear(7, 5))
  else
    add("fc", nn.Linear(features, 5))
  end
  local net = nn.Sequential(layers)
  if math.random() < 0.2 then net = nn.acnet(net); what[#what + 1] = "(acnet)" end
  return net, table.concat(what, " ")
end
