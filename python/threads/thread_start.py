"""Starting a thread only schedules it: `start()` returns at once, the main thread carries on,
and the operating system decides when each worker runs."""

import threading
import time

from conlab_trace import param

WORK = 0.050 * param("time-scale")  # each worker's own work, in seconds


def worker():
    name = threading.current_thread().name
    print(f"{name}: started")
    time.sleep(WORK)
    print(f"{name}: done")


def main():
    n = param("threads")
    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    print(f"MainThread: started {n:,} {'thread' if n == 1 else 'threads'} and carries on")
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
