#!/usr/bin/env bash
# Makes the Python environment `conlab run --runtime cpython` uses: target/conlab-python, a
# venv of Python 3.11 or later with the pinned packages of python/requirements.txt. Debian's
# python3 needs python3-venv for a venv; it is installed when missing (as root). Idempotent:
# a venv that already has the pinned packages is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/conlab-python
wanted=python/requirements.txt
stamp=$venv/.requirements

say() { echo "setup-python: $*" >&2; }

if [ -x "$venv/bin/python3" ] && cmp -s "$wanted" "$stamp" 2>/dev/null; then
  say "ready ($("$venv/bin/python3" --version))"
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
if [ -z "$python" ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  say "installing python3 from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
  new_enough /usr/bin/python3 && python=/usr/bin/python3
fi
if [ -z "$python" ]; then
  say "conlab's Python lessons need Python 3.11 or later, and none was found; install python3 (3.11+) and python3-venv, then run this again"
  exit 1
fi

rm -rf "$venv"
if ! "$python" -m venv "$venv" 2>/dev/null; then
  # Debian's python3 makes a venv only with python3-venv (ensurepip).
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    say "installing python3-venv from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$venv"
    "$python" -m venv "$venv"
  else
    say "$python cannot make a venv: install python3-venv, then run this again"
    exit 1
  fi
fi
say "installing the pinned packages of $wanted into $venv"
"$venv/bin/python3" -m pip install --quiet --disable-pip-version-check --no-input -r "$wanted"
cp "$wanted" "$stamp"
say "ready ($("$venv/bin/python3" --version))"
