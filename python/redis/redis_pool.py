"""The same `ops` writes three ways: one by one on one connection (a round trip each),
pipelined (a thousand commands per round trip), and by 50 tasks sharing a pool of `pool`
connections: a task takes a connection from the pool, waiting while none is free, and puts
it back after its command. Each way's throughput is measured."""

import asyncio
import time

import redis.asyncio as redis

from conlab_trace import mark, metric, param, phase, run_id, servers, span

PIPELINE = 1000  # commands per round trip
TASKS = 50  # tasks sharing the pool


async def connect(url):
    r = redis.Redis.from_url(url, single_connection_client=True)
    await r.initialize()
    return r


def report(mode, ops, start):
    took = time.monotonic_ns() - start
    rate = ops / max(took, 1) * 1e9
    metric(f"ops_per_s_{mode}", rate, "ops/s")
    mark("phase_done", f"{mode} {ops} {took}")
    print(f"{mode}: {ops} SETs in {took / 1e6:.0f} ms = {rate:.0f} ops/s")


async def writer(pool, prefix, ops, first, step):
    done = 0
    for i in range(first, ops, step):
        r = await pool.get()  # a free connection, or wait for one
        try:
            with span("in_flight", "SET"):
                await r.set(f"{prefix}:pool:{i}", i)
        finally:
            pool.put_nowait(r)
        done += 1
    return done


async def main():
    ops, size = param("ops"), param("pool")
    url = servers("redis")[0]
    prefix = f"conlab:{run_id()}"  # every key of the run under its id
    r = await connect(url)

    start = time.monotonic_ns()
    with phase("sequential"):
        for i in range(ops):
            with span("in_flight", "SET"):
                await r.set(f"{prefix}:seq:{i}", i)
    report("sequential", ops, start)

    start = time.monotonic_ns()
    with phase("pipelined"):
        for chunk in range(0, ops, PIPELINE):
            async with r.pipeline(transaction=False) as pipe:
                for i in range(chunk, min(ops, chunk + PIPELINE)):
                    pipe.set(f"{prefix}:pipe:{i}", i)
                with span("in_flight", "pipeline"):
                    await pipe.execute()
    report("pipelined", ops, start)

    pool = asyncio.Queue()
    for _ in range(size):  # the pool's connections, opened before they are measured
        pool.put_nowait(await connect(url))
    tasks = max(1, min(TASKS, ops))
    start = time.monotonic_ns()
    with phase("concurrent"):
        done = await asyncio.gather(*(writer(pool, prefix, ops, t, tasks) for t in range(tasks)))
    report("concurrent", sum(done), start)
    while not pool.empty():
        await pool.get_nowait().aclose()

    keys = await r.dbsize()
    deleted = 0
    async for batch in batches(r.scan_iter(match=f"{prefix}:*", count=1000), 1000):
        deleted += await r.delete(*batch)
    mark("keys_deleted", deleted)
    print(f"cleaned up {deleted} keys (the database held {keys})")
    await r.aclose()


async def batches(keys, n):
    batch = []
    async for key in keys:
        batch.append(key)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


if __name__ == "__main__":
    asyncio.run(main())
