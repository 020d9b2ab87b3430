#!/usr/bin/env python3
"""Load a model saved by Topiary's `net:save` into PyTorch.

`net:save("m.safetensors")` writes the weights under PyTorch state_dict names and the
architecture as JSON in the safetensors metadata (key "topiary.model"), with every
layer's channel counts as they are after pruning. This module builds the matching
torch.nn model from that JSON (every zoo family: CIFAR ResNets with option-A or -B
shortcuts, VGG, DenseNet, GoogLeNet, MobileNetV2, plain Sequential nets) and loads the
state_dict with strict=True.

    import topiary_torch
    net = topiary_torch.load("pruned.safetensors")    # eval mode
    logits = net(torch.randn(1, 3, 32, 32))

Command line (what Tests/Interop/torch_test.sh runs):
    python3 Scripts/topiary_torch.py m.safetensors [--input x.npy --output y.npy]
prints the model and, with --input, writes net(x) to --output as .npy.

Needs torch and numpy only (the safetensors file is parsed here).
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32,
          "U8": np.uint8, "I8": np.int8, "BOOL": np.bool_}


def read_safetensors(path):
    """(tensors by name, metadata dict) of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file (too short)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        dt = np.dtype(DTYPES[info["dtype"]]).newbyteorder("<")
        arr = np.frombuffer(data[base + start:base + end], dtype=dt).reshape(info["shape"])
        tensors[name] = torch.from_numpy(arr.astype(arr.dtype.newbyteorder("="), copy=True))
    return tensors, meta


def _attach(parent, name, module):
    """Registers `module` as child `name`; a "" child is transparent: its own children
    are registered on the parent instead (Topiary's naming, e.g. a block's layers)."""
    if name == "":
        for n, c in module.named_children():
            parent.add_module(n, c)
    else:
        parent.add_module(name, module)


class Chain(nn.Module):
    """Topiary's Sequential: children run in order (names kept, "" inlined)."""

    def __init__(self, kids):
        super().__init__()
        self.steps = [m for _, m in kids]
        for n, m in kids:
            _attach(self, n, m)

    def forward(self, x):
        for m in self.steps:
            x = m(x)
        return x


class Concat(nn.Module):
    """Channel concatenation of branches that each see the input."""

    def __init__(self, kids):
        super().__init__()
        self.branches = [m for _, m in kids]
        for n, m in kids:
            _attach(self, n, m)

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], 1)


class SqueezeExcite(nn.Module):
    """x * scale_activation(fc2(activation(fc1(avgpool(x))))), as torchvision.ops.SqueezeExcitation
    (the same child names, so the same state_dict keys)."""

    def __init__(self, kids):
        super().__init__()
        for n, m in kids:
            setattr(self, n, m)

    def forward(self, x):
        s = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return x * s


class Residual(nn.Module):
    """post(body(x) + shortcut(x)); a Chain body's layers sit on the block itself."""

    def __init__(self, body, shortcut, post, shortcut_name, post_name):
        super().__init__()
        self.parts = (body, shortcut, post)
        _attach(self, "" if isinstance(body, Chain) else "body", body)
        if shortcut is not None:
            _attach(self, shortcut_name, shortcut)
        if post is not None:
            _attach(self, post_name, post)

    def forward(self, x):
        body, shortcut, post = self.parts
        y = body(x)
        if isinstance(shortcut, ShortcutA):
            s = shortcut(x, target=y.shape)
        else:
            s = x if shortcut is None else shortcut(x)
        y = y + s
        return y if post is None else post(y)


class ShortcutA(nn.Module):
    """Option-A shortcut: x[:, :, ::s, ::s], then zero channels around (or, after
    pruning, input channel i placed at output channel channel_map[i], -1 dropped)."""

    def __init__(self, stride, pad, automatic, channel_map=None, out_channels=None):
        super().__init__()
        self.stride, self.pad, self.automatic = stride, tuple(pad), automatic
        self.channel_map, self.out_channels = channel_map, out_channels

    def extra_repr(self):
        where = (f"channel_map={self.channel_map}, out_channels={self.out_channels}" if self.channel_map is not None
                 else f"pad={self.pad}")
        return f"stride={self.stride}, {where}" + (", automatic" if self.automatic else "")

    def forward(self, x, target=None):
        stride, (before, after) = self.stride, self.pad
        if self.automatic and target is not None:
            stride = max(1, -(-x.shape[2] // target[2]))
            if self.channel_map is None:
                extra = target[1] - x.shape[1]
                before, after = extra // 2, extra - extra // 2
        x = x[:, :, ::stride, ::stride]
        if self.channel_map is None:
            return nn.functional.pad(x, (0, 0, 0, 0, before, after))
        out = x.new_zeros((x.shape[0], self.out_channels) + tuple(x.shape[2:]))
        src = [i for i, o in enumerate(self.channel_map) if o >= 0]
        dst = [self.channel_map[i] for i in src]
        out[:, dst] = x[:, src]
        return out


def _pair(v):
    return tuple(v) if isinstance(v, list) else (v, v)


def build(spec, path="model"):
    """The torch.nn module described by one node of Topiary's architecture JSON."""
    cls = spec.get("class")
    if cls == "Sequential":
        return Chain([(n, build(s, f"{path}.{n or '_'}")) for n, s in spec["children"]])
    if cls == "Concat":
        return Concat([(n, build(s, f"{path}.{n or '_'}")) for n, s in spec["children"]])
    if cls == "SqueezeExcite":
        return SqueezeExcite([(n, build(s, f"{path}.{n}")) for n, s in spec["children"]])
    if cls == "Residual":
        sc = build(spec["shortcut"], path + ".shortcut") if "shortcut" in spec else None
        post = build(spec["post"], path + ".post") if "post" in spec else None
        return Residual(build(spec["body"], path), sc, post, spec.get("shortcut_name", "shortcut"),
                        spec.get("post_name", "relu"))
    if cls == "Conv2d":
        return nn.Conv2d(spec["in_channels"], spec["out_channels"], _pair(spec["kernel_size"]),
                         stride=_pair(spec["stride"]), padding=_pair(spec["padding"]),
                         dilation=_pair(spec["dilation"]), groups=spec["groups"], bias=spec["bias"])
    if cls == "Linear":
        return nn.Linear(spec["in_features"], spec["out_features"], bias=spec["bias"])
    if cls in ("BatchNorm2d", "BatchNorm1d"):
        bn = nn.BatchNorm2d if cls == "BatchNorm2d" else nn.BatchNorm1d
        return bn(spec["num_features"], eps=spec["eps"], momentum=spec.get("momentum"),
                  affine=spec["affine"], track_running_stats=spec["track_running_stats"])
    if cls == "ReLU":
        return nn.ReLU()
    if cls == "ReLU6":
        return nn.ReLU6()
    if cls == "LeakyReLU":
        return nn.LeakyReLU(spec["negative_slope"])
    if cls in ("Sigmoid", "Tanh", "SiLU", "Hardswish", "Hardsigmoid"):
        return getattr(nn, cls)()
    if cls == "GELU":
        return nn.GELU(approximate=spec.get("approximate", "none"))
    if cls == "ELU":
        return nn.ELU(spec["alpha"])
    if cls == "Identity":
        return nn.Identity()
    if cls == "Dropout":
        return nn.Dropout(spec["p"])
    if cls == "Flatten":
        return nn.Flatten(spec["start_dim"], spec["end_dim"])
    if cls == "MaxPool2d":
        return nn.MaxPool2d(_pair(spec["kernel_size"]), _pair(spec["stride"]), _pair(spec["padding"]),
                            _pair(spec["dilation"]), ceil_mode=spec["ceil_mode"])
    if cls == "AvgPool2d":
        return nn.AvgPool2d(_pair(spec["kernel_size"]), _pair(spec["stride"]), _pair(spec["padding"]),
                            ceil_mode=spec["ceil_mode"], count_include_pad=spec["count_include_pad"])
    if cls == "AdaptiveAvgPool2d":
        return nn.AdaptiveAvgPool2d(_pair(spec["output_size"]))
    if cls == "ShortcutA":
        return ShortcutA(spec["stride"], _pair(spec["pad"]), spec["automatic"], spec.get("channel_map"),
                         spec.get("out_channels"))
    raise ValueError(f"{path}: layer class {cls!r} has no torch.nn equivalent here"
                     + (" (fuse ACConv2d blocks with nn.fuse(net) before saving)" if cls == "ACConv2d" else ""))


def load(path):
    """The model saved by `net:save(path)`, weights loaded (strict), in eval mode."""
    tensors, meta = read_safetensors(path)
    if "topiary.model" not in meta:
        raise ValueError(f"{path}: no architecture in the metadata (not written by Topiary's net:save)")
    net = build(json.loads(meta["topiary.model"]))
    state = {k: v for k, v in tensors.items() if not k.startswith("optimizer.")}
    net.load_state_dict(state, strict=True)
    return net.eval()


def main(argv):
    import argparse
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("--input", help=".npy input batch")
    p.add_argument("--output", help=".npy file for the logits")
    a = p.parse_args(argv)
    net = load(a.model)
    print(net)
    if a.input:
        with torch.no_grad():
            y = net(torch.from_numpy(np.load(a.input)))
        np.save(a.output, y.numpy())
        print("logits", tuple(y.shape), "written to", a.output)


if __name__ == "__main__":
    main(sys.argv[1:])
