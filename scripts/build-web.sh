#!/usr/bin/env bash
# Builds the playground into web/dist: wasm (size-optimized profile) for the page and for the
# two Workers it starts (thread scenarios on the scheduler; async ones on the virtual-time
# executor), wasm-bindgen bindings, wasm-opt -Oz --converge, the static files (playground, embed
# page, embed loader, the Workers' scripts) and the recorded native runs in web/recorded.
#
# With --served: the build `conlab serve` embeds (feature `served`: Run natively), into
# web/dist-served. The site's build (web/dist) stays without it, within its size budget.
set -euo pipefail
cd "$(dirname "$0")/.."
out=web/dist
features=()
if [ "${1:-}" = "--served" ]; then
  out=web/dist-served
  features=(--features conlab-web/served)
fi
rm -rf "$out" && mkdir -p "$out"
wasm_dir="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release"
# Separate builds: built together, the page would get the Workers' features too (cargo unifies
# the features of the crates both use). The Worker crate is built once per Worker, each with
# only its own scenarios, and renamed.
for kind in thread async; do
  feature=$([ $kind = thread ] && echo threads || echo asyncio)
  cargo build -p conlab-sched-worker --target wasm32-unknown-unknown --profile wasm-release \
    --no-default-features --features $feature
  cp "$wasm_dir/conlab_sched_worker.wasm" "$wasm_dir/conlab_${kind}_worker.wasm"
done
cargo build -p conlab-web --target wasm32-unknown-unknown --profile wasm-release "${features[@]}"

# The features rustc and wasm-bindgen emit. Debian 12's binaryen (wasm-opt 108) cannot read
# the table.fill that wasm-bindgen's externref shims use; then the pinned binaryen from npm
# that scripts/setup-browser-tests.sh installs into target/tools does the work.
wasm_features=(--enable-bulk-memory --enable-reference-types --enable-multivalue
  --enable-mutable-globals --enable-nontrapping-float-to-int --enable-sign-ext)
optimized=""
# Binds and optimizes one wasm module (`name`: its crate's library name) into $out.
bind() {
  local name=$1
  wasm-bindgen --target web --no-typescript --out-dir "$out" "$wasm_dir/$name.wasm"
  for opt in wasm-opt target/tools/binaryen/node_modules/.bin/wasm-opt \
    "${CARGO_TARGET_DIR:-target}/tools/binaryen/node_modules/.bin/wasm-opt"; do
    command -v "$opt" >/dev/null || continue
    if "$opt" --flatten --rereloop -Oz -Oz --converge --strip-debug --strip-producers --strip-target-features "${wasm_features[@]}" "$out/${name}_bg.wasm" -o "$out/opt.wasm" 2>/dev/null; then
      mv "$out/opt.wasm" "$out/${name}_bg.wasm"
      optimized="$("$opt" --version)"
      return
    fi
    rm -f "$out/opt.wasm"
  done
  optimized=""
}
# Shortens the JavaScript bindings of one module (`name`) with terser, where it is installed
# (scripts/setup-browser-tests.sh): export and import names are kept.
minified=""
minify() {
  local terser="${CARGO_TARGET_DIR:-target}/tools/terser/node_modules/.bin/terser"
  [ -x "$terser" ] || terser=target/tools/terser/node_modules/.bin/terser
  [ -x "$terser" ] || { minified=""; return; }
  "$terser" "$out/$1.js" --module --compress --mangle -o "$out/$1.min.js"
  mv "$out/$1.min.js" "$out/$1.js"
  minified=yes
}
# The page, and the Workers it starts when a thread scenario first runs on the scheduler, and
# when an async one is first stepped through.
for name in conlab_thread_worker conlab_async_worker conlab_web; do
  bind $name
  minify $name
done
[ -n "$optimized" ] || echo "note: no wasm-opt could read this module; shipping it unoptimized" >&2
[ -n "$minified" ] || echo "note: terser is not installed (scripts/setup-browser-tests.sh); the JavaScript is not shortened" >&2

cp web/static/* $out/
# The Chinese texts that are data (catalog, check descriptions), fetched when Chinese is shown.
mkdir -p $out/i18n
cp web/i18n/*.json $out/i18n/
# The scenarios' code, shown beside their timelines: fetched by path, as the trace names it.
mkdir -p $out/sources/crates/async-scenarios $out/sources/crates/thread-scenarios \
  $out/sources/crates/process-scenarios
cp -r crates/async-scenarios/src $out/sources/crates/async-scenarios/
cp -r crates/thread-scenarios/src $out/sources/crates/thread-scenarios/
cp -r crates/process-scenarios/src $out/sources/crates/process-scenarios/
# The lessons' Python programs (a CPython run's lines of code point into them); not the tracer.
for chapter in python/*/; do
  case "$chapter" in python/conlab_trace/|python/tests/) continue ;; esac
  mkdir -p "$out/sources/$chapter"
  cp "$chapter"*.py "$out/sources/$chapter"
done
# Which lesson each program is (the page shows a lesson's Python program first), from the
# tracer's own table.
if command -v python3 >/dev/null; then
  PYTHONPATH=python python3 -c 'import json; from conlab_trace.catalog import SCENARIOS; print(json.dumps({k: v[0] for k, v in SCENARIOS.items()}, sort_keys=True))' \
    > $out/sources/python/programs.json
fi
if compgen -G "web/recorded/*.json" >/dev/null; then
  mkdir -p $out/recorded
  cp web/recorded/*.json $out/recorded/
fi
wasm=$(stat -c %s $out/conlab_web_bg.wasm)
gz=$(cat $out/conlab_web_bg.wasm $out/conlab_web.js | gzip -9 | wc -c)
thread_worker=$(cat $out/conlab_thread_worker_bg.wasm $out/conlab_thread_worker.js $out/thread-worker.js | gzip -9 | wc -c)
async_worker=$(cat $out/conlab_async_worker_bg.wasm $out/conlab_async_worker.js $out/async-worker.js | gzip -9 | wc -c)
zh=$(gzip -9 <$out/i18n/zh-CN.json | wc -c)
src=$(find $out/sources -name '*.rs' -o -name '*.py' | xargs cat | gzip -9 | wc -c)
echo "$out: wasm $((wasm / 1024)) KB, wasm+js gzipped $((gz / 1024)) KB (${optimized:-not optimized}); fetched when needed: the thread Worker $((thread_worker / 1024)) KB, the async Worker $((async_worker / 1024)) KB, Chinese texts $((zh / 1024)) KB, sources $((src / 1024)) KB gzipped"
