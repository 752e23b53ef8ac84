"""gather vs wait: gather returns the results in the order the awaitables were given,
whatever order they finish in; wait returns two sets, the tasks done and those pending."""

import asyncio

from conlab_trace import param, phase, seconds


async def nap(i, delay, ms):
    await asyncio.sleep(delay)
    print(f"task {i} finished ({ms} ms)")
    return i


async def main():
    ms = param("sleeps_ms")
    delays = seconds("sleeps_ms")

    with phase("gather"):
        results = await asyncio.gather(*(nap(i, d, ms[i]) for i, d in enumerate(delays)))
    for pos, i in enumerate(results):
        print(f"gather[{pos}] = task {i} ({ms[i]} ms)")

    with phase("wait"):
        tasks = [asyncio.create_task(asyncio.sleep(d)) for d in delays]
        done, pending = await asyncio.wait(tasks)
    print(f"wait: {len(done)} done, {len(pending)} pending")


if __name__ == "__main__":
    asyncio.run(main())
