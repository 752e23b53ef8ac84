"""The same query against several MySQL servers at once: server i sleeps (i + 1) x 200 ms
server-side (`SELECT SLEEP(…)`). Gathered, the servers take as long as the slowest one, not
the sum."""

import asyncio
import time
from urllib.parse import unquote, urlsplit

import aiomysql

from conlab_trace import mark, param, servers, span

BASE_S = 0.2  # server i sleeps (i + 1) x this, times time-scale


async def connect(url):
    u = urlsplit(url)  # mysql://user:password@host:port/database
    with span("connecting", f"connect {u.hostname}:{u.port or 3306}"):
        return await aiomysql.connect(host=u.hostname, port=u.port or 3306,
                                      user=unquote(u.username or ""),
                                      password=unquote(u.password or ""),
                                      db=u.path.lstrip("/"), autocommit=True)


async def work(i, url, sleep):
    start = time.monotonic()
    with span("running", "work"):
        conn = await connect(url)
        async with conn.cursor() as cur:
            with span("in_flight", "SELECT SLEEP(?)"):
                await cur.execute("SELECT SLEEP(%s)", (sleep,))
                (slept,) = await cur.fetchone()  # 0: it slept the whole time
        conn.close()
    mark("server_done", f"{i} {slept}")
    print(f"server {i + 1}: done after {(time.monotonic() - start) * 1e3:.0f} ms")


async def main():
    n = param("servers")
    base = BASE_S * param("time-scale")
    tasks = [asyncio.create_task(work(i, url, base * (i + 1)), name=f"mysql-server-{i + 1}")
             for i, url in enumerate(servers("mysql", n))]
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main())
