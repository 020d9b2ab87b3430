# numpy reference for `topiary bench elementwise`: same case names and shapes, one thread, JSON lines
# like ../shared/bench (ANCHOR_ONLY, ANCHOR_BUDGET_S). Run both alternately and compare medians.
import json, sys, timeit, os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np
x = np.random.randn(128, 64, 32, 32).astype(np.float32)
y = np.random.randn(128, 64, 32, 32).astype(np.float32)
b = np.zeros((64, 1, 1), np.float32)
two = np.float32(2)
cases = {
 "ew_add": lambda: x + y, "ew_mul_scalar": lambda: x * two, "ew_relu": lambda: np.maximum(x, 0),
 "ew_exp": lambda: np.exp(x), "ew_sigmoid": lambda: 1 / (1 + np.exp(-x)), "ew_tanh": lambda: np.tanh(x),
 "ew_transpose_add": lambda: x.transpose(0, 1, 3, 2) + y,
 "ew_add_bcast_channel": lambda: x + b, "red_sum_all": lambda: x.sum(), "red_mean_hw": lambda: x.mean((2, 3)),
 "red_sum_batch": lambda: x.sum(0), "red_max_channel": lambda: x.max(1), "red_sum_channel": lambda: x.sum(1),
 "red_mean_bn": lambda: x.mean((0, 2, 3)), "red_var_bn": lambda: x.var((0, 2, 3), ddof=1),
 "red_max_last": lambda: x.max(3),
}
only = [s for s in os.environ.get("ANCHOR_ONLY", "").split(",") if s]
for k, f in cases.items():
    if only and not any(o in k for o in only): continue
    f(); f()
    t = []
    t0 = timeit.default_timer()
    while len(t) < 5 or (timeit.default_timer() - t0 < float(os.environ.get("ANCHOR_BUDGET_S", "1")) and len(t) < 200):
        s = timeit.default_timer(); f(); t.append(timeit.default_timer() - s)
    t.sort()
    print(json.dumps({"case": k, "impl": "numpy", "threads": 1, "shape": list(x.shape),
                      "median_ms": round(t[len(t) // 2] * 1e3, 4), "min_ms": round(t[0] * 1e3, 4), "reps": len(t)}))
