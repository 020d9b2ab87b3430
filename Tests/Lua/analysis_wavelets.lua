-- Wavelets from Lua: band names and shapes, PyWavelets' values on a tiny input,
-- reconstruction, the coefficient list of wavedec2, and the error messages.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

-- haar on one 2x2 block: cA = (a+b+c+d)/2, cH = (a+b-c-d)/2, cV = (a-b+c-d)/2, cD = (a-b-c+d)/2
local b = tensor.new{{1, 2}, {3, 4}}:dwt2("haar")
check.near(b.ll, {{5}}); check.near(b.lh, {{-2}}); check.near(b.hl, {{-1}}); check.near(b.hh, {{0}})

-- PyWavelets 1.9.0 on a 1x3 map (values printed by pywt.dwt2, float32):
--   mode="zero":      cA [[1.4999999, 1.4999999]], cV [[-0.49999997, 1.4999999]]
--   mode="symmetric": cA [[2.9999998, 5.9999995]], cV [[-0.99999994, 0]], cH = cD = 0
local z = tensor.new{{1, 2, 3}}:dwt2("db1", {mode = "zero"})
check.same(z.ll:shape(), {1, 2})
check.near(z.ll, {{1.4999999, 1.4999999}}, 1e-6); check.near(z.hl, {{-0.49999997, 1.4999999}}, 1e-6)
check.near(z.lh, {{1.4999999, 1.4999999}}, 1e-6); check.near(z.hh, {{-0.49999997, 1.4999999}}, 1e-6)
local s = tensor.new{{1, 2, 3}}:dwt2("db1")
check.near(s.ll, {{2.9999998, 5.9999995}}, 1e-6); check.near(s.hl, {{-0.99999994, 0}}, 1e-6)
check.near(s.lh, {{0, 0}}, 1e-6); check.near(s.hh, {{0, 0}}, 1e-6)

-- shapes follow PyWavelets: db2 symmetric 32 -> 17, periodization 32 -> 16, odd 5x7 -> 4x5
local x = tensor.randn(2, 3, 32, 32)
check.same(x:dwt2("db2").ll:shape(), {2, 3, 17, 17})
check.same(x:dwt2("db2", {mode = "periodization"}).hh:shape(), {2, 3, 16, 16})
check.same(tensor.randn(5, 7):dwt2("db2").hl:shape(), {4, 5})

-- perfect reconstruction (odd sizes come back one larger, as in PyWavelets)
local names, modes = tensor.wavelets()
assert(#names == 19 and names[1] == "haar" and #modes == 6, "wavelets() lists 19 wavelets, 6 modes")
local odd = tensor.randn(2, 9, 11)
for _, w in ipairs{"haar", "db4", "sym5", "coif2"} do
  for _, m in ipairs(modes) do
    local y = tensor.idwt2(odd:dwt2(w, {mode = m}), w, {mode = m})
    check.near(y:narrow(2, 1, 9):narrow(3, 1, 11), odd, 1e-4, w .. " " .. m)
  end
end
-- a missing band counts as zeros
local full = tensor.idwt2(x:dwt2("db2"), "db2")
local parts = x:dwt2("db2"); parts.hh = nil
local approx = tensor.idwt2(parts, "db2")
check.near(full - approx, tensor.idwt2({hh = x:dwt2("db2").hh}, "db2"), 1e-4, "linearity")

-- wavedec2 / waverec2: {cA_n, {lh, hl, hh}_n, ..., {lh, hl, hh}_1}
local c = x:wavedec2("haar", 3)
assert(#c == 4, "approximation + 3 levels")
check.same(c[1]:shape(), {2, 3, 4, 4}); check.same(c[2].lh:shape(), {2, 3, 4, 4})
check.same(c[4].hh:shape(), {2, 3, 16, 16})
check.near(tensor.waverec2(c, "haar"), x, 1e-4, "waverec2")
local c2 = odd:wavedec2("sym2", 2, {mode = "periodic", force = true})
check.near(tensor.waverec2(c2, "sym2", {mode = "periodic"}):narrow(2, 1, 9):narrow(3, 1, 11), odd, 1e-4)

-- errors
check.raises(function() x:dwt2("db9") end, "unknown wavelet 'db9' (valid: haar, db1")
check.raises(function() x:dwt2("haar", {mode = "smooth"}) end,
  "expected one of symmetric, periodization, zero, reflect, periodic, constant")
check.raises(function() x:wavedec2("db2", 4) end, "maximum level 3")
check.raises(function() x:wavedec2("haar", 1 << 40, {force = true}) end, "level must be in 0...32")
check.raises(function() tensor.randn(8, 8):wavedec2("db4", 2) end, "maximum level 0")
local forced = tensor.randn(8, 8):wavedec2("db4", 2, {force = true})
check.same(forced[1]:shape(), {7, 7})   -- pywt.wavedec2(zeros((8, 8)), "db4", level=2)[0].shape
check.raises(function() x:dwt2("haar", {mdoe = "zero"}) end, "unknown option 'mdoe'")
check.raises(function() tensor.idwt2({ll = tensor.zeros(2, 2), hh = tensor.zeros(3, 3)}, "haar") end, "same shape")
check.raises(function() tensor.idwt2({}, "haar") end, "all four bands are nil")
check.raises(function() tensor.waverec2({}, "haar") end, "coefficient list is empty")
check.raises(function() tensor.zeros(5):dwt2("haar") end, "at least 2 dimensions")
print("analysis_wavelets ok")
