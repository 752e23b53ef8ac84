"""The peer of `conlab run process-shared-dict`: PROCESSES processes each make UPDATES
updates to their key of a multiprocessing.Manager().dict(). Prints updates per second, timed
from starting the first process to joining the last (as conlab's figure is)."""
import multiprocessing as mp
import sys
import time


def update(d, i, updates):
    for u in range(updates):
        d[i] = i * updates + u


if __name__ == "__main__":
    processes, updates = int(sys.argv[1]), int(sys.argv[2])
    with mp.Manager() as manager:
        d = manager.dict()
        start = time.perf_counter()
        children = [mp.Process(target=update, args=(d, i, updates)) for i in range(processes)]
        for c in children:
            c.start()
        for c in children:
            c.join()
        took = time.perf_counter() - start
        assert len(d) == processes and all(d[i] == i * updates + updates - 1 for i in range(processes))
    print(f"{processes * updates / took:.0f}")
