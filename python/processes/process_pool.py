"""A process pool: `Pool(k)` starts k worker processes, and `map` hands them the tasks in
chunks, so equal tasks run in waves of k, never more than k at once, and every result comes
back to the parent in order."""

import multiprocessing
import time

from conlab_trace import param, phase, seconds, span

DURATION = seconds("task_ms")  # each task's time (read here, so the workers have it too)


def task(x):
    with span("running", f"task {x}"):  # conlab: this task, on the worker that runs it
        time.sleep(DURATION)
    return x  # f(x) = x


def main():
    workers, tasks = param("workers"), param("tasks")
    chunksize = param("chunksize") or None  # None: as Pool.map chooses, tasks / (4 x workers)
    print(f"parent: a pool of {workers} {'worker' if workers == 1 else 'workers'} for {tasks:,} "
          f"{'task' if tasks == 1 else 'tasks'}")
    with multiprocessing.Pool(workers) as pool:
        with phase("tasks"):
            results = pool.map(task, range(tasks), chunksize)
    print(f"parent: all {tasks:,} {'task' if tasks == 1 else 'tasks'} done; {len(results):,} "
          f"{'result' if len(results) == 1 else 'results'} back, adding up to {sum(results)}")


if __name__ == "__main__":
    main()
