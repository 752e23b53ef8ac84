"""A queue between processes: children put values into a `multiprocessing.Queue` (a pipe
and a lock underneath), and the parent takes them off one by one, waiting while it is empty,
and gets every value exactly once."""

import multiprocessing
import os

from conlab_trace import mark, param


def put(i, queue):
    mark("put", i)
    print(f"process {i} (pid {os.getpid()}): put {i}")
    queue.put(i)


def main():
    n = param("processes")
    queue = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=put, args=(i, queue)) for i in range(n)]
    for p in processes:
        p.start()
    for _ in range(n):
        print(f"parent: got {queue.get()} from the queue")  # waits while the queue is empty
    for p in processes:
        p.join()


if __name__ == "__main__":
    main()
