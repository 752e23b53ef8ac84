"""The tracer benchmark's asyncio workload: 100,000 tasks, each sleeping 100 ms, gathered.

Plain Python (nothing of conlab's imported), so the same file runs untraced, under
`python3 -m conlab_trace` and under VizTracer. `BENCH_TASKS` sets the number of tasks.
"""

import asyncio
import os

TASKS = int(os.environ.get("BENCH_TASKS", "100000"))
SLEEP_S = 0.1


async def sleeper():
    await asyncio.sleep(SLEEP_S)


async def main():
    # gather makes a task of each coroutine (through the loop's task factory, where the
    # tracer wraps it), then waits for them all.
    await asyncio.gather(*(sleeper() for _ in range(TASKS)))


asyncio.run(main())
