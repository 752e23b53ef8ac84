"""A bare future is a placeholder for a result: main awaits it, a second task sets it after
a delay, and main resumes right after with the value."""

import asyncio

from conlab_trace import mark, seconds

VALUE = "the answer is 42"


async def setter(future, delay):
    await asyncio.sleep(delay)
    mark("set_result", VALUE)
    print(f'setter: set_result("{VALUE}")')
    future.set_result(VALUE)


async def main():
    future = asyncio.get_running_loop().create_future()
    asyncio.create_task(setter(future, seconds("delay_ms")), name="setter")
    print("main: awaiting the future")
    value = await future
    mark("resumed")
    print(f'main: got "{value}"')


if __name__ == "__main__":
    asyncio.run(main())
