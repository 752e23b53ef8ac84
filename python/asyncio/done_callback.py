"""add_done_callback: a callback attached to a task runs once the task has completed, and
sees its result."""

import asyncio

from conlab_trace import lane, seconds


async def compute(delay):
    await asyncio.sleep(delay)
    result = 7 * 6
    print(f"task returns {result}")
    return result


def on_done(task):
    # The loop runs the callback itself, outside any task: conlab gives it a lane of its own.
    with lane("done callback"):
        if task.cancelled() or task.exception() is not None:
            print("callback: task ended without a result")
        else:
            print(f"callback: task done, result {task.result()}")


async def main():
    task = asyncio.create_task(compute(seconds("sleep_ms")))
    task.add_done_callback(on_done)
    print("callback attached")
    await task


if __name__ == "__main__":
    asyncio.run(main())
