"""Each child is a real OS process with its own PID; the parent starts them all, then waits
for them, and the order their lines come out in is up to the operating system."""

import multiprocessing
import os

from conlab_trace import param


def worker(i):
    print(f"argument {i} from pid {os.getpid()}")


def main():
    n = param("processes")
    processes = [multiprocessing.Process(target=worker, args=(i,)) for i in range(n)]
    for p in processes:
        p.start()
    print(f"MainThread: started {n} {'process' if n == 1 else 'processes'}")
    for p in processes:
        p.join()
    print("MainThread: every process has exited")


if __name__ == "__main__":
    main()
