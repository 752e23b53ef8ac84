"""The same work against several Redis servers at once: server i runs a slow command (BLPOP on
an empty list waits server-side, here (i + 1) x 200 ms), then a SET and a GET. Gathered, the
servers take as long as the slowest one, not the sum."""

import asyncio
import time

import redis.asyncio as redis

from conlab_trace import mark, param, run_id, servers, span

BASE_S = 0.2  # server i waits (i + 1) x this, times time-scale


async def work(i, url, wait):
    start = time.monotonic()
    prefix = f"conlab:{run_id()}:{i}"  # each server's keys under the run's id
    with span("running", "work"):
        r = redis.Redis.from_url(url, decode_responses=True, single_connection_client=True)
        await r.initialize()
        with span("in_flight", "BLPOP (slow)"):
            await r.blpop([f"{prefix}:empty"], timeout=wait)  # nothing comes: waits it out
        await r.set(f"{prefix}:server", i)
        back = await r.get(f"{prefix}:server")
        await r.delete(f"{prefix}:server")
        await r.aclose()
    mark("server_done", f"{i} {back}")
    print(f"server {i + 1}: done after {(time.monotonic() - start) * 1e3:.0f} ms")


async def main():
    n = param("servers")
    base = BASE_S * param("time-scale")
    tasks = [asyncio.create_task(work(i, url, base * (i + 1)), name=f"redis-server-{i + 1}")
             for i, url in enumerate(servers("redis", n))]
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main())
