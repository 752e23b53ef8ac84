# conlab's tasks. On a fresh machine run them through scripts/just, which installs just.

browser_env := "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver"

# List the recipes
default:
    @just --list

# Run every native scenario with defaults: progress bar, summary table, traces saved, then
# the report written to target/conlab/report and served (--no-serve to skip)
run-native *ARGS:
    scripts/setup-servers.sh --install-only
    scripts/setup-browser-tests.sh --build-only
    scripts/build-web.sh --served
    cargo run --release -p conlab --features web-app -- run-native {{ARGS}}

# The playground with Run natively, on http://127.0.0.1:7878 (see `conlab serve --help`)
serve *ARGS:
    scripts/setup-servers.sh --install-only
    scripts/setup-browser-tests.sh --build-only
    scripts/build-web.sh --served
    cargo run --release -p conlab --features web-app -- serve {{ARGS}}

# Everything started is stopped and removed at Ctrl-C.
# On one machine: private Redis + MariaDB, `conlab serve --queue` with the page, 4 workers
cluster-demo *ARGS:
    scripts/setup-servers.sh --install-only
    scripts/setup-browser-tests.sh --build-only
    scripts/build-web.sh --served
    cargo build --release -p conlab --features web-app
    cargo run --release -p conlab-cluster -- demo {{ARGS}}

# 2,000 short runs on 4 workers, a worker killed with SIGKILL every 2-5 s and replaced, Redis and
# MariaDB restarted once; exit 1 if a run is lost, stored twice or executed again without a kill.
# The seeded kill campaign (`just chaos --seed S --runs N --workers W` replays or resizes it)
chaos *ARGS:
    scripts/setup-servers.sh --install-only
    cargo build --release -p conlab
    cargo run --release -p conlab-cluster -- chaos {{ARGS}}

# Run one scenario, e.g. `just run semaphore -p permits=4`, or its Python program under CPython:
# `just run gather-vs-wait --runtime cpython --compare`
run *ARGS:
    scripts/setup-python.sh
    cargo run --release -p conlab -- run {{ARGS}}

# Every test: formatting, lints, native tests, browser tests in headless Chromium (installs what is missing)
test: lint test-native test-browser

# Formatting and clippy, warnings as errors
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --quiet -- -D warnings

# Native tests: the core, every runtime, every scenario, the CLI (starts Redis when needed)
test-native:
    scripts/setup-servers.sh
    scripts/setup-python.sh
    cargo test --quiet

# Browser tests: every async scenario and the playground's parts in headless Chromium, then
# the built site end to end through chromedriver (screenshots in target/e2e-screenshots)
test-browser:
    scripts/setup-browser-tests.sh
    {{browser_env}} cargo test --target wasm32-unknown-unknown -p conlab-browser -p conlab-web
    scripts/build-web.sh
    scripts/build-web.sh --served
    cargo test -p conlab-browser-tests

# Many more drawn parameter sets than CI tries, with larger values (RUNS draws per scenario and
# runtime, idle and beside CPU hogs, and per guarded check under its wrong behaviour; the seed
# is printed, CONLAB_FUZZ_SEED=... replays it)
fuzz RUNS="20":
    scripts/setup-servers.sh
    CONLAB_FUZZ_RUNS={{RUNS}} CONLAB_FUZZ_BUDGET=fuzz cargo test --release -p conlab-tests --test drawn_params --test drawn_params_busy --test fault_guards -- --nocapture

# Benchmarks that print figures: recording, scale, threads, processes (against Python's
# multiprocessing), the Python tracer (against VizTracer), databases (Redis and MySQL), the
# queue across workers (throughput, overhead per run, takeover after a kill), the
# deterministic scheduler (against shuttle)
bench:
    scripts/setup-servers.sh --install-only
    just bench-sched
    cargo bench -p conlab --bench recording
    cargo bench -p conlab --bench scale
    cargo bench -p conlab --bench threads
    cargo bench -p conlab --bench processes
    scripts/setup-bench-python.sh
    cargo bench -p conlab --bench tracer
    cargo bench -p conlab --bench databases
    scripts/setup-http-bench.sh
    cargo bench -p conlab --bench http
    cargo build --release -p conlab
    cargo bench -p conlab-cluster --bench queue
    just bench-web

# The deterministic scheduler beside shuttle: cost per step, schedules searched per second,
# and the whole `conlab explore` command
bench-sched:
    cargo build --release -q -p conlab -p conlab-sched-bench
    target/release/sched-bench

# Playground benchmarks in headless Chromium: first render, timeline redraw, live run, size;
# then conlab serve: click to first drawn lane, the event stream, concurrent live runs
bench-web: web
    cargo bench -p conlab-browser-tests --bench web
    scripts/build-web.sh --served
    cargo build --release -p conlab
    cargo bench -p conlab-browser-tests --bench serve

# Re-record the native runs the playground ships: shown for scenarios that cannot run in a
# browser, and offered for comparison with a browser run of the others (event-loop-choice's
# 10,000 tasks would make a 3 MB file, so it is left out)
record-native:
    scripts/setup-servers.sh --install-only
    rm -rf web/recorded
    cargo run --release -p conlab -- run-native --no-serve --out web/recorded --skip event-loop-choice
    rm -f web/recorded/index.json

# Build the playground into web/dist
web:
    scripts/setup-browser-tests.sh
    scripts/build-web.sh

# Serve web/dist on http://127.0.0.1:8080
serve-web: web
    python3 -m http.server 8080 --bind 127.0.0.1 --directory web/dist

# Exactly what CI runs
ci:
    bash .ci/run
