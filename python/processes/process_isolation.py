"""Processes do not share memory: a global list that each child appends to stays private to
that child (each sees only its own item, and the parent's list stays empty), while threads
appending to the same global list in one process all share it."""

import multiprocessing
import os
import threading

from conlab_trace import param, phase

numbers = []


def append_in_process(i):
    numbers.append(i)  # this process's own copy of the list
    print(f"process {i} (pid {os.getpid()}): the list is {numbers} (length {len(numbers)})")


def append_in_thread(i):
    numbers.append(i)  # the one list every thread of this process sees
    print(f"thread {i}: the list is {numbers}")


def main():
    n = param("processes")
    with phase("processes"):
        processes = [multiprocessing.Process(target=append_in_process, args=(i,)) for i in range(n)]
        for p in processes:
            p.start()
        for p in processes:
            p.join()
    print(f"parent after the processes: the list has {len(numbers)} {'item' if len(numbers) == 1 else 'items'}")
    with phase("threads"):
        threads = [threading.Thread(target=append_in_thread, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    print(f"parent after the threads: the list has {len(numbers)} {'item' if len(numbers) == 1 else 'items'}")


if __name__ == "__main__":
    main()
