#!/usr/bin/env bash
# Installs what the browser tests need on a fresh machine, skipping what is already there:
# the wasm32 target, wasm-bindgen-cli at exactly the version in Cargo.lock, and Debian's
# Chromium, ChromeDriver and binaryen (wasm-opt; from npm too, as Debian's is too old).
# With --build-only: only what building the web app needs (for `just run-native` and `just
# serve`), without Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$want" ]; then
  echo "setup: cannot find wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "setup: installing wasm-bindgen-cli $want (found: ${have:-none}); about 2 minutes"
  # Not --locked: one of the CLI's locked dependencies is not on every registry mirror.
  cargo install --quiet --force wasm-bindgen-cli --version "$want"
fi

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v wasm-opt >/dev/null || missing+=(binaryen)
# A CJK font, so the Chinese pages render (and their screenshots show) real characters.
fc-list 2>/dev/null | grep -qi "wenquanyi\|cjk" || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} from Debian"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Debian 12's wasm-opt cannot read modules from this wasm-bindgen; binaryen from npm, pinned.
binaryen=123.0.0
if [ ! -x target/tools/binaryen/node_modules/.bin/wasm-opt ] && command -v npm >/dev/null; then
  echo "setup: installing binaryen $binaryen from npm into target/tools/binaryen"
  mkdir -p target/tools/binaryen
  npm install --silent --no-audit --no-fund --prefix target/tools/binaryen "binaryen@$binaryen" >/dev/null
fi
# terser shortens the JavaScript wasm-bindgen writes (2 KB of the page's gzipped download).
terser=5.36.0
if [ ! -x target/tools/terser/node_modules/.bin/terser ] && command -v npm >/dev/null; then
  echo "setup: installing terser $terser from npm into target/tools/terser"
  mkdir -p target/tools/terser
  npm install --silent --no-audit --no-fund --prefix target/tools/terser "terser@$terser" >/dev/null
fi
[ "${1:-}" = "--build-only" ] && { echo "setup: ready to build the web app (wasm-bindgen $want)"; exit 0; }
echo "setup: browser tests ready (wasm-bindgen $want, $(chromium --version 2>/dev/null | head -n1))"
