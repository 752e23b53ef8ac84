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
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types \
    web/dist/conlab_web_bg.wasm -o web/dist/conlab_web_bg.wasm
fi
cp web/static/* web/dist/
wasm=$(stat -c %s web/dist/conlab_web_bg.wasm)
gz=$(cat web/dist/conlab_web_bg.wasm web/dist/conlab_web.js | gzip -9 | wc -c)
echo "web/dist: wasm $((wasm / 1024)) KB, wasm+js gzipped $((gz / 1024)) KB"
