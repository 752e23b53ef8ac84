#!/usr/bin/env bash
# Builds the playground into web/dist: wasm (size-optimized profile), wasm-bindgen bindings,
# wasm-opt -Oz when binaryen is installed, and the static files.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p conlab-web --target wasm32-unknown-unknown --profile wasm-release
rm -rf web/dist && mkdir -p web/dist
wasm-bindgen --target web --no-typescript --out-dir web/dist \
  target/wasm32-unknown-unknown/wasm-release/conlab_web.wasm
if command -v wasm-opt >/dev/null; then
  # Debian 12's binaryen (version 108) predates the wasm features rustc and wasm-bindgen now
  # emit and cannot parse the module; then the unoptimized build ships, and says so.
  if wasm-opt -Oz --all-features web/dist/conlab_web_bg.wasm -o web/dist/opt.wasm 2>/dev/null; then
    mv web/dist/opt.wasm web/dist/conlab_web_bg.wasm
  else
    rm -f web/dist/opt.wasm
    echo "note: $(wasm-opt --version) cannot read this module; shipping it without wasm-opt" >&2
  fi
fi
cp web/static/* web/dist/
wasm=$(stat -c %s web/dist/conlab_web_bg.wasm)
gz=$(cat web/dist/conlab_web_bg.wasm web/dist/conlab_web.js | gzip -9 | wc -c)
echo "web/dist: wasm $((wasm / 1024)) KB, wasm+js gzipped $((gz / 1024)) KB"
