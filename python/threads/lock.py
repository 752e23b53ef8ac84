"""A Lock makes "append, then read the last element" atomic: inside `with lock:` no other
thread can append in between, so every thread reads back what it appended, and the critical
sections never overlap."""

import threading
import time

from conlab_trace import mark, param, seconds

items = []
lock = threading.Lock()


def append_and_read(i, hold):
    with lock:
        items.append(i)
        time.sleep(hold)  # work, still holding the lock
        last = items[-1]
    mark("pair", f"{i} {last}")
    print(f"appended {i}, last is {last}")


def main():
    hold = seconds("hold_ms")
    threads = [threading.Thread(target=append_and_read, args=(i, hold)) for i in range(param("threads"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
