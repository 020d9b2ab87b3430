-- Least squares and the pseudo-inverse from Lua: systems solved by hand, the ridge,
-- a ThiNet / Channel-Pruning style refit of a conv layer after dropping input channels,
-- and the error messages (each a Lua error; the process goes on).
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")
tensor.manual_seed(5)

-- The line through (0, 1), (1, 2), (2, 4): AᵀA = [[3, 3], [3, 5]], Aᵀb = [7, 10], x = [5/6, 3/2];
-- errors 1/6, -1/3, 1/6, residual 1/6 (numpy.linalg.lstsq gives residuals [0.16666667]).
local a = tensor.new{{1, 0}, {1, 1}, {1, 2}}
local x, info = tensor.lstsq(a, tensor.new{1, 2, 4})
check.same(x:shape(), {2}, "a vector B gives a vector X")
check.near(x, {5 / 6, 3 / 2}, 1e-5, "line fit")
check.near(info.residuals, {1 / 6}, 1e-5, "residual")
assert(info.rank == 2 and math.type(info.rank) == "integer")
check.near(info.singular_values, {math.sqrt(4 + math.sqrt(10)), math.sqrt(4 - math.sqrt(10))}, 1e-5)
-- two columns: the second, [0, 1, 2], lies on x = [0, 1]; also as a method
local x2, info2 = a:lstsq(tensor.new{{1, 0}, {2, 1}, {4, 2}})
check.near(x2, {{5 / 6, 0}, {3 / 2, 1}}, 1e-5)
check.near(info2.residuals, {1 / 6, 0}, 1e-5)

-- exactly determined (2x + y = 3, x + 3y = 5): x = 4/5, y = 7/5, no residuals (as numpy)
local xe, ie = tensor.lstsq(tensor.new{{2, 1}, {1, 3}}, tensor.new{3, 5})
check.near(xe, {0.8, 1.4}, 1e-5)
assert(ie.residuals:numel() == 0 and ie.rank == 2)

-- rank 1 (A = [1, 2, 3]ᵀ[1, 2]): x0 + 2 x1 = 1 fits b = [1, 2, 3]; minimum norm x = [1, 2]/5
local r1 = tensor.new{{1, 2}, {2, 4}, {3, 6}}
local xm, im = tensor.lstsq(r1, tensor.new{1, 2, 3})
check.near(xm, {0.2, 0.4}, 1e-5, "minimum-norm solution")
assert(im.rank == 1 and im.residuals:numel() == 0)
check.near(im.singular_values, {math.sqrt(70), 0}, 1e-5)
-- rcond: A = [[2, 0], [0, 1], [0, 0]] has σ = 2, 1; b = [2, 1, 5] -> x = [1, 1] (residual 25), or
-- [1, 0] once rcond·2 >= 1 drops σ = 1
local d, bd = tensor.new{{2, 0}, {0, 1}, {0, 0}}, tensor.new{2, 1, 5}
local xd, id = tensor.lstsq(d, bd, {rcond = 0.4})
check.near(xd, {1, 1}, 1e-6)
check.near(id.residuals, {25}, 1e-5)
xd, id = tensor.lstsq(d, bd, {rcond = 0.6})
check.near(xd, {1, 0}, 1e-6)
assert(id.rank == 1 and id.residuals:numel() == 0)
-- its pseudo-inverse is [1, 2]ᵀ[1, 2, 3] / (‖a‖²‖v‖² = 70)
check.near(r1:pinv(), {{1 / 70, 2 / 70, 3 / 70}, {2 / 70, 4 / 70, 6 / 70}}, 1e-6, "pinv of rank 1")
check.near(r1:pinv{atol = 9}, tensor.zeros(2, 3), 0, "atol above every σ")
check.near(r1:pinv{rcond = 0.5}, r1:pinv{rtol = 0.5}, 0, "rcond is rtol")

-- Penrose conditions on a batch of wide matrices
local w = tensor.randn(3, 4, 7)
local p = w:pinv()
check.same(p:shape(), {3, 7, 4})
check.near(w:matmul(p):matmul(w), w, 1e-4, "A A+ A = A")
check.near(p:matmul(w):matmul(p), p, 1e-4, "A+ A A+ = A+")
check.near(w:matmul(p), w:matmul(p):transpose(2, 3), 1e-5, "A A+ symmetric")
-- a tall full-rank A: pinv(A) B is the least-squares solution
local tall, rhs = tensor.randn(20, 5), tensor.randn(20, 3)
check.near(tall:pinv():matmul(rhs), tensor.lstsq(tall, rhs), 1e-4, "pinv agrees with lstsq")

-- ridge: (AᵀA + λI) X = Aᵀ B, i.e. the normal equations hold for the returned X
local lam = 0.7
local xr, ir = tensor.lstsq(tall, rhs, {lambda = lam})
check.near(tall:t():matmul(tall):matmul(xr) + xr * lam, tall:t():matmul(rhs), 1e-4, "ridge normal equations")
check.near(ir.residuals, (tall:matmul(xr) - rhs):pow(2):sum(1), 1e-3, "ridge residuals are the data term")
assert(xr:norm() < tensor.lstsq(tall, rhs):norm(), "the ridge shrinks X")

-- ThiNet / Channel Pruning: refit the second conv of a pair after dropping input channels.
local net = nn.Sequential{nn.Conv2d(3, 8, 3, {padding = 1}), nn.ReLU(), nn.Conv2d(8, 6, 3, {bias = false})}
local conv2 = net[3]
local images = tensor.randn(4, 3, 10, 10)
local name = net:named_modules()[3].name   -- the ReLU: its output is conv2's input
local maps = net:capture(name, images)[name]
check.same(maps:shape(), {4, 8, 10, 10})

-- (N, C, H, W) -> (N·H'·W', C·9) patches, columns ordered as the weight's (c, ky, kx)
local function unfold(m)
  local n, c, h, wd = table.unpack(m:shape())
  local ho, wo, shifts = h - 2, wd - 2, {}
  for ky = 1, 3 do for kx = 1, 3 do shifts[#shifts + 1] = m:narrow(3, ky, ho):narrow(4, kx, wo) end end
  return tensor.stack(shifts, 3):permute(1, 4, 5, 2, 3):contiguous():view(n * ho * wo, c * 9)
end
local target = net:forward(images):permute(1, 3, 4, 2):contiguous():view(-1, 6)   -- (N·8·8, 6)
local weight = conv2.weight
check.near(unfold(maps):matmul(weight:view(6, -1):t()), target, 1e-4, "unfolding reproduces conv2")

local keep = tensor.new{1, 2, 4, 5, 7}                  -- drop channels 3, 6, 8
local patches = unfold(maps:index_select(2, keep))     -- (256, 45)
local pruned = weight:index_select(2, keep):view(6, -1):t()
local deleted_err = (patches:matmul(pruned) - target):pow(2):sum()
local refit, fit = tensor.lstsq(patches, target)
check.same(refit:shape(), {45, 6})
assert(fit.rank == 45, "the patches have full column rank")
local refit_err = (patches:matmul(refit) - target):pow(2):sum()
check.near(fit.residuals:sum(), refit_err, 1e-3 * refit_err, "residuals are the refit error")
assert(refit_err < 0.9 * deleted_err, string.format("refit %g vs deleted %g", refit_err, deleted_err))
-- the refit weights in a smaller conv give the same outputs
local small = nn.Conv2d(5, 6, 3, {bias = false})
small.weight = refit:t():contiguous():view(6, 5, 3, 3)
local out = small:forward(maps:index_select(2, keep)):permute(1, 3, 4, 2):contiguous():view(-1, 6)
check.near(out, patches:matmul(refit), 1e-4, "refit conv")
-- a ridge fit is never better on the data, but not far off with a small lambda
local _, ridge = tensor.lstsq(patches, target, {lambda = 1e-2})
assert(ridge.residuals:sum() >= fit.residuals:sum() * (1 - 1e-5) and ridge.residuals:sum() < deleted_err)

-- errors: clear messages naming the argument or option; the process goes on
check.raises(function() tensor.lstsq(tensor.ones(3), tensor.ones(3)) end, "lstsq: A must be a 2-d matrix (m, n), got shape [3]")
check.raises(function() tensor.lstsq(a, tensor.ones(4)) end, "B needs as many rows as A (3)")
check.raises(function() tensor.lstsq(a, tensor.ones(3, 1, 1)) end, "B must be a 2-d matrix (m, k) or a vector (m)")
check.raises(function() tensor.lstsq(a, 3) end, "bad argument #2 to 'lstsq'")
check.raises(function() tensor.lstsq(a:long(), tensor.ones(3)) end, "A must be float32, got int64")
check.raises(function() tensor.lstsq(a, tensor.new{1, 0 / 0, 2}) end, "NaN or infinity")
check.raises(function() tensor.lstsq(a, tensor.ones(3), {rcond = -1}) end, "field 'rcond': expected a number in [0, 1)")
check.raises(function() tensor.lstsq(a, tensor.ones(3), {rcond = 1}) end, "field 'rcond': expected a number in [0, 1)")
check.raises(function() tensor.lstsq(a, tensor.ones(3), {lambda = math.huge}) end, "field 'lambda': expected a finite number >= 0")
check.raises(function() tensor.lstsq(a, tensor.ones(3), {lambda = "big"}) end, "field 'lambda': number expected, got string")
check.raises(function() tensor.lstsq(a, tensor.ones(3), {ridge = 1}) end, "unknown option 'ridge' for lstsq")
check.raises(function() tensor.lstsq(a, tensor.ones(3), 5) end, "bad argument #3 to 'lstsq'")
check.raises(function() r1:pinv{rcond = 0.1, rtol = 0.1} end, "give rcond or rtol, not both")
check.raises(function() r1:pinv{atol = -1} end, "field 'atol'")
check.raises(function() tensor.ones(4):pinv() end, "at least 2 dimensions")
check.raises(function() tensor.new{{1, 1 / 0}}:pinv() end, "NaN or infinity")
-- sizes LAPACK cannot take fail before anything is allocated (an expanded view is cheap)
local huge = tensor.ones(1, 1):expand(60000, 10000)
check.raises(function() huge:pinv() end, "too large for LAPACK")
check.raises(function() tensor.lstsq(huge, tensor.ones(60000)) end, "too large for LAPACK")
check.near(tensor.lstsq(a, tensor.new{1, 2, 4}), {5 / 6, 3 / 2}, 1e-5, "still alive")
print("tensor_lstsq: ok")
