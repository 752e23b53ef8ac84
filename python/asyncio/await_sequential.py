"""Awaiting one coroutine after another, inside one task, runs them one after the other:
the whole takes two sleeps."""

import asyncio

from conlab_trace import seconds


async def say_after(delay, what):
    await asyncio.sleep(delay)
    print(what)


async def main():
    delay = seconds("sleep_ms")
    print("started")
    await say_after(delay, "hello")
    await say_after(delay, "world")
    print("finished")


if __name__ == "__main__":
    asyncio.run(main())
