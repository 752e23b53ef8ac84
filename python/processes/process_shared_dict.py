"""A manager's shared dict: a manager process owns the dict, and every `d[key] = value` a
child makes is a round trip to it (the manager serves each connection on a thread of its
own). The parent then reads the final dict from the manager."""

import multiprocessing
import os

from conlab_trace import param


def update(i, d, updates):
    for u in range(updates):
        d[i] = i * updates + u  # a round trip to the manager's process
    print(f"process {i} (pid {os.getpid()}): set d[{i}] = {i * updates + updates - 1} "
          f"({updates} {'update' if updates == 1 else 'updates'})")


def main():
    n, updates = param("processes"), param("updates")
    with multiprocessing.Manager() as manager:
        d = manager.dict()
        processes = [multiprocessing.Process(target=update, args=(i, d, updates)) for i in range(n)]
        for p in processes:
            p.start()
        for p in processes:
            p.join()
        final = d.copy()  # one more round trip: the whole dict, as a plain dict
    print(f"parent: the final dict is {dict(sorted(final.items()))}")


if __name__ == "__main__":
    main()
