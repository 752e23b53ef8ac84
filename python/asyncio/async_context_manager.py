"""async with: entering and exiting are awaited, and the exit runs even when the body
raises, which then still propagates."""

import asyncio

from conlab_trace import param, seconds


class Connection:
    async def __aenter__(self):
        await asyncio.sleep(seconds("enter_ms"))  # connecting
        print("enter: connected")
        return self

    async def __aexit__(self, exc_type, exc, tb):
        await asyncio.sleep(seconds("exit_ms"))  # closing
        print("exit: closed")
        return False  # do not swallow the exception


async def main():
    try:
        async with Connection():
            if param("body_fails"):
                print("use: the body raises an exception")
                raise RuntimeError("the body failed")
            print("use: working with the connection")
    except RuntimeError as e:
        print(f"after async with: exception propagated: {e}")
    else:
        print("after async with: ok")


if __name__ == "__main__":
    asyncio.run(main())
