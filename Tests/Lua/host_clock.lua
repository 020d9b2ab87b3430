-- topiary.clock(): wall-clock seconds, monotonic, with sub-second resolution.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

local t0 = topiary.clock()
assert(math.type(t0) == "float", "seconds as a float")
local t1 = topiary.clock()
assert(t1 >= t0, "monotonic")
assert(t1 - t0 < 0.01, "two calls in a row are close: " .. (t1 - t0))

-- Wall time, not CPU time: a child sleeping 0.3 s takes 0.3 s of the clock and almost
-- no CPU time of this process (os.clock).
local c0, w0 = os.clock(), topiary.clock()
assert(os.execute("sleep 0.3"))
local cpu, wall = os.clock() - c0, topiary.clock() - w0
assert(wall >= 0.29 and wall < 5, "the sleep shows on the wall clock: " .. wall)
assert(cpu < 0.2, "and not as CPU time: " .. cpu)

-- Sub-second resolution: a short busy wait measures well under a second, above zero.
local s = topiary.clock()
local u = s
while u - s < 0.002 do u = topiary.clock() end
check.near(u - s, 0.002, 0.05, "a 2 ms wait")
assert(u - s < 1)

check.raises(function() return topiary.nope() end, "nope")
