#!/usr/bin/env bash
# Makes the Python environment of the tracer benchmark (`cargo bench -p conlab --bench tracer`):
# ${CARGO_TARGET_DIR:-target}/conlab-bench-python, a venv of Python 3.11 or later with the
# pinned packages of python/requirements-bench.txt (VizTracer, the peer). The benchmark runs
# every Python process it times with this venv's interpreter: untraced, under conlab's tracer
# (standard library only) and under VizTracer alike. Idempotent: a venv that already has the
# pinned packages is left as it is. `just bench` runs it; the tests do not need it.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${CARGO_TARGET_DIR:-target}/conlab-bench-python
wanted=python/requirements-bench.txt
stamp=$venv/.requirements

say() { echo "setup-bench-python: $*" >&2; }

if [ -x "$venv/bin/python3" ] && cmp -s "$wanted" "$stamp" 2>/dev/null; then
  say "ready ($("$venv/bin/python3" --version), $venv)"
  exit 0
fi

new_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

python=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null && new_enough "$candidate"; then
    python=$(command -v "$candidate")
    break
  fi
done
if [ -z "$python" ]; then
  say "the tracer benchmark needs Python 3.11 or later, and none was found; run scripts/setup-python.sh (which installs one where it can), then this again"
  exit 1
fi

rm -rf "$venv"
if ! "$python" -m venv "$venv" 2>/dev/null; then
  say "$python cannot make a venv: run scripts/setup-python.sh (it installs python3-venv where it can), then this again"
  exit 1
fi
say "installing the pinned packages of $wanted into $venv"
"$venv/bin/python3" -m pip install --quiet --disable-pip-version-check --no-input -r "$wanted"
cp "$wanted" "$stamp"
say "ready ($("$venv/bin/python3" --version), $venv)"
