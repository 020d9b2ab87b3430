#!/usr/bin/env python3
"""PyTorch anchors for `topiary bench zoo`: the zoo networks ../shared/bench does not cover.

Each network is the one `nn.zoo` builds: `topiary` saves it (`net:save`, architecture as
JSON in the safetensors metadata) and Scripts/topiary_torch.py rebuilds it as torch.nn
modules with the same weights, so both sides run the same layers. Timed as ../shared/bench's
bench_train.py times ResNet-56 (its common.py: warm-up, medians, steal):

  case train_step/{net}  model.train(); zero_grad(set_to_none); cross-entropy of the
                         forward on random labels; backward; SGD(lr 0.1, momentum 0.9,
                         weight_decay 5e-4).step()
  case infer/{net}       model.eval() under torch.inference_mode(), forward only

Networks and inputs (the same as ZooBench.swift): densenet40, googlenet, mobilenetv2, mobilenetv3_small on
ANCHOR_ZOO_BATCH (default 32) CIFAR images 3x32x32; resnet18 and resnet50 (torchvision's
ImageNet layout) on a quarter of that batch of 3x224x224 images.
Env: TOPIARY_BIN (default .build-plain/release/topiary), TOPIARY_BENCH_DIR (default
../shared/bench), ANCHOR_THREADS (default "1,2"), ANCHOR_ONLY, ANCHOR_ZOO_BATCH,
ANCHOR_TRAIN_REPS (default 5 measured steps after 2 warm-up steps).
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.environ.get("TOPIARY_BENCH_DIR", os.path.join(ROOT, "..", "shared", "bench")))
sys.path.insert(0, HERE)
import common  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import topiary_torch  # noqa: E402

REPS = int(os.environ.get("ANCHOR_TRAIN_REPS", "5"))


def zoo_batch():
    try:
        b = int(os.environ.get("ANCHOR_ZOO_BATCH", "32"))
    except ValueError:
        return 32
    return b if 1 <= b <= 1024 else 32


def networks():
    b = zoo_batch()
    return [("densenet40", b, 32), ("googlenet", b, 32), ("mobilenetv2", b, 32), ("mobilenetv3_small", b, 32),
            ("resnet18", max(1, b // 4), 224), ("resnet50", max(1, b // 4), 224)]


def saved(name, folder):
    """The path of `nn.zoo.<name>{}` saved by topiary."""
    binary = os.environ.get("TOPIARY_BIN", os.path.join(ROOT, ".build-plain", "release", "topiary"))
    path = os.path.join(folder, name + ".safetensors")
    script = os.path.join(folder, name + ".lua")
    with open(script, "w") as f:
        f.write(f'tensor.manual_seed(0)\nnn.zoo.{name}{{}}:save("{path}")\n')
    subprocess.run([binary, "run", script], check=True, stdout=subprocess.DEVNULL)
    return path


def count_macs(model, shape):
    """Conv and linear multiply-adds of one image (as models.count_macs)."""
    macs = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            macs[0] += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            macs[0] += m.in_features * m.out_features
    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, *shape[1:]))
    for h in hooks:
        h.remove()
    return macs[0]


def main():
    common.emit_env("bench_zoo.py", torch=torch.__version__,
                    torch_cpu_capability=torch.backends.cpu.get_cpu_capability())
    with tempfile.TemporaryDirectory() as folder:
        for name, batch, size in networks():
            if not (common.selected(f"train_step/{name}") or common.selected(f"infer/{name}")):
                continue
            model = topiary_torch.load(saved(name, folder))
            shape = [batch, 3, size, size]
            macs = count_macs(model, shape)
            params = sum(p.numel() for p in model.parameters())
            g = torch.Generator().manual_seed(1)
            x = torch.randn(*shape, generator=g)
            y = torch.randint(0, 10, (batch,), generator=g)
            crit = nn.CrossEntropyLoss()
            opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)

            def step():
                opt.zero_grad(set_to_none=True)
                loss = crit(model(x), y)
                loss.backward()
                opt.step()
                return loss

            def infer():
                return model(x)

            for t in common.want_threads(default=(1, 2)):
                torch.set_num_threads(t)
                case = f"train_step/{name}"
                if common.selected(case):
                    model.train()
                    tm = common.measure(step, budget_s=0.0, min_reps=REPS, max_reps=REPS, warmup=2)
                    common.emit(case, "torch", t, shape, tm, 6.0 * macs * batch,
                                images_per_s=round(batch / (tm["median_ms"] * 1e-3), 2),
                                fwd_macs_per_image=macs, params=params, optimizer="SGD(0.1, m=0.9, wd=5e-4)")
                case = f"infer/{name}"
                if common.selected(case):
                    model.eval()
                    with torch.inference_mode():
                        tm = common.measure(infer, budget_s=0.0, min_reps=max(REPS, 5), max_reps=max(REPS, 5),
                                            warmup=2)
                    common.emit(case, "torch", t, shape, tm, 2.0 * macs * batch,
                                images_per_s=round(batch / (tm["median_ms"] * 1e-3), 2),
                                fwd_macs_per_image=macs, params=params)


if __name__ == "__main__":
    main()
