"""A thread pool: k worker threads take the submitted tasks one after another, so many tasks
run in waves of k."""

import time
from concurrent.futures import ThreadPoolExecutor

from conlab_trace import mark, param, seconds, span


def task(i, duration):
    with span("running", f"task {i}"):  # conlab: this task, on the worker that runs it
        time.sleep(duration)
    mark("task_done", i)
    return i


def main():
    workers, tasks, duration = param("workers"), param("tasks"), seconds("task_ms")
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="worker") as pool:
        futures = [pool.submit(task, i, duration) for i in range(tasks)]
        print(f"submitted {tasks:,} {'task' if tasks == 1 else 'tasks'} to "
              f"{workers} {'worker' if workers == 1 else 'workers'}")
        for future in futures:
            future.result()
    print("all tasks done")


if __name__ == "__main__":
    main()
