"""A re-entrant lock (RLock) can be taken again by the thread that holds it. A plain Lock
taken twice by one thread deadlocks: the thread waits for a lock it holds itself. Python has
no deadlock detector, so this program gives the second acquire a timeout and asks conlab's
watch who waited for what."""

import threading

from conlab_trace import mark, param, watch_for_deadlock

GIVE_UP = 1.0  # seconds the plain lock's second acquire waits before it gives up

rlock = threading.RLock()
count = 0


def twice():
    global count
    with rlock:
        with rlock:  # the same thread again: an RLock lets it in
            count += 1
            mark("rlock_twice", count)
            print(f"{threading.current_thread().name} took the RLock twice (count {count})")


def plain_twice(plain):
    with plain:
        print("Thread-plain took the Lock once and takes it again…")
        if plain.acquire(timeout=GIVE_UP):  # waits for a lock this thread holds: it never comes
            print("Thread-plain took it twice (impossible)")
            plain.release()
        else:
            print(f"Thread-plain gave up after {GIVE_UP:g} s: it waited for itself")


def main():
    threads = [threading.Thread(target=twice) for _ in range(param("threads"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    mark("plain_start")
    print("now the same with a plain Lock…")
    watch = watch_for_deadlock()  # conlab: notes waits for locks that close a cycle
    plain = threading.Lock()
    t = threading.Thread(target=plain_twice, args=(plain,), name="Thread-plain")
    t.start()
    t.join()
    report = watch.deadlock()  # marks who waited for what, if a cycle closed
    print(f"watchdog: deadlock — {report}" if report else "watchdog: no deadlock reported")


if __name__ == "__main__":
    main()
