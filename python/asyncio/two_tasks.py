"""Two tasks on one event loop: each prints, sleeps and prints again.

While one task sleeps the loop runs the other, so the lines come out 1 3 2 4 and the
whole run takes about one sleep, not two.
"""

import asyncio

from conlab_trace import seconds


async def first(delay):
    print("1")
    await asyncio.sleep(delay)
    print("2")


async def second(delay):
    print("3")
    await asyncio.sleep(delay)
    print("4")


async def main():
    delay = seconds("sleep_ms")
    one = asyncio.create_task(first(delay))
    two = asyncio.create_task(second(delay))
    await one
    await two


if __name__ == "__main__":
    asyncio.run(main())
