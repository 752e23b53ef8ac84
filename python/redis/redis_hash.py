"""Redis from asyncio: connect, write a hash of `fields` fields, read it back, remove it, close.
Every call of redis-py's asyncio client (`redis.asyncio`) is a coroutine: the task waits for
each answer while the loop is free to run others."""

import asyncio

import redis.asyncio as redis

from conlab_trace import mark, param, run_id, servers, span


async def main():
    fields = param("fields")
    key = f"conlab:{run_id()}:hash"  # everything a run writes is under its own id
    r = redis.Redis.from_url(servers("redis")[0], decode_responses=True,
                             single_connection_client=True)
    await r.initialize()  # connects now (redis-py would otherwise connect at the first command)
    written = {f"field{i}": f"value-{i}" for i in range(fields)}
    with span("in_flight", "HSET"):
        await r.hset(key, mapping=written)
    with span("in_flight", "HGETALL"):
        read = await r.hgetall(key)
    mark("written", dict(sorted(written.items())))
    mark("read", dict(sorted(read.items())))
    print(f"wrote {fields} fields to {key}, read back {len(read)} fields")
    if read:
        first = min(read)
        print(f"first field: {first} = {read[first]}")
    with span("in_flight", "DEL (clean up)"):
        await r.delete(key)
    await r.aclose()


if __name__ == "__main__":
    asyncio.run(main())
