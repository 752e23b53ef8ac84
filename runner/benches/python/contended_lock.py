"""The tracer benchmark's threading workload: 4 threads contending one `threading.Lock`,
100,000 acquisitions in all (`with lock:` incrementing a shared counter).

Plain Python (nothing of conlab's imported), so the same file runs untraced, under
`python3 -m conlab_trace` and under VizTracer. `BENCH_ACQUIRES` sets the total.
"""

import os
import threading

THREADS = 4
ACQUIRES = int(os.environ.get("BENCH_ACQUIRES", "100000"))

lock = threading.Lock()
counter = 0


def work(times):
    global counter
    for _ in range(times):
        with lock:  # conlab records the wait (if any) and the hold; a profiler sees no call here
            counter += 1


threads = [threading.Thread(target=work, args=(ACQUIRES // THREADS,)) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert counter == ACQUIRES // THREADS * THREADS, counter
