"""A job queue on Redis: a master loop moves each job from the queue list to a worker's
processing list in one atomic step (BLMOVE) and hands it to that worker, an event loop on a
thread of its own. A worker runs a job once (its id added to a set of done jobs first), then
acknowledges it (LREM from its processing list). Worker-1 stops mid-run holding a job: the
master sees its thread gone and moves its unacknowledged jobs back to the queue, where the
other worker takes them. No job is lost, none runs twice."""

import asyncio
import threading

import redis.asyncio as redis

from conlab_trace import mark, param, run_id, seconds, servers

WORKERS = 2
KEYS = f"conlab:{run_id()}"  # every key of the run under its id


class Worker:
    """An event loop on a thread of its own, fed jobs one at a time through a queue."""

    def __init__(self, i, url):
        self.name, self.url = f"worker-{i + 1}", url
        self.processing = f"{KEYS}:processing:{i + 1}"
        self.orders = asyncio.Queue()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.serve(),),
                                       name=self.name)
        self.thread.start()

    def hand(self, job, stop_holding_it=False):  # from the master's thread
        self.loop.call_soon_threadsafe(self.orders.put_nowait, (job, stop_holding_it))

    async def serve(self):
        r = redis.Redis.from_url(self.url, decode_responses=True)
        while (order := await self.orders.get()) is not None:
            job, stop_holding_it = order
            if stop_holding_it:  # the worker dies with the job in its processing list
                mark("worker_stopped", job)
                break
            if await r.sadd(f"{KEYS}:done", job):  # 0: it ran before (and was recovered)
                await asyncio.sleep(seconds("job_ms"))
                mark("ran", job)
            await r.lrem(self.processing, 1, job)  # acknowledged
        await r.aclose()

    def stop(self):
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.orders.put_nowait, None)
        self.thread.join()
        self.loop.close()


async def main():
    jobs, crash_after = param("jobs"), param("crash_after")
    url = servers("redis")[0]
    r = redis.Redis.from_url(url, decode_responses=True)
    queue = f"{KEYS}:queue"
    await r.lpush(queue, *range(jobs))
    print(f"queued {jobs} jobs")
    workers = [Worker(i, url) for i in range(WORKERS)]
    live = list(workers)
    stop_at = crash_after if 0 < crash_after < jobs else None
    handed_out = turn = 0
    while True:
        for w in [w for w in live if not w.thread.is_alive()]:  # stopped: recover its jobs
            live.remove(w)
            print(f"{w.name} stopped; moving its unacknowledged jobs back to the queue")
            while (job := await r.lmove(w.processing, queue, "RIGHT", "RIGHT")) is not None:
                mark("recovered", job)
                print(f"recovered job {job}")
        stop = handed_out == stop_at and workers[0] in live
        w = workers[0] if stop else live[turn % len(live)]
        turn += not stop
        job = await r.blmove(queue, w.processing, 0.05, "RIGHT", "LEFT")
        if job is None:  # the queue is empty: done when every job ran and was acknowledged
            held = sum([await r.llen(w.processing) for w in live])
            if await r.scard(f"{KEYS}:done") == jobs and held == 0:
                break
            continue
        mark("dispatched", f"{job} {w.name}")
        handed_out += 1
        w.hand(job, stop_holding_it=stop)
        if stop:
            stop_at = None
    for w in workers:
        w.stop()
    keys = [key async for key in r.scan_iter(match=f"{KEYS}:*")]
    if keys:
        await r.delete(*keys)
    await r.aclose()
    print("all jobs done")


if __name__ == "__main__":
    asyncio.run(main())
