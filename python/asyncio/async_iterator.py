"""async for over an async iterator: the iterator awaits between items, and `async for`
takes them in order until it is exhausted."""

import asyncio

from conlab_trace import mark, param, seconds


class Reader:
    """Yields 1, 2, ... items, each arriving after a delay (as lines from a socket would)."""

    def __init__(self, items, delay):
        self.next, self.last, self.delay = 1, items, delay

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.next > self.last:
            raise StopAsyncIteration
        await asyncio.sleep(self.delay)
        self.next += 1
        return self.next - 1


async def main():
    async for item in Reader(param("items"), seconds("item_ms")):
        print(item)
    mark("exhausted")


if __name__ == "__main__":
    asyncio.run(main())
