"""A process has a name, a PID and a daemon flag, and the parent joins it: each child says
who it is, and the parent what it started and how each one ended."""

import multiprocessing
import os
import time

from conlab_trace import param

WORK = 0.050 * param("time-scale")  # each child's own work, in seconds


def worker():
    me = multiprocessing.current_process()
    print(f"child: name={me.name} pid {os.getpid()} daemon={str(me.daemon).lower()}")
    time.sleep(WORK)


def main():
    children = []
    for i in range(param("processes")):
        p = multiprocessing.Process(target=worker, name=f"worker-{i + 1}", daemon=i % 2 == 1)
        p.start()
        print(f"parent: started {p.name} with pid {p.pid}, daemon={str(p.daemon).lower()}")
        children.append(p)
    for p in children:
        p.join()
        print(f"parent: joined {p.name}, which exited with code {p.exitcode}")


if __name__ == "__main__":
    main()
