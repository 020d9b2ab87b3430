-- Helpers shared by the MPI test scripts: a net's state as one tensor, and a check that a
-- tensor is the same on every rank.
-- local state = dofile((arg[0]:match("(.*/)") or "./") .. "lib/state.lua")
local check = dofile((arg[0]:match("(.*/)") or "./") .. "../Lua/lib/check.lua")
local state = {}

--- Every float tensor of net's state dict, flattened in state-dict order.
function state.flat(net)
  local sd, parts = net:state_dict(), {}
  for _, k in ipairs(net:state_dict_keys()) do
    if sd[k]:dtype() == "float32" then parts[#parts + 1] = sd[k]:reshape(-1) end
  end
  return tensor.cat(parts, 1)
end

--- Fails unless `t` holds the same values on every rank.
function state.identical_on_every_rank(t, what)
  check.near(dist.allreduce(t:clone(), "max"), dist.allreduce(t:clone(), "min"), 0, what)
end

return state
