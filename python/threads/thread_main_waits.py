"""A program does not end while non-daemon threads still run: main reaches its last line at
once, and the interpreter then waits for every worker before the process exits."""

import threading
import time

from conlab_trace import seconds


def worker(delay):
    time.sleep(delay)
    print(f"{threading.current_thread().name} finished after {delay * 1000:g} ms")


def main():
    for delay in seconds("sleeps_ms"):
        threading.Thread(target=worker, args=(delay,)).start()
    print("MainThread: reached the end of the program")
    # No join(): Python's main thread still waits here, at its end, for the workers.


if __name__ == "__main__":
    main()
