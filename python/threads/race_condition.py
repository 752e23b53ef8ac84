"""A race condition: threads share a variable without a lock, then with one.

* op=assign: each thread writes its number, works a while, and reads the variable back.
  Without a lock it may read another thread's number; with `with lock:` around all three, its
  own.
* op=increment: each thread does `counter += 1` as a read, some work, and a write. Without a
  lock another thread's write can come between them, and an update is lost.

Every access to the shared variable is numbered as it happens (`next(accesses)` right after
it: under the GIL nothing runs between the two), so the trace tells whose write came between
a read and a write."""

import itertools
import threading
import time
from contextlib import nullcontext

from conlab_trace import clock, mark, param, phase, seconds

accesses = itertools.count(1)
value = None
counter = 0


def assign(i, lock, hold, tag):
    global value
    name = threading.current_thread().name
    start = clock()  # when this thread's write-work-read begins (the trace's time)
    with lock:
        value = i
        time.sleep(hold)  # work (with the lock: still holding it)
        seen = value
    if tag == "unlocked":
        mark("unlocked_read", f"{i} {seen} {start}")
        print(f"without lock: {name} wrote {i}, read back {seen}")
    else:
        mark("locked_read", f"{i} {seen}")
        print(f"with lock: {name} wrote {i}, read back {seen}")


def increment(i, lock, hold, times, tag):
    global counter
    for _ in range(times):
        with lock:
            v = counter  # counter += 1, step 1: read
            seen = next(accesses)
            mark("read", f"{tag} {i} {v} {seen}")
            if hold:
                time.sleep(hold)  # work between the read and the write
            counter = v + 1  # step 2: write
            wrote = next(accesses)
            mark("write", f"{tag} {i} {v + 1} {wrote}")


def run_threads(target, args):
    threads = [threading.Thread(target=target, args=(i, *args)) for i in range(param("threads"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    global counter
    hold = seconds("hold_ms")
    lock = threading.Lock()
    for tag, guard in (("unlocked", nullcontext()), ("locked", lock)):
        with phase(tag):
            if param("op") == "increment":
                counter = 0
                times = param("increments")
                run_threads(increment, (guard, hold, times, tag))
                expected = param("threads") * times
                mark("counter", f"{tag} {counter} {expected}")
                print(f"{'without' if tag == 'unlocked' else 'with'} lock: counter = {counter}, expected {expected}")
            else:
                run_threads(assign, (guard, hold, tag))


if __name__ == "__main__":
    main()
