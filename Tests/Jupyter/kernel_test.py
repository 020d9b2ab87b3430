"""The Topiary Jupyter kernel driven by real clients (jupyter_client, nbclient).

Usage: kernel_test.py TOPIARY PREFIX NOTEBOOK_IPYNB
  TOPIARY        the topiary binary (its kernelspec is installed under PREFIX)
  PREFIX         the prefix `topiary kernel install --prefix` wrote to
  NOTEBOOK_IPYNB a notebook exported by `topiary notebook export --ipynb` after
                 `topiary notebook run`: nbclient executes it with the kernel and every
                 code cell's outputs must equal the recorded ones.
Run by Tests/Jupyter/kernel_test.sh, which makes the venv, the prefix and the export.
"""
import atexit
import copy
import hashlib
import hmac
import json
import os
import re
import sys
import time

topiary, prefix, exported = sys.argv[1:4]
os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
os.environ["JUPYTER_DATA_DIR"] = os.path.join(prefix, "data")
os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(prefix, "runtime")

import nbformat  # noqa: E402
from jupyter_client import KernelManager  # noqa: E402
from jupyter_client.session import Session  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

checks = 0


def check(cond, what):
    global checks
    if not cond:
        raise AssertionError(what)
    checks += 1


def run(kc, code, timeout=30, **kw):
    """Executes code; returns (reply content, iopub messages for it until idle)."""
    msg_id = kc.execute(code, **kw)
    msgs = []
    deadline = time.time() + timeout
    while True:
        m = kc.get_iopub_msg(timeout=max(deadline - time.time(), 0.1))
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        msgs.append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    check(reply["parent_header"]["msg_id"] == msg_id, "the reply answers the request")
    return reply["content"], msgs


def of_type(msgs, t):
    return [m["content"] for m in msgs if m["msg_type"] == t]


def stdout(msgs):
    return "".join(c["text"] for c in of_type(msgs, "stream") if c["name"] == "stdout")


log_path = os.path.join(prefix, "kernel.log")
log = open(log_path, "w")
km = KernelManager(kernel_name="topiary")
km.start_kernel(stderr=log)
# a failing check must not leave the kernel running (it would hold the caller's pipes open)
atexit.register(lambda: km.has_kernel and km.is_alive() and km.shutdown_kernel(now=True))
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=60)

# kernel_info
kc.kernel_info()
info = kc.get_shell_msg(timeout=10)["content"]
check(info["protocol_version"] == "5.3" and info["implementation"] == "topiary", f"kernel_info: {info}")
check(info["language_info"]["name"] == "lua" and info["language_info"]["file_extension"] == ".lua", "language_info")

# A print: execute_input, busy/idle, a stdout stream, execution count 1.
reply, msgs = run(kc, 'print("hello from Lua")')
check(reply["status"] == "ok" and reply["execution_count"] == 1, f"print reply: {reply}")
check(of_type(msgs, "execute_input")[0]["execution_count"] == 1, "execute_input")
check([c["execution_state"] for c in of_type(msgs, "status")] == ["busy", "idle"], "busy then idle")
check(stdout(msgs) == "hello from Lua\n", f"stdout: {stdout(msgs)!r}")

# An expression: its value as text/plain, as the REPL shows it.
reply, msgs = run(kc, "answer = 6 * 7\nanswer")
results = of_type(msgs, "execute_result")
check(len(results) == 1 and results[0]["data"]["text/plain"] == "42" and results[0]["execution_count"] == 2,
      f"expression: {results}")
reply, msgs = run(kc, "tensor.ones(2, 2):sum()")
check(of_type(msgs, "execute_result")[0]["data"]["text/plain"] == "4.0", f"tensor value: {of_type(msgs, 'execute_result')}")

# A silent execution neither publishes nor counts.
reply, msgs = run(kc, "print('quiet')", silent=True)
check(reply["status"] == "ok" and stdout(msgs) == "" and not of_type(msgs, "execute_input"), "silent")
reply, msgs = run(kc, "answer")
check(reply["execution_count"] == 4, f"count after a silent execution: {reply['execution_count']}")

# A plot: display_data with the SVG.
reply, msgs = run(kc, 'plot.line({1, 2, 3}, {title = "t"})')
shown = of_type(msgs, "display_data")
check(len(shown) == 1 and shown[0]["data"]["image/svg+xml"].startswith("<svg"), "plot as image/svg+xml")

# An error with the Lua traceback; the reply carries it too.
reply, msgs = run(kc, 'local function inner() error("boom") end\ninner()')
errors = of_type(msgs, "error")
check(reply["status"] == "error" and len(errors) == 1, f"error reply: {reply}")
check(errors[0]["evalue"].endswith(":1: boom") and errors[0]["evalue"].startswith("In["), f"evalue: {errors[0]['evalue']}")
check(any("stack traceback:" in line for line in errors[0]["traceback"]), "traceback")
check(any("in local 'inner'" in line for line in errors[0]["traceback"]), f"traceback names the function: {errors[0]['traceback']}")
check(reply["traceback"] == errors[0]["traceback"], "the reply's traceback")

# After a failing cell, requests already queued are aborted (Run All stops at the error).
first = kc.execute('local t = os.clock()\nwhile os.clock() - t < 0.5 do end\nerror("stop here")')
second = kc.execute('never_set = true')
replies = {}
for _ in range(2):
    r = kc.get_shell_msg(timeout=20)
    replies[r["parent_header"]["msg_id"]] = r["content"]["status"]
check(replies == {first: "error", second: "aborted"}, f"queued after an error: {replies}")
reply, msgs = run(kc, "never_set == nil")
check(of_type(msgs, "execute_result")[0]["data"]["text/plain"] == "true", "the aborted cell did not run")
reply, msgs = run(kc, 'error("once")\n', stop_on_error=False)
check(reply["status"] == "error", "stop_on_error=False")

# Interrupt a long loop, by signal (the kernelspec's interrupt_mode) and by message.
for how in ("signal", "message"):
    msg_id = kc.execute("local i = 0\nwhile true do i = i + 1 end")
    time.sleep(0.5)
    if how == "signal":
        km.interrupt_kernel()
    else:
        kc.control_channel.send(kc.session.msg("interrupt_request", {}))
    reply = kc.get_shell_msg(timeout=20)
    check(reply["parent_header"]["msg_id"] == msg_id, "interrupted cell's reply")
    check(reply["content"]["status"] == "error" and "interrupted" in reply["content"]["evalue"],
          f"interrupt by {how}: {reply['content']}")
    reply, msgs = run(kc, "1 + 1")
    check(of_type(msgs, "execute_result")[0]["data"]["text/plain"] == "2", f"alive after the interrupt by {how}")

# A native kernel is interrupted too: ten million tiny products in one matmul call.
msg_id = kc.execute("local a = tensor.ones(1, 1, 4):expand(10000000, 1, 4)\nc = a:matmul(tensor.ones(4, 1))")
time.sleep(0.5)
t0 = time.time()
km.interrupt_kernel()
reply = kc.get_shell_msg(timeout=20)
check(reply["content"]["status"] == "error" and "matmul: interrupted" in reply["content"]["evalue"], f"native interrupt: {reply['content']}")
check(time.time() - t0 < 5, "the interrupt stops the native work promptly")

# io.read asks the front end (input_request on stdin, answered by input_reply); a request
# that does not allow stdin makes it an error; os.execute whose command an interrupt stopped
# stops the cell (system() leaves SIGINT to the command alone).
msg_id = kc.execute('print("before")\nlocal a = io.read()\nlocal n = io.read("n")\ngot_input = a .. "|" .. tostring(n)', allow_stdin=True)
for value in ("hello there", "42"):
    req = kc.get_stdin_msg(timeout=20)
    check(req["msg_type"] == "input_request" and req["parent_header"]["msg_id"] == msg_id, f"input_request: {req}")
    kc.input(value)
reply = kc.get_shell_msg(timeout=20)
check(reply["content"]["status"] == "ok", f"cell with io.read: {reply['content']}")
reply, msgs = run(kc, "got_input")
check(of_type(msgs, "execute_result")[0]["data"]["text/plain"] == "hello there|42.0", f"io.read's values: {msgs}")
msg_id = kc.execute("io.read()", allow_stdin=True)
kc.get_stdin_msg(timeout=20)
kc.control_channel.send(kc.session.msg("interrupt_request", {}))
reply = kc.get_shell_msg(timeout=20)
check(reply["content"]["status"] == "error" and "interrupted" in reply["content"]["evalue"], f"io.read interrupted by message: {reply['content']}")
reply, msgs = run(kc, "io.read()", allow_stdin=False)
check(reply["status"] == "error" and "takes no input" in reply["evalue"], f"io.read without stdin: {reply}")
msg_id = kc.execute('os.execute("sleep 20")\nran_on = true')
time.sleep(0.5)
km.interrupt_kernel()
reply = kc.get_shell_msg(timeout=20)
check(reply["content"]["status"] == "error" and "interrupted" in reply["content"]["evalue"], f"os.execute interrupted: {reply['content']}")
reply, msgs = run(kc, "ran_on == nil")
check(of_type(msgs, "execute_result")[0]["data"]["text/plain"] == "true", "the rest of the cell did not run")

# Completion, inspection, is_complete.
kc.complete("x = tensor.ze", 13)
c = kc.get_shell_msg(timeout=10)["content"]
check("zeros" in c["matches"] and c["cursor_start"] == 11 and c["cursor_end"] == 13, f"complete: {c}")
kc.complete("answ", 4)
check(kc.get_shell_msg(timeout=10)["content"]["matches"] == ["answer"], "complete a global of the session")
kc.inspect("tensor.zeros(2, 3)", 8)
c = kc.get_shell_msg(timeout=10)["content"]
check(c["found"] and "tensor.zeros" in c["data"]["text/plain"] and "Example:" in c["data"]["text/plain"], f"inspect: {c}")
kc.inspect("nothing_here", 3)
check(not kc.get_shell_msg(timeout=10)["content"]["found"], "inspect of an unknown name")
for code, status in [("for i = 1, 3 do", "incomplete"), ("x = 1", "complete"), ("x = = 1", "invalid"),
                     ("s = [[open", "incomplete"), ("1 + 1", "complete")]:
    kc.is_complete(code)
    got = kc.get_shell_msg(timeout=10)["content"]["status"]
    check(got == status, f"is_complete({code!r}) = {got}, expected {status}")

# Bad input on the shell socket: wrongly signed, unsigned, garbage frames, bad JSON (well
# signed). Each is dropped and logged; nothing runs; the kernel goes on.
sock = kc.shell_channel.socket
Session(key=b"not-the-key").send(sock, "execute_request", {"code": "print('pwned')", "silent": False})
Session(key=b"").send(sock, "execute_request", {"code": "print('pwned')", "silent": False})
sock.send_multipart([b"garbage"])
sock.send_multipart([b"<IDS|MSG>", b"sig"])
parts = [b"{not json", b"{}", b"{}", b"{}"]
sig = hmac.new(kc.session.key, b"".join(parts), hashlib.sha256).hexdigest().encode()
sock.send_multipart([b"<IDS|MSG>", sig] + parts)
reply, msgs = run(kc, 'print("still alive")')
check(stdout(msgs) == "still alive\n" and reply["status"] == "ok", "alive after bad messages")
time.sleep(0.2)
log.flush()
logged = open(log_path).read()
check("pwned" not in logged, "nothing ran")
check(logged.count("dropped a message on shell: wrong signature") == 2, f"bad signatures logged: {logged}")
check("dropped a message on shell: no <IDS|MSG> delimiter" in logged, "garbage logged")
check("dropped a message on shell: 1 frame after the delimiter" in logged, "short message logged")
check("dropped a message on shell: header is not JSON" in logged, "bad JSON logged")

# The heartbeat echoes.
import zmq  # noqa: E402
hb = zmq.Context.instance().socket(zmq.REQ)
hb.setsockopt(zmq.LINGER, 0)
hb.connect(f"{km.transport}://{km.ip}:{km.hb_port}")
hb.send(b"ping \x00\xff")
check(hb.poll(5000) and hb.recv() == b"ping \x00\xff", "heartbeat echo")
hb.close()

# Restart: a new process with a fresh state; shutdown: the kernel exits by itself.
first = km.provisioner.process
km.restart_kernel(now=False)
check(first.returncode == 0, f"the kernel exited cleanly on restart (status {first.returncode})")
kc.wait_for_ready(timeout=60)
reply, msgs = run(kc, "answer == nil")
check(of_type(msgs, "execute_result")[0]["data"]["text/plain"] == "true" and reply["execution_count"] == 1, "fresh state after restart")
second = km.provisioner.process
kc.stop_channels()
km.shutdown_kernel(now=False)
check(second.returncode == 0, f"the kernel exited cleanly on shutdown (status {second.returncode})")
print(f"ok   jupyter_client: {checks} checks")

# nbclient executes the exported notebook; outputs must equal `notebook run`'s.
recorded = nbformat.read(exported, as_version=4)
check(recorded.metadata.kernelspec.name == "topiary", "the export names the kernel")
executed = copy.deepcopy(recorded)
NotebookClient(executed, kernel_name="topiary", timeout=60, allow_errors=True).execute()
location = re.compile(r"^[^\s:]+:\d+: ")


def comparable(outputs):
    """Outputs with consecutive streams joined and error locations (nb.lua:12 / In[3]:2) cut."""
    out = []
    for o in outputs:
        if o.output_type == "stream" and out and out[-1][0] == "stream" and out[-1][1] == o.name:
            out[-1] = ("stream", o.name, out[-1][2] + o.text)
        elif o.output_type == "stream":
            out.append(("stream", o.name, o.text))
        elif o.output_type in ("execute_result", "display_data"):
            out.append((o.output_type, json.dumps(o.data, sort_keys=True)))
        elif o.output_type == "error":
            out.append(("error", o.ename, location.sub("", o.evalue), len(o.traceback) > 1))
    return out


compared = 0
for a, b in zip(recorded.cells, executed.cells):
    if a.cell_type != "code":
        continue
    want, got = comparable(a.outputs), comparable(b.outputs)
    check(want == got, f"cell {a.id} differs:\n  notebook run: {want}\n  kernel:       {got}")
    compared += 1
check(compared >= 5, "code cells compared")
print(f"ok   nbclient: {compared} cells of {os.path.basename(exported)} match `topiary notebook run`")
