"""The same files downloaded four ways from a slow server (each answered after `latency_ms`):
one after the other with a blocking client (urllib), a thread per file with that client, tasks
on the event loop sharing one async client's pool of connections (httpx, at most 100 open),
and the blocking client handed to a pool of threads from the loop (`run_in_executor`). Each
file is saved, then read back and checked (its length and CRC-32) against the server's file."""

import asyncio
import os
import tempfile
import threading
import time
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor

import httpx

from conlab_trace import mark, metric, param, phase, server_file, span, test_server

MODES = ["sequential", "threads", "async", "executor"]
POOL_LIMIT = 100  # connections the async client opens at most (as aiohttp's default)
EXECUTOR_THREADS = 512  # as tokio's blocking pool, which conlab's own run uses


def download(url, path):
    """The blocking client: the thread waits for the answer and each read of the body."""
    with urllib.request.urlopen(url, timeout=60) as response, open(path, "wb") as out:
        while block := response.read(64 * 1024):
            out.write(block)


async def download_async(client, url, path, name):
    with span("in_flight", f"GET {name}"):
        async with client.stream("GET", url) as response:
            response.raise_for_status()
            with open(path, "wb") as out:
                async for block in response.aiter_bytes():
                    out.write(block)


async def run(mode, urls, paths, names):
    if mode == "sequential":
        for url, path in zip(urls, paths):
            download(url, path)
    elif mode == "threads":
        threads = [threading.Thread(target=download, args=(url, path), name=f"crawler-{i + 1}")
                   for i, (url, path) in enumerate(zip(urls, paths))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    elif mode == "async":
        limits = httpx.Limits(max_connections=POOL_LIMIT)
        async with httpx.AsyncClient(limits=limits, timeout=60, trust_env=False) as client:
            await asyncio.gather(*(download_async(client, url, path, name)
                                   for url, path, name in zip(urls, paths, names)))
    else:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=EXECUTOR_THREADS) as pool:
            await asyncio.gather(*(loop.run_in_executor(pool, download, url, path)
                                   for url, path in zip(urls, paths)))


def verify(path, name, size):
    """Reads a saved file back: `(True, detail)` when its length and CRC-32 are the server's."""
    length, crc = 0, 0
    with open(path, "rb") as f:
        while block := f.read(64 * 1024):
            length, crc = length + len(block), zlib.crc32(block, crc)
    expected = server_file(name, size)  # the server makes each file from its name
    if (length, crc) == expected:
        return True, f"{name} {length} {crc:08x}"
    return False, f"{length} bytes, CRC-32 {crc:08x}; the server's file is {expected[0]} bytes, " \
                  f"CRC-32 {expected[1]:08x}"


async def main():
    files, size = param("files"), param("size_kb") * 1024
    latency_us = round(param("latency_ms") * param("time-scale") * 1000)
    server = test_server()
    names = [f"file-{i}.txt" for i in range(files)]
    urls = [f"http://{server.host}:{server.port}/files/{name}?size={size}&latency_us={latency_us}"
            for name in names]
    with tempfile.TemporaryDirectory(prefix="conlab-crawler-") as folder:
        print(f"{files} files of {size // 1024} KB, each answered after {latency_us / 1000:g} ms, "
              f"saved under {folder}")
        for mode in MODES:
            os.mkdir(os.path.join(folder, mode))
            paths = [os.path.join(folder, mode, name) for name in names]
            start = time.monotonic_ns()
            with phase(mode):
                await run(mode, urls, paths, names)
            took = time.monotonic_ns() - start
            intact = 0
            for path, name in zip(paths, names):
                ok, detail = verify(path, name, size)
                mark("verified" if ok else "damaged", detail)
                intact += ok
                os.remove(path)
            mark("phase_done", f"{mode} {intact} {took}")
            metric(f"makespan_{mode}_ms", took / 1e6, "ms")
            print(f"{mode:<10} {intact}/{files} files intact in {took / 1e6:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
