#!/usr/bin/env bash
# ONNX export checked by the real clients: export_models.lua writes ResNet-56 (full, 50 %
# pruned, pruned with BatchNorms folded) VGG-16, DenseNet-40, GoogLeNet, MobileNetV2, an ACNet ResNet-20, a CNN of every activation and twelve random architectures as ONNX with Topiary's logits beside
# them; onnx.checker must accept each and onnxruntime's outputs must equal Topiary's to
# 1e-4 relative. Skips, saying why, when the .build/pyenv venv (Scripts/pyenv) cannot be had.
# Usage: Tests/Interop/onnx_test.sh [path/to/topiary]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-$(swift build -c release --show-bin-path)/topiary}"
py=$(Scripts/pyenv onnx onnxruntime numpy 2>/dev/null) || { echo "SKIP onnx: no venv with onnx and onnxruntime (Scripts/pyenv failed)"; exit 0; }
out=.build/interop-test
rm -rf "$out"; mkdir -p "$out"
"$bin" run Tests/Interop/export_models.lua "$out" | sed 's/^/     /'
"$py" Tests/Interop/onnx_check.py "$out" resnet56_full resnet56_pruned resnet56_pruned_folded vgg16 \
  densenet40 googlenet mobilenetv2 resnet20_acnet activations17 activations13 \
  random1 random2 random3 random4 random5 random6 random7 random8 random9 random10 random11 random12
