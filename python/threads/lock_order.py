"""Lock order and deadlock: two threads that take locks a and b in opposite orders can each
hold one and wait for the other forever. Python has no deadlock detector, so here each gives
its second acquire a timeout, and conlab's watch says who waited for what. Taken in one order,
a then b, they cannot deadlock."""

import threading
import time

from conlab_trace import mark, phase, seconds, watch_for_deadlock

GIVE_UP = 1.0  # seconds a thread waits for its second lock before it gives up


def both(tag, first, second, hold):
    name = threading.current_thread().name
    with first:
        time.sleep(hold)  # holding its first lock
        if second.acquire(timeout=GIVE_UP):
            mark("took_both", f"{tag} {name}")
            print(f"{name} holds both locks")
            second.release()
        else:
            print(f"{name} gave up waiting for its second lock after {GIVE_UP:g} s")


def run(tag, orders, hold):
    threads = [threading.Thread(target=both, args=(tag, *order, hold)) for order in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    hold = seconds("hold_ms")
    with phase("opposite"):
        print("two threads take locks a and b in opposite orders…")
        watch = watch_for_deadlock()  # conlab: notes waits for locks that close a cycle
        a = threading.Lock()
        b = threading.Lock()
        run("opposite", [(a, b), (b, a)], hold)
        report = watch.deadlock()  # marks who waited for what, if a cycle closed
        print(f"watchdog: deadlock — {report}" if report else "no deadlock this time")
    with phase("same"):
        print("now both take a, then b…")
        a = threading.Lock()
        b = threading.Lock()
        run("same", [(a, b), (a, b)], hold)
        print("both finished")


if __name__ == "__main__":
    main()
