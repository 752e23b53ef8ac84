"""Coroutines that switch whenever they wait for IO (what gevent does by patching the socket
module): slow fetches overlap their waits on one OS thread, so the whole takes about one
latency, not one per fetch.

gevent would be the faithful library (`gevent.spawn` + `gevent.joinall`, with plain blocking
sockets); asyncio's streams do the same switching in the standard library.
"""

import asyncio
import threading

from conlab_trace import mark, param, seconds, test_server


def thread_name():
    return f"{threading.current_thread().name} (thread {threading.get_native_id()})"


async def fetch(i, server, latency):
    mark("thread", thread_name())
    print(f"fetch {i}: request sent")
    reader, writer = await asyncio.open_connection(server.host, server.port)
    path = f"/files/io?size=0&latency_us={round(latency * 1e6)}"
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {server.host}\r\nConnection: close\r\n\r\n".encode())
    await reader.read()  # the task waits here, and the loop runs the others
    writer.close()
    print(f"fetch {i}: response received")


async def main():
    server = test_server()  # answers each request after the latency it asks for
    mark("thread", thread_name())
    mark("io", server.describe)
    latency = seconds("latency_ms")
    await asyncio.gather(*(fetch(i, server, latency) for i in range(param("fetches"))))


if __name__ == "__main__":
    asyncio.run(main())
