"""Daemon threads are cut off when the main thread ends: nobody waits for them, so the rest
of their work never happens (here main ends after 50 ms of its own work)."""

import threading
import time

from conlab_trace import mark, param, seconds

MAIN_WORK = 0.050 * param("time-scale")  # main's own work, in seconds


def background(delay):
    name = threading.current_thread().name
    print(f"{name}: daemon started, sleeping")
    time.sleep(delay)
    mark("finished")
    print(f"{name}: daemon finished its work")


def main():
    threading.Thread(target=background, args=(seconds("sleep_ms"),), daemon=True).start()
    time.sleep(MAIN_WORK)  # main's own work
    print("MainThread: exiting without waiting for the daemon")


if __name__ == "__main__":
    main()
