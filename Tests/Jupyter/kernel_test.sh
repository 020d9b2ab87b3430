#!/usr/bin/env bash
# The Jupyter kernel with real clients: installs the kernelspec into a temporary prefix,
# records Tests/Jupyter/roundtrip.lua with `notebook run` and exports it (--ipynb), then
# kernel_test.py drives the kernel with jupyter_client (print, value, plot, error,
# interrupts, completion, inspect, is_complete, badly signed messages, restart, shutdown)
# and executes the export with nbclient, comparing its outputs with the recorded ones.
# Also `notebook import` from the CLI. Skips, saying why, when Scripts/pyenv cannot give a
# venv with jupyter_client, nbclient and nbformat (Scripts/setup installs them).
# Usage: Tests/Jupyter/kernel_test.sh [path/to/topiary]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-$(swift build -c release --show-bin-path)/topiary}"
root="$PWD/.build/jupyter-test"

py=$(Scripts/pyenv jupyter_client nbclient nbformat 2>/dev/null) \
  || { echo "SKIP jupyter: no venv with jupyter_client, nbclient and nbformat (Scripts/pyenv failed)"; exit 0; }
fail() { echo "FAIL jupyter: $*"; [ -f "$root/prefix/kernel.log" ] && tail -n 20 "$root/prefix/kernel.log"; exit 1; }

rm -rf "$root"
mkdir -p "$root/prefix"
"$bin" kernel install --prefix "$root/prefix" >/dev/null || fail "kernel install"
spec="$root/prefix/share/jupyter/kernels/topiary/kernel.json"
grep -q '"display_name": "Topiary (Lua)"' "$spec" || fail "kernel.json has no display name: $(cat "$spec")"
echo "ok   kernel install --prefix"

cp Tests/Jupyter/roundtrip.lua "$root/"
"$bin" notebook run -q "$root/roundtrip.lua" 2>/dev/null || fail "notebook run roundtrip.lua"
"$bin" notebook export --ipynb "$root/roundtrip.lua" >/dev/null || fail "notebook export"

# Import: back to a script that records the same outputs; nbformat 3 is refused.
"$bin" notebook import "$root/roundtrip.ipynb" -o "$root/back.lua" >/dev/null || fail "notebook import"
"$bin" notebook run -q "$root/back.lua" 2>/dev/null || fail "the imported notebook does not run"
# (Up to the file name and line numbers in error messages: the layout may differ.)
norm() { sed -E 's/(roundtrip|back)\.lua(:[0-9]+)?/NB/g; /"line":/d' "$1"; }
diff <(norm "$root/roundtrip.out/outputs.json") <(norm "$root/back.out/outputs.json") \
  || fail "the imported notebook records other outputs"
echo '{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}' > "$root/old.ipynb"
if out=$("$bin" notebook import "$root/old.ipynb" 2>&1); then fail "nbformat 3 was imported"; fi
echo "$out" | grep -q "nbformat 3 is not supported" || fail "nbformat 3 refused without the reason: $out"
[ ! -e "$root/old.lua" ] || fail "a refused import wrote a file"
echo "ok   notebook import (round trip, nbformat 3 refused)"

timeout 300 "$py" Tests/Jupyter/kernel_test.py "$bin" "$root/prefix" "$root/roundtrip.ipynb" || fail "kernel_test.py"
