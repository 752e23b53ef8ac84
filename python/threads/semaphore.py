"""A BoundedSemaphore with n permits lets n threads into a section at once; the others wait
for a permit, so the work runs in waves of n."""

import threading
import time

from conlab_trace import param, seconds


def worker(semaphore, hold):
    with semaphore:  # waits while every permit is taken
        print(f"{threading.current_thread().name} is inside")
        time.sleep(hold)


def main():
    semaphore = threading.BoundedSemaphore(param("permits"))
    hold = seconds("hold_ms")
    threads = [threading.Thread(target=worker, args=(semaphore, hold)) for _ in range(param("threads"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
