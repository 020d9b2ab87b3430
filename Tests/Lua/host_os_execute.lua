-- os.execute: a command stopped by an interrupt (SIGINT; the script's process ignores it
-- while os.execute waits, so a Ctrl-C or a Jupyter interrupt reaches only the command) stops
-- the script too; other statuses are returned as Lua returns them.
local check = dofile((arg[0]:match("(.*/)") or "./") .. "lib/check.lua")

check.raises(function() os.execute("kill -INT $$") end, "interrupted!")
local ok, how, code = os.execute("exit 3")
assert(ok == nil and how == "exit" and code == 3, "an exit status comes back as is")
ok, how, code = os.execute("kill -TERM $$")
assert(ok == nil and how == "signal" and code == 15, "another signal comes back as is")
assert(os.execute() == true, "no command: whether a shell is there")
print("host_os_execute: ok")
