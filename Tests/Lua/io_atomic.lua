-- Every writer is atomic: the target is replaced by a rename, never truncated first;
-- a failed write leaves no temporary file; temporaries of killed writers are cleaned.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

local dir = os.tmpname(); os.remove(dir)
assert(os.execute("mkdir -p '" .. dir .. "'"))
local function listing()
  local names = {}
  local ls = io.popen("ls -a '" .. dir .. "'")
  for n in ls:lines() do
    if n ~= "." and n ~= ".." then names[#names + 1] = n end
  end
  ls:close()
  table.sort(names)
  return table.concat(names, " ")
end

-- A reader holding the old file keeps reading the old bytes (a rename, not a truncate).
for _, w in ipairs{
  {"x.npy", function(p, t) t:save(p) end},
  {"x.safetensors", function(p, t) tensor.save_safetensors(p, {x = t}) end},
  {"m.safetensors", function(p, t) nn.Sequential{nn.Linear(t:numel(), 2)}:save(p) end},
} do
  local path = dir .. "/" .. w[1]
  w[2](path, tensor.ones(1000))
  local f = assert(io.open(path, "rb"))
  local before = f:read(16)
  w[2](path, tensor.zeros(5))
  f:seek("set", 0)
  local all = f:read("a"); f:close()
  assert(all:sub(1, 16) == before and #all > 1000, w[1] .. ": the old file was truncated in place")
end
assert(listing() == "m.safetensors x.npy x.safetensors", listing())

-- A failed write (the target is a directory) leaves the directory alone and no temporary.
assert(os.execute("mkdir '" .. dir .. "/d.npy'"))
check.raises(function() tensor.ones(3):save(dir .. "/d.npy") end, "save: cannot write")
check.raises(function() tensor.ones(3):save(dir .. "/missing/x.npy") end, "save: cannot write")
assert(listing() == "d.npy m.safetensors x.npy x.safetensors", listing())

-- Temporaries of dead writers are removed when the file is written again; those of
-- live processes stay.
local h = io.popen("sh -c 'echo $$'")
local dead = h:read("l"); h:close()          -- reaped: the PID is gone
for _, n in ipairs{"x.npy.tmp-" .. dead .. "-12345", "x.npy.tmp-1-777", "x.npy.tmp-notapid", "y.npy.tmp-" .. dead .. "-1"} do
  assert(io.open(dir .. "/" .. n, "wb")):close()
end
tensor.ones(2):save(dir .. "/x.npy")
assert(listing() == "d.npy m.safetensors x.npy x.npy.tmp-1-777 x.npy.tmp-notapid x.safetensors y.npy.tmp-" .. dead .. "-1", listing())
check.near(tensor.load(dir .. "/x.npy"), {1, 1})
assert(os.execute("rm -rf '" .. dir .. "'"))
