"""as_completed: results arrive in the order the tasks finish (the shortest sleep first),
not in the order the tasks were created."""

import asyncio

from conlab_trace import param, seconds


async def job(i, delay):
    await asyncio.sleep(delay)
    return i


async def main():
    ms = param("sleeps_ms")
    tasks = [asyncio.create_task(job(i, d)) for i, d in enumerate(seconds("sleeps_ms"))]
    for next_done in asyncio.as_completed(tasks):
        i = await next_done
        print(f"task {i} done ({ms[i]} ms)")


if __name__ == "__main__":
    asyncio.run(main())
