"""The same workload, many tasks that each sleep, gathered, on two event loops: asyncio's own
and uvloop's (libuv's, written in Cython). Each is timed untraced, the program alone; then the
workload runs traced on asyncio's loop, every task a lane of the timeline. The sleeps overlap
on either loop: what differs is what each task costs the loop."""

import asyncio
import time

import uvloop

from conlab_trace import metric, param, seconds, untraced


async def workload(n, sleep):
    tasks = [asyncio.create_task(asyncio.sleep(sleep)) for _ in range(n)]
    await asyncio.gather(*tasks)


def timed(n, sleep, new_loop):
    with asyncio.Runner(loop_factory=new_loop) as runner:
        start = time.perf_counter_ns()
        runner.run(workload(n, sleep))
        return time.perf_counter_ns() - start


async def main(n, sleep):
    start = time.perf_counter_ns()
    tasks = [asyncio.create_task(asyncio.sleep(sleep)) for _ in range(n)]
    spawned = time.perf_counter_ns()
    await asyncio.gather(*tasks)
    took = time.perf_counter_ns() - start
    overhead = max(0, took - sleep * 1e9) / n
    metric("gather_ms", took / 1e6, "ms")
    metric("spawn_ms", (spawned - start) / 1e6, "ms")
    metric("overhead_per_task_ns", overhead, "ns/task")
    print(f"traced, asyncio's loop: {n} tasks sleeping {sleep * 1e3:g} ms took {took / 1e6:.0f} ms "
          f"({overhead:.0f} ns overhead per task): recording every task costs the difference")


if __name__ == "__main__":
    n, sleep = param("tasks"), seconds("sleep_ms")
    with untraced():  # the loops alone, without the tracer's cost
        loops = {"asyncio": timed(n, sleep, asyncio.new_event_loop),
                 "uvloop": timed(n, sleep, uvloop.new_event_loop)}
    for name, took in loops.items():
        metric(f"makespan_{name}_ms", took / 1e6, "ms")
        metric(f"overhead_per_task_{name}_ns", max(0, took - sleep * 1e9) / n, "ns/task")
    print(f"untraced, {n} tasks: " + ", ".join(
        f"{name}'s loop {took / 1e6:.0f} ms ({max(0, took - sleep * 1e9) / n:.0f} ns per task)"
        for name, took in loops.items()))
    asyncio.run(main(n, sleep))
