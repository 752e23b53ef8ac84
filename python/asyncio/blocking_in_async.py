"""The anti-pattern: a blocking call (time.sleep) inside a coroutine freezes the whole event
loop. Nothing else runs meanwhile, so the calls add up instead of overlapping, and asyncio's
debug mode warns about every step that held the loop 100 ms or more."""

import asyncio
import logging
import time

from conlab_trace import mark, param, seconds


async def call(i, delay):
    print(f"call {i}: blocking (time.sleep) inside a coroutine")
    time.sleep(delay)  # should have been: await asyncio.sleep(delay)
    print(f"call {i}: done")


class LoopBlocked(logging.Handler):
    """Turns debug mode's 'Executing <Task ...> took 0.301 seconds' into a warning line."""

    def emit(self, record):
        if record.msg.startswith("Executing") and len(record.args) == 2:
            took = f"{record.args[1] * 1000:.0f} ms"
            mark("loop_blocked", took)
            print(f"WARNING: the event loop was blocked for {took} (a blocking call inside a coroutine)")


async def main():
    delay = seconds("block_ms")
    await asyncio.gather(*(call(i, delay) for i in range(param("calls"))))


if __name__ == "__main__":
    logging.getLogger("asyncio").addHandler(LoopBlocked())
    asyncio.run(main(), debug=True)  # debug mode: report steps slower than 100 ms
