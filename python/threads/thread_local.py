"""Thread-local storage: each thread sees its own value of a `threading.local()` attribute.
The same built by hand is a dict keyed by the thread's id, shared, so guarded by a lock."""

import threading
import time

from conlab_trace import mark, param, seconds

value = threading.local()
by_hand = {}  # thread id -> its value
guard = threading.Lock()


def worker(hold):
    mine = threading.current_thread().name
    value.name = mine  # this thread's own attribute
    with guard:
        by_hand[threading.get_ident()] = mine
    time.sleep(hold)
    local = value.name
    with guard:
        manual = by_hand[threading.get_ident()]
    mark("read_back", f"{mine} {local} {manual}")
    print(f"{mine}: thread-local {local}, by hand {manual}")


def main():
    hold = seconds("hold_ms")
    threads = [threading.Thread(target=worker, args=(hold,), name=f"worker-{i + 1}")
               for i in range(param("threads"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
