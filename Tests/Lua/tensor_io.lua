-- x:save / tensor.load: NumPy .npy round trips, files written byte by byte from the
-- format spec (magic, version, little-endian header length, dict header padded to 64
-- bytes, raw data), and clear errors for corrupt or unsupported files.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

local base = os.tmpname()          -- a fresh empty file; ours go next to it
local made = {base}
local function path(name) local p = base .. "-" .. name; made[#made + 1] = p; return p end

local function write(p, bytes) local f = assert(io.open(p, "wb")); f:write(bytes); f:close() end
local function read(p) local f = assert(io.open(p, "rb")); local s = f:read("a"); f:close(); return s end

-- An .npy file by the spec.
local function npy(dict, data, version)
  version = version or 1
  local prefix = version == 1 and 10 or 12
  local header = dict
  while (prefix + #header + 1) % 64 ~= 0 do header = header .. " " end
  header = header .. "\n"
  local len = version == 1 and string.pack("<I2", #header) or string.pack("<I4", #header)
  return "\x93NUMPY" .. string.char(version, 0) .. len .. header .. data
end

local function main()
-- round trips: float32, int64, 0-d, empty, non-contiguous
local x = tensor.new{{1, -2.5, 3}, {4, 5, 1e30}}
local cases = {x, x:t(), x:narrow(2, 2, 2), tensor.new{7}:sum(1), tensor.zeros(0, 3),
               x:narrow(2, 1, 2):long(), tensor.randperm(5), tensor.arange(24):view(2, 3, 4):permute(3, 1, 2)}
for k, t in ipairs(cases) do
  local p = path(k .. ".npy")
  t:save(p)
  local r = tensor.load(p)
  check.same(r:shape(), t:shape(), "round trip shape " .. k)
  assert(r:dtype() == t:dtype(), "round trip dtype " .. k)
  if t:numel() > 0 then check.near(r, t, 0, "round trip values " .. k) end
end
-- the bytes of a saved file follow the spec
local p = path("spec.npy")
tensor.new{{1, 2}, {3, 4.5}}:save(p)
local bytes = read(p)
assert(#bytes == 144, "64-byte aligned header + 16 data bytes")
assert(bytes:sub(1, 8) == "\x93NUMPY\1\0")
assert(string.unpack("<I2", bytes, 9) == 118)
local dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"
assert(bytes:sub(11, 10 + #dict) == dict)
assert(bytes:sub(128, 128) == "\n")
check.same({string.unpack("<ffff", bytes, 129)}, {1, 2, 3, 4.5, 145})
tensor.save(tensor.new{5, 6}:long(), p)                  -- module form
assert(read(p):find("'descr': '<i8'", 1, true) and read(p):find("'shape': (2,)", 1, true))

-- hand-written files of each readable dtype
p = path("f8.npy")
write(p, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", string.pack("<dd", 1.5, -1e-3)))
local f8 = tensor.load(p)
assert(f8:dtype() == "float32")
check.near(f8, {{1.5}, {-1e-3}})
p = path("i4.npy")
write(p, npy("{'shape': (3,), 'descr': '<i4', 'fortran_order': False}", string.pack("<i4i4i4", 7, -1, 65536), 2))
local i4 = tensor.load(p)
assert(i4:dtype() == "int64")
check.same(i4:totable(), {7, -1, 65536})
p = path("b1.npy")
write(p, npy("{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }", "\1\0\0\1"))
check.near(tensor.load(p), {1, 0, 0, 1})
p = path("u1.npy")
write(p, npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", "\0\1\128\255"))
check.near(tensor.load(p), {{0, 1}, {128, 255}})
p = path("i8.npy")
write(p, npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", string.pack("<i8", -42)))
assert(tensor.load(p):dim() == 0 and tensor.load(p):item() == -42)

-- errors name the file and say what is wrong
local function bad(name, content, text)
  local q = path(name)
  write(q, content)
  local err = check.raises(function() return tensor.load(q) end, text)
  assert(err:find(q, 1, true), "error names the file: " .. err)
end
local good = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", string.pack("<ff", 1, 2))
bad("trunc.npy", good:sub(1, -2), "truncated data: shape [2] of <f4 needs 8 bytes, the file has 7")
bad("trunchead.npy", good:sub(1, 30), "truncated header")
bad("empty.npy", "", "not an .npy file (bad magic)")
bad("magic.npy", "PK\3\4" .. good:sub(5), "bad magic")
bad("fortran.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", string.pack("<ff", 1, 2)),
    "Fortran-order arrays are not supported")
bad("big.npy", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", string.pack(">ff", 1, 2)),
    "big-endian data ('>f4') is not supported")
bad("c8.npy", npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", string.rep("\0", 8)),
    "unsupported dtype '<c8'")
bad("obj.npy", npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", string.rep("\0", 8)),
    "unsupported dtype '|O'")
bad("huge.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4000000000, 4000000000), }", ""),
    "is too large")
bad("header.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", string.pack("<ff", 1, 2)),
    "malformed header")
check.raises(function() return tensor.load(base .. "-missing.npy") end, "-missing.npy: no such file")
check.raises(function() return tensor.load() end, "bad argument #1 to 'load' (string expected, got no value)")
check.raises(function() return tensor.load("") end, "empty file name")
check.raises(function() x:save("/nonexistent-dir/x.npy") end, "save: cannot write /nonexistent-dir/x.npy")
check.raises(function() x:save(3) end, "bad argument #1 to 'save' (string expected, got number)")

end

-- run, then remove every file made, even after a failure
local ok, err = xpcall(main, debug.traceback)
for _, q in ipairs(made) do os.remove(q) end
if not ok then error(err, 0) end
print("tensor_io: ok")
