"""One `set()` releases every thread waiting on an Event at once; `clear()` arms it again for
the next round."""

import threading
import time

from conlab_trace import mark, param

GAP = max(0.100 * param("time-scale"), 0.030)  # seconds before each round's set()
event = threading.Event()


def waiter(round_):
    event.wait()
    mark("released", round_)
    print(f"round {round_}: {threading.current_thread().name} released")


def main():
    for round_ in range(param("rounds")):
        threads = [threading.Thread(target=waiter, args=(round_,)) for _ in range(param("threads"))]
        for t in threads:
            t.start()
        time.sleep(GAP)
        mark("set", round_)
        print(f"round {round_}: set()")
        event.set()
        for t in threads:
            t.join()
        event.clear()
        mark("clear", round_)


if __name__ == "__main__":
    main()
