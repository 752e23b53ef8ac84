"""A coroutine's life: calling an async function only creates a coroutine object; nothing
of its body runs until it is scheduled as a task, which then goes pending, running, done."""

import asyncio

from conlab_trace import mark, seconds


async def fetch():
    mark("task_state", "running")
    print("coroutine body: running")
    await asyncio.sleep(seconds("sleep_ms"))
    return 42


def state(task):
    return "done" if task.done() else "pending"


async def main():
    coroutine = fetch()  # creates the coroutine: runs none of its body
    mark("coroutine_created")
    print("created the coroutine: nothing has run yet")
    await asyncio.sleep(0)  # even a turn of the loop does not start it
    print("scheduling it as a task")
    mark("task_state", "pending")
    task = asyncio.create_task(coroutine, name="fetch")
    print(f"task state: {state(task)}")
    result = await task
    mark("task_state", "done")
    print(f"task state: {state(task)}, result {result}")


if __name__ == "__main__":
    asyncio.run(main())
