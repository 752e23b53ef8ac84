"""create_task: tasks created up front run concurrently; awaiting them afterwards collects
their results, and the whole takes one sleep, however many tasks there are."""

import asyncio

from conlab_trace import metric, param, seconds

PRINT_LIMIT = 20  # results printed one per line; the rest are only counted


async def work(i, delay):
    await asyncio.sleep(delay)
    return i * 10


async def main():
    n = param("tasks")
    delay = seconds("sleep_ms")
    tasks = [asyncio.create_task(work(i, delay)) for i in range(n)]
    print(f"created {n:,} {'task' if n == 1 else 'tasks'}")
    results = [await task for task in tasks]
    for i, result in enumerate(results[:PRINT_LIMIT]):
        print(f"task {i} returned {result}")
    metric("results_correct", sum(r == i * 10 for i, r in enumerate(results)), "results")
    print(f"collected {len(results)} results")


if __name__ == "__main__":
    asyncio.run(main())
