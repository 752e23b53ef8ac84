"""Coroutines that only compute gain nothing from switching: they take turns on one thread,
so the whole takes at least the sum of their work."""

import asyncio
import time

from conlab_trace import param, seconds

SLICES = 4  # each unit computes in slices, letting the others run between them


def crunch(duration):
    """CPU-bound work for `duration` seconds (a busy loop stands for a real calculation)."""
    end = time.perf_counter() + duration
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


async def unit(i, duration):
    for _ in range(SLICES):
        crunch(duration / SLICES)
        await asyncio.sleep(0)  # a switch point: the others may run now
    print(f"unit {i} done")


async def main():
    duration = seconds("unit_ms")
    await asyncio.gather(*(unit(i, duration) for i in range(param("units"))))


if __name__ == "__main__":
    asyncio.run(main())
