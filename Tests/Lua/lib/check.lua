-- Small assertion helpers shared by the Lua test scripts.
-- local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
local check = {}

--- Fails unless |a - b| <= tol (numbers) or every element is within tol (tensors/tables).
function check.near(a, b, tol, what)
  tol = tol or 1e-5
  if type(a) ~= "number" then a = tensor.new(a) end
  if type(b) ~= "number" then b = tensor.new(b) end
  local d
  if type(a) == "number" and type(b) == "number" then d = math.abs(a - b)
  else d = (tensor.new(a) - b):abs():max() end
  if not (d <= tol) then
    error(string.format("%s: differ by %g (tol %g)\n got: %s\n expected: %s", what or "near",
      d, tol, tostring(a), tostring(b)), 2)
  end
end

--- Fails unless fn raises an error whose message contains `pattern` (plain text).
function check.raises(fn, pattern, what)
  local ok, err = pcall(fn)
  if ok then error((what or "raises") .. ": expected an error containing '" .. pattern .. "'", 2) end
  err = tostring(err)
  if not err:find(pattern, 1, true) then
    error((what or "raises") .. ": error was '" .. err .. "', expected it to contain '" .. pattern .. "'", 2)
  end
  return err
end

--- Fails unless two Lua tables (e.g. shapes) are equal element by element, or two other
--- values are equal.
function check.same(a, b, what)
  if type(a) ~= "table" or type(b) ~= "table" then
    if a ~= b then error(string.format("%s: %s ~= %s", what or "same", tostring(a), tostring(b)), 2) end
    return
  end
  local ok = #a == #b
  for i = 1, #a do ok = ok and a[i] == b[i] end
  if not ok then
    error(string.format("%s: {%s} ~= {%s}", what or "same",
      table.concat(a, ", "), table.concat(b, ", ")), 2)
  end
end

--- Gives every BatchNorm2d of `net` running statistics and a β away from 0 and 1 (and a γ
--- too with gamma = true), so that every channel matters in eval mode.
function check.randomize_bn(net, opts)
  for _, e in ipairs(net:named_modules()) do
    local m = e.module
    if m.type == "BatchNorm2d" then
      local n = m.num_features
      m.running_mean = tensor.randn(n) * ((opts and opts.scale) or 0.1)
      m.running_var = tensor.rand(n) + 0.5
      m.bias = tensor.randn(n) * ((opts and opts.scale) or 0.1)
      if opts and opts.gamma then m.weight = tensor.rand(n) + 0.5 end
    end
  end
end

return check
