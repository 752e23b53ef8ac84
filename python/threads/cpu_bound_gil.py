"""CPU-bound work and the GIL: the same units of pure-Python work done one after the other,
by threads, and by processes. Under the global interpreter lock only one thread runs Python
code at a time, so threads gain nothing; each process has its own interpreter and GIL, so
processes spread over the cores. (On a free-threaded Python, 3.13t, threads spread too.)"""

import multiprocessing
import os
import sys
import threading
import time

from conlab_trace import computing, metric, param, phase, seconds

UNIT = 0.100 * param("time-scale")  # one unit of work: this much CPU time on one core


def count(n):
    """Pure-Python CPU work: count down from n."""
    while n > 0:
        n -= 1


def loops_per_unit():
    """How many turns of count() take UNIT seconds of CPU time here."""
    start = time.thread_time()
    count(500_000)
    return max(1, int(500_000 * UNIT / (time.thread_time() - start)))


def unit(loops):
    with computing():  # conlab: a `computing` span, and the CPU time it took (`cpu_time`)
        count(loops)


def one_after_another(units, loops):
    for _ in range(units):
        unit(loops)


def in_threads(units, loops):
    threads = [threading.Thread(target=unit, args=(loops,)) for _ in range(units)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def in_processes(units, loops):
    processes = [multiprocessing.Process(target=unit, args=(loops,)) for _ in range(units)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()


def timed(name, run, *args):
    with phase(name):
        start = time.perf_counter()
        run(*args)
        took = time.perf_counter() - start
    metric(f"makespan_{name}_ms", took * 1000, "ms")
    return took


def main():
    units = param("units")
    cores = len(os.sched_getaffinity(0))
    metric("cores", cores, "cores")
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()  # False only on a free-threaded build
    loops = loops_per_unit()

    cpu = time.thread_time()
    took = timed("sequential", one_after_another, units, loops)
    cpu = time.thread_time() - cpu
    print(f"sequential: {units} {'unit' if units == 1 else 'units'} in {took * 1000:.0f} ms "
          f"({cpu * 1000:.0f} ms of CPU)")

    if param("gil"):
        sys.setswitchinterval(seconds("switch_interval_ms"))  # how often the GIL is handed over
        took = timed("gil_threads", in_threads, units, loops)
        print(f"threads with the GIL: {took * 1000:.0f} ms ({cpu / took:.2f}x)"
              + ("" if gil else " (this Python has no GIL: free-threaded)"))
    else:
        print("threads with the GIL: skipped (gil=false)")

    # The same threads again, for the lesson's phase without a GIL: only a free-threaded
    # Python runs them that way; this one runs them as it runs every thread.
    took = timed("free_threads", in_threads, units, loops)
    if gil:
        print(f"threads without a GIL: none on this Python (the GIL is on); the same threads "
              f"took {took * 1000:.0f} ms ({cpu / took:.2f}x)")
    else:
        print(f"threads without a GIL: {took * 1000:.0f} ms ({cpu / took:.2f}x on {cores} cores)")

    took = timed("processes", in_processes, units, loops)
    print(f"processes: {took * 1000:.0f} ms ({cpu / took:.2f}x on {cores} cores, starting them included)")


if __name__ == "__main__":
    main()
