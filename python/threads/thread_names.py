"""Every thread has a name (given, or Python's `Thread-N (target)`), and code can ask for the
name of the thread it runs on."""

import threading

from conlab_trace import param


def report():
    print(f"current thread: {threading.current_thread().name}")


def main():
    threads = [threading.Thread(target=report, name="worker-custom")]
    threads += [threading.Thread(target=report) for _ in range(param("threads") - 1)]
    for t in threads:
        t.start()
    report()  # the main thread: MainThread
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
