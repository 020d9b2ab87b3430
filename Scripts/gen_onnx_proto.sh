#!/usr/bin/env bash
# Regenerates Sources/ONNX/onnx.pb.swift from Sources/ONNX/onnx.proto (run by hand after
# replacing onnx.proto with a newer release's; never at build time — the generated file
# is committed). Needs protoc (Debian's protobuf-compiler, installed through
# Scripts/setup) and protoc-gen-swift, built here from the swift-protobuf version that
# Package.swift resolves (its first build takes ~10 minutes).
# Usage: Scripts/gen_onnx_proto.sh [path/to/protoc-gen-swift]
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup protobuf-compiler
plugin="${1:-}"
if [ -z "$plugin" ]; then
  swift package resolve >/dev/null
  src=.build/checkouts/swift-protobuf
  [ -d "$src" ] || { echo "gen_onnx_proto: no swift-protobuf checkout under .build/checkouts" >&2; exit 1; }
  swift build -c release --package-path "$src" --scratch-path .build/protoc-gen-swift --product protoc-gen-swift >&2
  plugin="$(swift build -c release --package-path "$src" --scratch-path .build/protoc-gen-swift --show-bin-path)/protoc-gen-swift"
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
protoc --plugin=protoc-gen-swift="$plugin" --swift_out="$tmp" --swift_opt=Visibility=Internal \
  -I Sources/ONNX Sources/ONNX/onnx.proto
mv "$tmp/onnx.pb.swift" Sources/ONNX/onnx.pb.swift
echo "wrote Sources/ONNX/onnx.pb.swift ($(wc -c < Sources/ONNX/onnx.pb.swift) bytes) from $(git hash-object Sources/ONNX/onnx.proto | cut -c1-12) onnx.proto"
