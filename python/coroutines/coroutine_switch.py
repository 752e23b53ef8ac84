"""Two coroutines hand control to each other explicitly, greenlet style: each runs until it
switches, so only one ever runs and the lines interleave 1 3 2 4.

With the greenlet package this is `gr2.switch()`; here, in the standard library only, each
coroutine waits on a future of its own, and switching sets the other's future (the baton)
and waits on a new one of its own.
"""

import asyncio

from conlab_trace import mark


class Baton:
    def __init__(self, *names):
        loop = asyncio.get_running_loop()
        self.turn = {name: loop.create_future() for name in names}

    async def wait_turn(self, me):
        await self.turn[me]

    def give(self, to):
        self.turn[to].set_result(None)

    async def switch(self, me, to):
        mark("switch", to)
        self.turn[me] = asyncio.get_running_loop().create_future()
        self.give(to)  # hand control over ...
        await self.wait_turn(me)  # ... and wait to get it back


async def gr1(baton):
    print("1")
    await baton.switch("gr1", "gr2")
    print("2")
    await baton.switch("gr1", "gr2")


async def gr2(baton):
    await baton.wait_turn("gr2")  # starts only when gr1 first hands over
    print("3")
    await baton.switch("gr2", "gr1")
    print("4")
    baton.give("gr1")  # hand the baton back so gr1 can finish


async def main():
    baton = Baton("gr1", "gr2")
    await asyncio.gather(
        asyncio.create_task(gr1(baton), name="gr1"),
        asyncio.create_task(gr2(baton), name="gr2"),
    )


if __name__ == "__main__":
    asyncio.run(main())
