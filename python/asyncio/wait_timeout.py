"""wait(timeout, return_when): returns when its condition is met or the timeout expires,
splitting the tasks into done and pending; the pending ones are then cancelled, so the run
ends cleanly."""

import asyncio

from conlab_trace import mark, param, seconds

RETURN_WHEN = {
    "all": asyncio.ALL_COMPLETED,
    "first_completed": asyncio.FIRST_COMPLETED,
    "first_exception": asyncio.FIRST_EXCEPTION,
}


async def job(i, delay, fail_index):
    await asyncio.sleep(delay)
    if i + 1 == fail_index:
        print(f"task {i} raised an exception")
        raise RuntimeError(f"task {i} failed")
    print(f"task {i} completed")
    return i


async def main():
    fail_index = param("fail_index")  # 1-based; 0: no task fails
    tasks = [asyncio.create_task(job(i, d, fail_index)) for i, d in enumerate(seconds("sleeps_ms"))]
    mark("wait_start")
    done, pending = await asyncio.wait(
        tasks, timeout=seconds("timeout_ms"), return_when=RETURN_WHEN[param("return_when")]
    )
    mark("wait_returned")
    print(f"done: {sorted(tasks.index(t) for t in done)}")
    print(f"pending: {sorted(tasks.index(t) for t in pending)}")
    for task in done:
        task.exception()  # looked at, so asyncio does not warn it was never retrieved
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
