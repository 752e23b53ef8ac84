"""Threads wait on a Condition for items; each notify(n) adds n items and wakes n waiters.

* wait=while: a woken thread checks again (`while items == 0: cond.wait()`); if another
  thread took the item meanwhile, it waits again.
* wait=if: it checks once (`if items == 0: cond.wait()`). A thread that comes in between a
  notify and the waiter it woke takes that waiter's item, and the waiter goes on with none
  (where `items.pop()` would raise IndexError)."""

import threading
import time

from conlab_trace import mark, param

GAP = max(0.100 * param("time-scale"), 0.040)  # seconds between notifications
cond = threading.Condition()
items = 0


def consumer(recheck):
    global items
    name = threading.current_thread().name
    with cond:
        if recheck:
            while items == 0:
                mark("wait")
                cond.wait()
        elif items == 0:
            mark("wait")
            cond.wait()
        if items == 0:
            mark("empty", name)
            print(f"{name} woke, found no item, and went on")
        else:
            items -= 1
            mark("released")
            print(f"{name} takes an item")


def notify(k, everyone=False):
    """Adds k items and wakes k waiters (everyone: every waiter)."""
    global items
    with cond:
        items += k
        mark("notify", "all" if everyone else k)  # marked holding the lock: before any wakes
        if everyone:
            cond.notify_all()
        else:
            cond.notify(k)


def main():
    n = param("threads")
    recheck = param("wait") != "if"
    threads = [threading.Thread(target=consumer, args=(recheck,)) for _ in range(n)]
    for t in threads:
        t.start()
    left = n
    for i, k in enumerate(param("notify_plan")):
        if i > 0:
            time.sleep(GAP)
        k = min(k, left)
        notify(k)
        left -= k
        print(f"notify({k})")
    if left > 0:
        time.sleep(GAP)
        notify(left, everyone=True)
        print(f"notify_all() for the remaining {left}")
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
