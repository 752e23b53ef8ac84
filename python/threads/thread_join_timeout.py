"""join() waits for a thread to finish; join(timeout) gives up after the timeout and lets the
caller carry on while the thread may still run (is_alive() says which)."""

import threading
import time

from conlab_trace import mark, seconds


class Worker(threading.Thread):
    """A thread that works for a while (a subclass: its name stays Python's `Thread-N`)."""

    def __init__(self, work):
        super().__init__()
        self.work = work

    def run(self):
        time.sleep(self.work)
        print(f"{self.name} worked for {self.work * 1000:g} ms")


def main():
    work, timeout = seconds("work_ms"), seconds("timeout_ms")

    first = Worker(work)
    print(f"create {first.name}")
    first.start()
    first.join()
    print(f"join() returned; {first.name} finished")

    second = Worker(work)
    print(f"create {second.name}")
    second.start()
    start = time.monotonic_ns()
    second.join(timeout)
    mark("join_timeout_returned", time.monotonic_ns() - start)  # nanoseconds waited
    print(f"join(timeout) returned; {second.name} {'is still running' if second.is_alive() else 'finished'}")


if __name__ == "__main__":
    main()
