"""MySQL from asyncio with aiomysql: connect, create a table of the run's own, insert rows with
bound parameters, query them back, drop the table, close. Each call is a coroutine: the task
waits for the server's answer while the loop is free."""

import asyncio
from urllib.parse import unquote, urlsplit

import aiomysql

from conlab_trace import mark, run_id, servers, span

ROWS = [(1, "threads"), (2, "processes"), (3, "coroutines")]


async def connect(url):
    u = urlsplit(url)  # mysql://user:password@host:port/database
    with span("connecting", f"connect {u.hostname}:{u.port or 3306}"):
        return await aiomysql.connect(host=u.hostname, port=u.port or 3306,
                                      user=unquote(u.username or ""),
                                      password=unquote(u.password or ""),
                                      db=u.path.lstrip("/"), autocommit=True)


async def main():
    conn = await connect(servers("mysql")[0])
    table = f"conlab_items_{run_id()}"  # the run's own table; values are bound parameters
    async with conn.cursor() as cur:
        with span("in_flight", "CREATE TABLE"):
            await cur.execute(f"CREATE TABLE {table} (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL)")
        with span("in_flight", "INSERT (bound)"):
            await cur.executemany(f"INSERT INTO {table} (id, name) VALUES (%s, %s)", ROWS)
        with span("in_flight", "SELECT"):
            await cur.execute(f"SELECT id, name FROM {table} ORDER BY id")
            rows = await cur.fetchall()
        for id, name in rows:
            print(f"row {id}: {name}")
        mark("rows", ", ".join(f'{id} "{name}"' for id, name in rows))
        with span("in_flight", "DROP TABLE"):
            await cur.execute(f"DROP TABLE {table}")
    conn.close()


if __name__ == "__main__":
    asyncio.run(main())
