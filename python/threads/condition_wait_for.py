"""`Condition.wait_for(predicate)` blocks until a predicate over shared state holds,
checking it again at every notification: thread i proceeds once the counter reaches i."""

import threading
import time

from conlab_trace import mark, param

GAP = max(0.050 * param("time-scale"), 0.020)  # seconds between updates of the counter
cond = threading.Condition()
counter = 0


def waiter(i):
    with cond:
        cond.wait_for(lambda: counter >= i)
    mark("proceeds", i)
    print(f"{threading.current_thread().name} proceeds: counter reached {i}")


def main():
    global counter
    n = param("threads")
    threads = [threading.Thread(target=waiter, args=(i,)) for i in range(1, n + 1)]
    for t in threads:
        t.start()
    for k in range(1, n + 1):
        time.sleep(GAP)
        with cond:
            counter = k
            mark("counter", k)
            cond.notify_all()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
