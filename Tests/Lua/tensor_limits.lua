-- Allocation failures are Lua errors naming the bytes and what asked, never an abort:
-- huge expands made contiguous, huge shapes, and ops whose outputs are far larger than
-- their inputs (matmul, broadcasting, cat, conv). The interpreter lives on after each.
--
-- The per-tensor cap (TOPIARY_MAX_TENSOR_BYTES) is read once at start, so the script
-- runs itself again under a 256 MB cap: the refusals are then deterministic and nothing
-- near the machine's memory is ever touched.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

if os.getenv("TOPIARY_MAX_TENSOR_BYTES") ~= "256M" then
  local cmd = string.format("TOPIARY_MAX_TENSOR_BYTES=256M %q run %q", arg[-1], arg[0])
  local ok, how, code = os.execute(cmd)
  assert(ok and how == "exit" and code == 0, "tensor_limits under a 256 MB cap failed: " .. tostring(how) .. " " .. tostring(code))
  -- Without a cap the refusal comes from the element limit or the per-tensor bound,
  -- still as an error.
  check.raises(function() tensor.zeros(1):expand(2^40):contiguous() end, "too large")
  check.raises(function() tensor.zeros(2^31, 2^31) end, "too large")
  return
end

local limit = " (more than the limit of 268435456 bytes per tensor; TOPIARY_MAX_TENSOR_BYTES sets it)"

-- Views cost nothing; their contiguous copy is refused with the size it would take.
local big = tensor.zeros(1):expand(3e8)
check.same(big:shape(), {300000000})
check.raises(function() return big:contiguous() end,
  "contiguous: cannot allocate 1200000000 bytes for a float32 tensor of shape [300000000]" .. limit)
check.raises(function() return big:clone() end, "clone: cannot allocate 1200000000 bytes")
check.raises(function() return big:exp() end, "exp: cannot allocate 1200000000 bytes")
check.raises(function() return big + 1 end, "cannot allocate 1200000000 bytes")
check.raises(function() return tensor.new({1}):long():expand(1e8):float() end, "float: cannot allocate 400000000 bytes")

-- Shapes from user input.
check.raises(function() return tensor.zeros(1e5, 1e4) end,
  "zeros: cannot allocate 4000000000 bytes for a float32 tensor of shape [100000, 10000]")
check.raises(function() return tensor.ones(3e8) end, "cannot allocate 1200000000 bytes")
check.raises(function() return tensor.rand(1e5, 1e4) end, "cannot allocate 4000000000 bytes")

-- Outputs far larger than the inputs.
local col, row = tensor.zeros(20000, 1), tensor.zeros(1, 20000)
check.raises(function() return col:matmul(row) end,
  "matmul: cannot allocate 1600000000 bytes for a float32 tensor of shape [20000, 20000]")
check.raises(function() return col + row end, "cannot allocate 1600000000 bytes")
check.raises(function() return col * row end, "cannot allocate 1600000000 bytes")
check.raises(function() return tensor.cat({big, big}, 1) end, "cat: cannot allocate 2400000000 bytes")
local conv = nn.Conv2d(1, 64, 3, {padding = 1})
local batch = tensor.zeros(1, 1, 32, 32):expand(2000, 1, 32, 32)
check.raises(function() return conv:forward(batch) end,
  "cannot allocate 524288000 bytes for a float32 tensor of shape [2000, 64, 32, 32]")
local fc = nn.Linear(4, 70000)
check.raises(function() return fc:forward(tensor.zeros(1, 4):expand(1000, 4)) end,
  "cannot allocate 280000000 bytes")

-- The interpreter goes on, and the same ops at sane sizes work.
check.same(col:narrow(1, 1, 3):matmul(row:narrow(2, 1, 5)):shape(), {3, 5})
check.same(conv:forward(batch:narrow(1, 1, 2)):shape(), {2, 64, 32, 32})
check.same(big:narrow(1, 1, 10):contiguous():shape(), {10})
assert((tensor.ones(3) + 1):sum() == 6)
collectgarbage()
-- totable bounds the Lua values it makes before making any (Lua's memory error is a longjmp
-- that must not cross Swift frames): a billion empty rows is an error, small empty ones work
check.raises(function() return tensor.zeros(0):view(1e9, 0):totable() end,
  "totable: a tensor of shape [1000000000, 0] would make 1000000001 Lua values and tables (at most 67108864): slice it first")
check.raises(function() return tensor.zeros(0):view(1e9, 1e9, 0):totable() end, "Lua values and tables (at most 67108864)")
assert(#tensor.zeros(3, 0):totable() == 3 and next(tensor.zeros(3, 0):totable()[1]) == nil)
