"""The peer of `conlab run process-pool -p task_ms=0`: multiprocessing.Pool(WORKERS).map over
TASKS tasks that return their input, with Pool.map's own chunking. Prints tasks per second,
timed around the map call: the pool warm (started, and a first map run), as conlab's figure is
timed from the first task handed out once every worker is up; each chunk's inputs are sent
to the workers and the results back, as conlab sends them."""
import multiprocessing as mp
import sys
import time


def task(x):
    return x


if __name__ == "__main__":
    workers, tasks = int(sys.argv[1]), int(sys.argv[2])
    with mp.Pool(workers) as pool:
        pool.map(task, range(workers))
        start = time.perf_counter()
        results = pool.map(task, range(tasks))
        took = time.perf_counter() - start
    assert results == list(range(tasks))
    print(f"{tasks / took:.0f}")
