#!/usr/bin/env bash
# The HTTP benchmark's peers: wrk (a Debian package) and oha (cargo install). Not run in CI.
set -euo pipefail
if ! command -v wrk >/dev/null; then
    echo "setup: installing wrk"
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get install -y wrk >/dev/null || { $sudo apt-get update >/dev/null && $sudo apt-get install -y wrk >/dev/null; }
fi
if ! command -v oha >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/oha" ]; then
    echo "setup: installing oha (cargo install --locked oha, a few minutes)"
    cargo install --locked oha
fi
