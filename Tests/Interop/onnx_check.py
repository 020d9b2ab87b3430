"""Checks the models written by export_models.lua with the real ONNX clients:
onnx.checker (full check, with shape inference) accepts each, and onnxruntime's output on
x.npy (or NAME.x.npy where given) equals Topiary's logits to 1e-4 relative (max |ort - topiary| / max |topiary|).
Usage: python onnx_check.py OUT_DIR NAME..."""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

out, names = sys.argv[1], sys.argv[2:]
failed = 0
for name in names:
    path = f"{out}/{name}.onnx"
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    ops = sorted({n.op_type for n in model.graph.node})
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    own = f"{out}/{name}.x.npy"   # a model with inputs of its own (the random nets' 8×8)
    x = np.load(own if os.path.exists(own) else f"{out}/x.npy")
    got = sess.run(["output"], {"input": x})[0]      # batch 4 through a graph traced at batch 1
    want = np.load(f"{out}/{name}.npy")
    rel = float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))
    ok = got.shape == want.shape and rel <= 1e-4
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} onnx {name}: checker passed, onnxruntime {got.shape} "
          f"rel diff {rel:.2e}, {len(model.graph.node)} nodes ({', '.join(ops)})")
sys.exit(1 if failed else 0)
