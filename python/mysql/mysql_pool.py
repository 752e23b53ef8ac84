"""Sleeping queries one after another on one connection, then all at once through a pool of
`pool` connections (aiomysql's): a query waits for a free connection, so they run in waves of
the pool's size. The pool's connections are opened first, so what is measured is queries
waiting for a connection, not connections being set up."""

import asyncio
import time
from urllib.parse import unquote, urlsplit

import aiomysql

from conlab_trace import mark, metric, param, phase, seconds, servers, span


def login(url):
    u = urlsplit(url)  # mysql://user:password@host:port/database
    return dict(host=u.hostname, port=u.port or 3306, user=unquote(u.username or ""),
                password=unquote(u.password or ""), db=u.path.lstrip("/"), autocommit=True)


async def sleep_query(conn, sleep):
    async with conn.cursor() as cur:
        with span("in_flight", "SELECT SLEEP(?)"):
            await cur.execute("SELECT SLEEP(%s)", (sleep,))
            (slept,) = await cur.fetchone()
    return slept == 0  # 0: it slept the whole time


async def through_pool(pool, sleep):
    async with pool.acquire() as conn:  # waits while every connection is taken
        return await sleep_query(conn, sleep)


async def main():
    queries, size, sleep = param("queries"), param("pool"), seconds("sleep_ms")
    url = servers("mysql")[0]
    with span("connecting", "connect"):
        conn = await aiomysql.connect(**login(url))
    needed = min(size, queries)  # connections in use at once
    async with conn.cursor() as cur:
        await cur.execute("SELECT @@max_connections")
        (most,) = await cur.fetchone()
        await cur.execute("SHOW GLOBAL STATUS LIKE 'Threads_connected'")
        (_, open_now) = await cur.fetchone()
    free = most - (int(open_now) - 1)
    if needed > free:
        raise SystemExit(f"pool={size} needs {needed} connections at once, but the MySQL server "
                         f"has room for {free} (max_connections {most}); run with pool={free} or less")

    start = time.monotonic_ns()
    with phase("sequential"):
        for _ in range(queries):
            await sleep_query(conn, sleep)
    took = time.monotonic_ns() - start
    conn.close()
    metric("makespan_sequential_ms", took / 1e6, "ms")
    print(f"sequential: {queries} queries in {took / 1e6:.0f} ms")

    with span("connecting", f"open {needed} pooled connections"):
        pool = await aiomysql.create_pool(minsize=needed, maxsize=size, **login(url))
    start = time.monotonic_ns()
    with phase("concurrent"):
        ok = sum(await asyncio.gather(*(through_pool(pool, sleep) for _ in range(queries))))
    took = time.monotonic_ns() - start
    pool.close()
    await pool.wait_closed()
    metric("makespan_concurrent_ms", took / 1e6, "ms")
    mark("concurrent_ok", ok)
    print(f"concurrent through a pool of {size}: {ok} queries in {took / 1e6:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
