"""On an interrupt, every pending task is cancelled and the loop closes cleanly, with no
task left running. (A real Ctrl-C makes asyncio.run cancel the main task; here the
interrupt comes after cancel_after_ms, and main cancels the others as asyncio.run would.)"""

import asyncio

from conlab_trace import mark, param, seconds


async def work(i):
    print(f"task {i}: working")
    await asyncio.sleep(24 * 3600)  # never finishes on its own
    print(f"task {i}: finished (should never happen)")


async def main():
    tasks = [asyncio.create_task(work(i)) for i in range(param("tasks"))]
    await asyncio.sleep(seconds("cancel_after_ms"))
    mark("interrupt")
    print("KeyboardInterrupt: cancelling every pending task")
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    cancelled = sum(isinstance(r, asyncio.CancelledError) for r in results)
    print(f"{cancelled:,} {'task' if cancelled == 1 else 'tasks'} cancelled; loop closed cleanly")


if __name__ == "__main__":
    asyncio.run(main())
