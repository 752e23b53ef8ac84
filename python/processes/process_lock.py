"""A lock shared by processes (a semaphore the OS keeps for them) serializes a section across
them: every child arrives, waits at a start line until all have arrived, then takes the lock
in turn, so their sections never overlap."""

import multiprocessing
import os
import time

from conlab_trace import mark, param, seconds


def worker(i, lock, arrivals, go, hold):
    print(f"process {i} (pid {os.getpid()}): arrived")
    arrivals.put(i)
    go.wait()  # the start line
    with lock:
        mark("entered", i)
        print(f"process {i}: has the lock")
        time.sleep(hold)
        print(f"process {i}: done")
        mark("left", i)


def main():
    n = param("processes")
    lock = multiprocessing.Lock()
    arrivals = multiprocessing.Queue()
    go = multiprocessing.Event()
    processes = [multiprocessing.Process(target=worker, args=(i, lock, arrivals, go, seconds("hold_ms")))
                 for i in range(n)]
    for p in processes:
        p.start()
    for _ in range(n):
        arrivals.get()  # wait for every child to arrive
    mark("all_arrived")
    go.set()
    for p in processes:
        p.join()


if __name__ == "__main__":
    main()
