"""Execute round-trip latency of a trivial cell in the Topiary Jupyter kernel.

Usage: .build/pyenv/bin/python Scripts/bench_kernel.py [path/to/topiary] [--n 1000]
(the venv is the one Scripts/setup makes). Installs the kernelspec into a temporary
prefix, starts the kernel with jupyter_client, warms up, then times N executions of
`x = 1` (no output) and of `1 + 1` (an execute_result): from sending execute_request
until both the execute_reply and the kernel's `idle` status on IOPub (every output has
arrived) are in, which is when a front end shows the cell as done.
Prints one JSON line per cell, as `topiary bench` does. Run it on a quiet machine.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

args = sys.argv[1:]
n = 1000
if "--n" in args:
    k = args.index("--n")
    n = int(args[k + 1])
    del args[k:k + 2]
here = os.path.dirname(os.path.abspath(__file__))
topiary = args[0] if args else os.path.join(here, "..", ".build", "release", "topiary")
prefix = tempfile.mkdtemp(prefix="topiary-kernel-bench-")
subprocess.run([topiary, "kernel", "install", "--prefix", prefix], check=True, stdout=subprocess.DEVNULL)
os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(prefix, "runtime")

from jupyter_client import KernelManager  # noqa: E402

km = KernelManager(kernel_name="topiary")
km.start_kernel()
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=60)


def once(code):
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    while True:
        m = kc.get_iopub_msg(timeout=10)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" \
                and m["content"]["execution_state"] == "idle":
            break
    r = kc.get_shell_msg(timeout=10)
    assert r["content"]["status"] == "ok", r["content"]
    return (time.perf_counter() - t0) * 1e3


try:
    for code in ("x = 1", "1 + 1"):
        for _ in range(100):
            once(code)
        ms = sorted(once(code) for _ in range(n))
        print(json.dumps({
            "bench": "kernel_execute_roundtrip", "code": code, "n": n,
            "ms_median": round(statistics.median(ms), 3), "ms_p90": round(ms[int(0.9 * (n - 1))], 3),
            "ms_mean": round(statistics.fmean(ms), 3), "target_ms": 5,
        }))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=False)
