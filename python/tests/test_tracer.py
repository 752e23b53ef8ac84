"""Tests of the tracer and of every lesson's program under it.

    cd /work/main && python3 -m unittest discover -s python/tests -v
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(HERE)
sys.path.insert(0, PYTHON_DIR)
sys.path.insert(0, HERE)

from conlab_trace import catalog  # noqa: E402
import scenario_checks  # noqa: E402

MS = 1_000_000
STATES = {"running", "computing", "sleeping", "blocked_io", "blocking", "waiting_lock",
          "holding_lock", "waiting_semaphore", "waiting_condition", "waiting_event",
          "waiting_queue", "waiting_join", "waiting_future", "waiting_gil", "connecting",
          "in_flight", "pool_wait"}
KINDS = {"main", "thread", "process", "task", "worker", "connection", "server", "lock"}


def trace(program, scenario=None, params=None, source=None):
    """Runs `program` (a path, or a name for `source`) under the tracer; returns the trace,
    the exit code and what it printed."""
    with tempfile.TemporaryDirectory() as tmp:
        if source is not None:
            path = os.path.join(tmp, program)
            with open(path, "w") as f:
                f.write(textwrap.dedent(source))
            program = path
        out = os.path.join(tmp, "trace.json")
        command = [sys.executable, "-m", "conlab_trace", program, "--out", out]
        if scenario:
            command += ["--scenario", scenario]
        for name, value in (params or {}).items():
            command += ["--param", f"{name}={value}"]
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
        run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        if not os.path.exists(out):
            raise AssertionError(f"no trace written: {run.stderr}")
        with open(out) as f:
            return json.load(f), run.returncode, run.stdout + run.stderr


def lane_named(t, name):
    """The lane called `name` (a process's: `name (pid N)`)."""
    return next(l for l in t["lanes"] if l["name"] == name or l["name"].startswith(name + " (pid "))


def spans_of(t, lane, state=None):
    return [s for s in t["spans"] if s["lane"] == lane["id"] and (state is None or s["state"] == state)]


def site_line(t, item):
    return t["sites"][item["site"]]["line"]


class TracerTests(unittest.TestCase):
    def test_a_task_suspended_on_sleep_is_sleeping_not_running(self):
        t, code, _ = trace("sleeper.py", source="""\
            import asyncio

            async def nap():
                await asyncio.sleep(0.15)

            async def main():
                await asyncio.create_task(nap(), name="napper")

            asyncio.run(main())
            """)
        self.assertEqual(code, 0)
        napper = lane_named(t, "napper")
        self.assertEqual(napper["kind"], "task")
        [sleep] = spans_of(t, napper, "sleeping")
        self.assertEqual(sleep["label"], "sleep 150 ms")
        self.assertEqual(site_line(t, sleep), 4)
        self.assertGreaterEqual(sleep["end"] - sleep["start"], 149 * MS)
        self.assertLess(sleep["end"] - sleep["start"], 250 * MS)
        for r in spans_of(t, napper, "running"):  # running only before and after it
            self.assertTrue(r["end"] <= sleep["start"] or r["start"] >= sleep["end"], r)
            self.assertLess(r["end"] - r["start"], 20 * MS)
        # The main coroutine is the main lane, waiting for its task meanwhile.
        main = t["lanes"][0]
        self.assertEqual((main["kind"], main["name"]), ("main", "MainThread"))
        [join] = spans_of(t, main, "waiting_join")
        self.assertEqual(join["label"], "napper")
        self.assertLessEqual(join["start"], sleep["start"])
        self.assertGreaterEqual(join["end"], sleep["end"])
        self.assertEqual(sum(l["kind"] == "task" for l in t["lanes"]), 1)

    def test_a_thread_blocked_on_a_lock_waits_naming_whose_lock_then_holds_it(self):
        t, code, _ = trace("locks.py", source="""\
            import threading, time

            lock = threading.Lock()

            def first():
                with lock:
                    time.sleep(0.1)

            def second():
                time.sleep(0.02)
                with lock:
                    pass

            a = threading.Thread(target=first, name="first")
            b = threading.Thread(target=second, name="second")
            a.start(); b.start(); a.join(); b.join()
            """)
        self.assertEqual(code, 0)
        first, second = lane_named(t, "first"), lane_named(t, "second")
        self.assertEqual((first["kind"], second["kind"]), ("thread", "thread"))
        [held] = spans_of(t, first, "holding_lock")
        self.assertEqual(held["label"], "lock")
        [nap] = spans_of(t, first, "sleeping")
        self.assertEqual(nap["depth"], held["depth"] + 1)  # the sleep is inside the hold
        [wait] = spans_of(t, second, "waiting_lock")
        self.assertEqual(wait["label"], "lock held by first")
        self.assertEqual(site_line(t, wait), 11)
        [hold] = spans_of(t, second, "holding_lock")
        self.assertGreaterEqual(wait["end"] - wait["start"], 70 * MS)
        self.assertLessEqual(held["end"], hold["start"])  # the holds never overlap
        self.assertLessEqual(wait["end"], hold["start"])
        self.assertGreaterEqual(hold["start"], held["end"])
        # main waited for each thread by name
        joins = [s["label"] for s in spans_of(t, t["lanes"][0], "waiting_join")]
        self.assertIn("first", joins)

    def test_threads_waiting_on_other_primitives_say_on_what(self):
        t, code, _ = trace("primitives.py", source="""\
            import queue, threading, time

            cond = threading.Condition()
            sem = threading.BoundedSemaphore(1)
            ready = threading.Event()
            jobs = queue.Queue()

            def waits():
                with cond:
                    cond.wait_for(lambda: ready.is_set())
                with sem:
                    jobs.get()

            def sets():
                with sem:
                    ready.wait()
                    time.sleep(0.03)
                time.sleep(0.03)
                jobs.put(1)

            a = threading.Thread(target=waits, name="waits")
            b = threading.Thread(target=sets, name="sets")
            b.start(); a.start()
            time.sleep(0.05)
            with cond:
                ready.set()
                cond.notify_all()
            a.join(); b.join()
            """)
        self.assertEqual(code, 0)
        waits, sets = lane_named(t, "waits"), lane_named(t, "sets")
        states = [(s["state"], s.get("label")) for s in spans_of(t, waits)]
        self.assertEqual(states[:2], [("holding_lock", "cond"), ("waiting_condition", "cond")])
        self.assertIn(("waiting_semaphore", "sem"), states)
        self.assertIn(("waiting_queue", "jobs.get"), states)
        self.assertIn(("waiting_event", "ready"), [(s["state"], s.get("label")) for s in spans_of(t, sets)])
        # A permit held is a hold of the semaphore, and the queue's wait lies within it.
        [held] = [s for s in spans_of(t, waits, "holding_lock") if s["label"] == "sem"]
        [get] = spans_of(t, waits, "waiting_queue")
        self.assertEqual((held["depth"], get["depth"]), (0, 1))
        self.assertTrue(held["start"] <= get["start"] and get["end"] <= held["end"])
        [other] = [s for s in spans_of(t, sets, "holding_lock") if s["label"] == "sem"]
        self.assertLessEqual(other["end"], held["start"])  # one permit: the holds follow each other
        self.assertEqual([s["depth"] for s in spans_of(t, waits) if s is not get], [0] * (len(states) - 1))

    def test_a_child_process_records_under_its_own_lane_in_order(self):
        t, code, out = trace("children.py", source="""\
            import multiprocessing, threading, time
            from conlab_trace import mark

            def child(i):
                print(f"child {i} starts")
                mark("step", "one")
                time.sleep(0.03)
                helper = threading.Thread(target=time.sleep, args=(0.01,), name=f"helper-{i}")
                helper.start(); helper.join()
                mark("step", "two")
                print(f"child {i} ends")

            if __name__ == "__main__":
                procs = [multiprocessing.Process(target=child, args=(i,)) for i in range(2)]
                for p in procs: p.start()
                for p in procs: p.join()
                print("parent ends")
            """)
        self.assertEqual(code, 0, out)
        for i, name in enumerate(["Process-1", "Process-2"]):
            proc = lane_named(t, name)
            self.assertEqual(proc["kind"], "process")
            self.assertRegex(proc["name"], rf"^{name} \(pid \d+\)$")  # as conlab names them
            helper = lane_named(t, f"helper-{i}")
            self.assertEqual((helper["kind"], helper["parent"]), ("thread", proc["id"]))
            lines = [o for o in t["output"] if o["lane"] == proc["id"]]
            self.assertEqual([o["text"] for o in lines], [f"child {i} starts", f"child {i} ends"])
            self.assertEqual([site_line(t, o) for o in lines], [5, 11])
            steps = [m for m in t["marks"] if m["lane"] == proc["id"] and m["name"] == "step"]
            self.assertEqual([m["detail"] for m in steps], ["one", "two"])
            events = [lines[0]["t"], steps[0]["t"], steps[1]["t"], lines[1]["t"]]
            self.assertEqual(events, sorted(events))  # in the order the child recorded them
            self.assertTrue(proc["start"] <= events[0] and events[-1] <= proc["end"] <= t["end"])
            self.assertTrue(proc["start"] <= helper["start"] <= helper["end"] <= proc["end"])
            [sleep] = spans_of(t, proc, "sleeping")
            self.assertGreaterEqual(sleep["end"] - sleep["start"], 29 * MS)
            [exit_] = [m for m in t["marks"] if m["lane"] == proc["id"] and m["name"] == "exit"]
            self.assertEqual(exit_["detail"], "exited with code 0")
        self.assertEqual(t["output"][-1]["text"], "parent ends")

    def test_output_lines_carry_their_lane_and_line(self):
        t, code, out = trace("printer.py", source="""\
            import asyncio, threading

            def worker():
                print("from a thread")

            async def task():
                print("from a task", "with", 3, "words", sep="-")

            print("from main", end=" ")
            print("continued")
            th = threading.Thread(target=worker, name="worker"); th.start(); th.join()
            async def main(): await asyncio.create_task(task())
            asyncio.run(main())
            """)
        self.assertEqual(code, 0)
        self.assertIn("from main continued\nfrom a thread\nfrom a task-with-3-words\n", out)
        lines = {o["text"]: o for o in t["output"]}
        self.assertEqual(set(lines), {"from main continued", "from a thread", "from a task-with-3-words"})
        self.assertEqual(lines["from main continued"]["lane"], 0)
        self.assertEqual(site_line(t, lines["from main continued"]), 10)
        self.assertEqual(t["lanes"][lines["from a thread"]["lane"]]["name"], "worker")
        self.assertEqual(site_line(t, lines["from a thread"]), 4)
        task_lane = t["lanes"][lines["from a task-with-3-words"]["lane"]]
        self.assertEqual(task_lane["kind"], "task")
        self.assertEqual(site_line(t, lines["from a task-with-3-words"]), 7)
        self.assertTrue(all(s["file"].endswith("printer.py") for s in t["sites"]))

    def test_an_exception_fails_the_run_with_its_last_line(self):
        t, code, out = trace("broken.py", source="""\
            print("before")
            raise ValueError("boom at step 3")
            """)
        self.assertEqual(code, 1)
        self.assertEqual(t["status"], {"kind": "failed", "reason": "ValueError: boom at step 3"})
        self.assertEqual([o["text"] for o in t["output"]], ["before"])
        self.assertIn('raise ValueError("boom at step 3")', out)

    def test_the_program_s_site_is_relative_to_the_repository(self):
        t, _, _ = trace(os.path.join(PYTHON_DIR, "asyncio", "two_tasks.py"))
        self.assertEqual(t["scenario"], "asyncio-two-tasks")
        self.assertEqual({s["file"] for s in t["sites"]}, {"python/asyncio/two_tasks.py"})
        self.assertEqual(t["params"], {"sleep_ms": "200", "time-scale": "1"})


    # ------------------------------------------------------------------------- threads

    def test_computing_records_its_cpu_time_and_span_a_labelled_span(self):
        t, code, _ = trace("cpu.py", source="""\
            import threading, time
            from conlab_trace import clock, computing, span

            def busy():
                with computing():
                    end = time.perf_counter() + 0.05
                    while time.perf_counter() < end:
                        pass

            t = threading.Thread(target=busy, name="busy"); t.start(); t.join()
            with span("running", "task 7"):
                time.sleep(0.02)
            print(clock())
            """)
        self.assertEqual(code, 0)
        busy = lane_named(t, "busy")
        [work] = spans_of(t, busy, "computing")
        self.assertGreaterEqual(work["end"] - work["start"], 49 * MS)
        [cpu] = [m for m in t["marks"] if m["name"] == "cpu_time"]
        self.assertEqual(cpu["lane"], busy["id"])
        self.assertGreater(int(cpu["detail"]), 30 * MS)  # the thread's own CPU time, in ns
        self.assertLessEqual(int(cpu["detail"]), work["end"] - work["start"] + MS)
        [task] = spans_of(t, t["lanes"][0], "running")
        self.assertEqual((task["label"], task["depth"]), ("task 7", 0))
        [nap] = spans_of(t, t["lanes"][0], "sleeping")
        self.assertEqual(nap["depth"], 1)  # within the span
        printed = t["output"][0]
        self.assertTrue(task["end"] <= int(printed["text"]) <= printed["t"])  # the trace's own time

    def test_a_phase_notes_the_machines_idle_time_at_both_ends(self):
        t, code, _ = trace("phase.py", source="""\
            import time
            from conlab_trace import phase

            with phase("nap"):
                time.sleep(0.03)
            """)
        self.assertEqual(code, 0)
        names = [(m["name"], m["detail"].split()[0] if m["name"] == "machine_idle" else m["detail"])
                 for m in t["marks"]]
        self.assertEqual([n for n, _ in names], ["phase_start", "machine_idle", "machine_idle", "phase_end"])
        idle = [list(map(int, m["detail"].split())) for m in t["marks"] if m["name"] == "machine_idle"]
        self.assertEqual(len(idle[0]), 3)  # idle ns, resolution ns, cpus
        self.assertGreaterEqual(idle[1][0], idle[0][0])
        self.assertEqual(idle[0][2], len(os.sched_getaffinity(0)))

    def test_a_watch_reports_a_cycle_of_lock_waits_as_a_deadlock(self):
        t, code, out = trace("deadlock.py", source="""\
            import threading, time
            from conlab_trace import watch_for_deadlock

            a = threading.Lock()
            b = threading.Lock()

            def take(first, second):
                with first:
                    time.sleep(0.05)
                    if second.acquire(timeout=0.3):
                        second.release()

            watch = watch_for_deadlock()
            one = threading.Thread(target=take, args=(a, b), name="one")
            two = threading.Thread(target=take, args=(b, a), name="two")
            one.start(); two.start(); one.join(); two.join()
            print(watch.deadlock())
            print(watch.deadlock())  # each cycle is reported once
            mine = threading.Lock()
            with mine:
                mine.acquire(timeout=0.05)  # waits for itself
            print(watch.deadlock())
            """)
        self.assertEqual(code, 0, out)
        one, two = lane_named(t, "one"), lane_named(t, "two")
        self.assertEqual([o["text"] for o in t["output"]], [
            "one waits for lock `b` held by two; two waits for lock `a` held by one", "None",
            "MainThread waits for lock `mine` held by itself"])
        arrows = [m["detail"] for m in t["marks"] if m["name"] == "waits_for"]
        self.assertEqual(arrows, [f"{one['id']} {two['id']}", f"{two['id']} {one['id']}", "0 0"])
        deadlocks = [m for m in t["marks"] if m["name"] == "deadlock"]
        self.assertEqual([m["lane"] for m in deadlocks], [0, 0])  # marked where it was asked
        self.assertEqual(deadlocks[0]["detail"], t["output"][0]["text"])

    def test_a_queue_marks_its_length_at_every_put_and_get(self):
        t, code, _ = trace("lengths.py", source="""\
            import queue
            q = queue.Queue()
            q.put(1); q.put(2); q.get(); q.put(3); q.get(); q.get()
            """)
        self.assertEqual(code, 0)
        self.assertEqual([m["detail"] for m in t["marks"] if m["name"] == "queue_len"],
                         ["1", "2", "1", "2", "1", "0"])

    def test_a_thread_waiting_for_a_socket_is_blocked_on_io(self):
        t, code, out = trace("sockets.py", source="""\
            import socket, threading, time, urllib.request
            from conlab_trace import test_server

            server = test_server()

            def fetch():
                url = f"http://{server.host}:{server.port}/files/io?size=0&latency_us=80000"
                with urllib.request.urlopen(url) as response:
                    response.read()

            def raw():
                a, b = socket.socketpair()
                threading.Timer(0.05, b.send, args=(b"hi",)).start()
                a.recv(10)
                a.recv(10) if b.send(b"again") else None  # there already: no wait

            for target in (fetch, raw):
                t = threading.Thread(target=target, name=target.__name__); t.start(); t.join()
            """)
        self.assertEqual(code, 0, out)
        fetch, raw = lane_named(t, "fetch"), lane_named(t, "raw")
        [connect] = spans_of(t, fetch, "connecting")
        self.assertTrue(connect["label"].startswith("connect 127.0.0.1:"))
        [wait] = spans_of(t, fetch, "blocked_io")  # one wait for the response, whatever it reads
        self.assertTrue(wait["label"].startswith("HTTP response from 127.0.0.1:"), wait)
        self.assertGreaterEqual(wait["end"] - wait["start"], 75 * MS)
        [recv] = spans_of(t, raw, "blocked_io")
        self.assertEqual(recv["label"], "recv")  # a socket pair's end has no address
        self.assertGreaterEqual(recv["end"] - recv["start"], 40 * MS)

    def test_the_main_thread_waits_for_its_threads_and_daemons_are_cut_off(self):
        t, code, _ = trace("ending.py", source="""\
            import threading, time

            threading.Thread(target=time.sleep, args=(0.1,), name="worker").start()
            threading.Thread(target=time.sleep, args=(5,), name="daemon", daemon=True).start()
            print("main reached its end")
            """)
        self.assertEqual(code, 0)
        main, worker, daemon = t["lanes"][0], lane_named(t, "worker"), lane_named(t, "daemon")
        [wait] = spans_of(t, main, "waiting_join")
        self.assertEqual(wait["label"], "waiting for non-daemon threads")
        self.assertGreaterEqual(wait["end"], worker["end"])
        self.assertGreaterEqual(main["end"], worker["end"])
        self.assertEqual(daemon["end"], t["end"])
        [cut] = [m for m in t["marks"] if m["name"] == "cut_off"]
        self.assertEqual((cut["lane"], cut["t"]), (daemon["id"], t["end"]))
        [nap] = spans_of(t, daemon, "sleeping")
        self.assertTrue(nap.get("open") and nap["end"] == t["end"])  # cut off mid-sleep
        self.assertLess(t["end"], 2_000 * MS)

    # ------------------------------------------------------------------------- processes

    def test_processes_wait_on_what_they_share(self):
        t, code, out = trace("shared.py", source="""\
            import multiprocessing, time

            def child(i, lock, queue, go):
                go.wait()
                with lock:
                    time.sleep(0.05)
                queue.put(i)

            if __name__ == "__main__":
                lock = multiprocessing.Lock()
                queue = multiprocessing.Queue()
                go = multiprocessing.Event()
                procs = [multiprocessing.Process(target=child, args=(i, lock, queue, go)) for i in range(2)]
                for p in procs: p.start()
                time.sleep(0.05)
                go.set()
                print(sorted(queue.get() for _ in procs))
                for p in procs: p.join()
            """)
        self.assertEqual(code, 0, out)
        main = t["lanes"][0]
        self.assertIn("queue.get", [s["label"] for s in spans_of(t, main, "waiting_queue")])
        holds = []
        for name in ("Process-1", "Process-2"):
            proc = lane_named(t, name)
            self.assertEqual([s["label"] for s in spans_of(t, proc, "waiting_event")], ["go"])
            [hold] = spans_of(t, proc, "holding_lock")
            self.assertEqual(hold["label"], "lock")
            holds.append(hold)
        first, second = sorted(holds, key=lambda h: h["start"])
        self.assertLessEqual(first["end"], second["start"])  # across processes, one at a time
        [wait] = [s for s in t["spans"] if s["state"] == "waiting_lock"]
        self.assertEqual(wait["lane"], second["lane"])
        self.assertGreaterEqual(wait["end"] - wait["start"], 30 * MS)

    def test_a_call_through_a_managers_proxy_is_a_round_trip(self):
        t, code, out = trace("managed.py", source="""\
            import multiprocessing

            def child(d):
                d[1] = 2

            if __name__ == "__main__":
                with multiprocessing.Manager() as manager:
                    d = manager.dict()
                    p = multiprocessing.Process(target=child, args=(d,))
                    p.start(); p.join()
                    print(d.copy())
            """)
        self.assertEqual(code, 0, out)
        trips = [(t["lanes"][s["lane"]]["name"].split()[0], s["label"]) for s in t["spans"]
                 if s["state"] == "in_flight"]
        self.assertEqual(trips, [("Process-2", "d[1] = 2"), ("MainThread", "d.copy()")])
        manager = lane_named(t, "SyncManager-1")
        self.assertEqual(manager["kind"], "process")
        served = [l for l in t["lanes"] if l.get("parent") == manager["id"]]
        self.assertTrue(served and all(l["end"] is not None and l["end"] <= manager["end"] for l in served))
        exits = {m["lane"]: m["detail"] for m in t["marks"] if m["name"] == "exit"}
        self.assertEqual(exits[manager["id"]], "exited with code 0")

    def test_a_terminated_child_keeps_what_it_recorded(self):
        t, code, out = trace("terminated.py", source="""\
            import multiprocessing, time
            from conlab_trace import mark

            def child():
                mark("began")
                time.sleep(10)

            if __name__ == "__main__":
                p = multiprocessing.Process(target=child)
                p.start()
                time.sleep(0.2)
                p.terminate()
                p.join()
                print(p.exitcode)
            """)
        self.assertEqual(code, 0, out)
        self.assertEqual(t["output"][0]["text"], "-15")  # ended by the signal, as without the tracer
        proc = lane_named(t, "Process-1")
        self.assertEqual([m["name"] for m in t["marks"] if m["lane"] == proc["id"]], ["began", "exit"])
        [exit_] = [m for m in t["marks"] if m["name"] == "exit"]
        self.assertEqual(exit_["detail"], "was killed by signal 15 (SIGTERM)")
        [nap] = spans_of(t, proc, "sleeping")
        self.assertGreaterEqual(nap["end"] - nap["start"], 150 * MS)


# ----------------------------------------------------------------------------- every program


def draw(scenario, rng):
    """Parameters drawn for a scenario, as conlab writes them (within what this 2-core
    machine runs in seconds)."""
    r = rng.randint
    sleeps = lambda k: ",".join(str(r(0, 300)) for _ in range(r(1, k)))  # noqa: E731
    p = {
        "asyncio-two-tasks": lambda: {"sleep_ms": r(0, 300)},
        "coroutine-lifecycle": lambda: {"sleep_ms": r(0, 200)},
        "await-sequential": lambda: {"sleep_ms": r(0, 200)},
        "create-task": lambda: {"tasks": r(1, 3000), "sleep_ms": r(0, 200)},
        "gather-vs-wait": lambda: {"sleeps_ms": sleeps(6)},
        "as-completed": lambda: {"sleeps_ms": sleeps(6)},
        "future-set-result": lambda: {"delay_ms": r(0, 300)},
        "done-callback": lambda: {"sleep_ms": r(0, 200)},
        "blocking-in-async": lambda: {"calls": r(1, 3), "block_ms": r(0, 250)},
        "async-iterator": lambda: {"items": r(1, 200), "item_ms": r(0, 3)},
        "async-context-manager": lambda: {"enter_ms": r(0, 150), "exit_ms": r(0, 150),
                                          "body_fails": rng.choice(["true", "false"])},
        "cancel-all": lambda: {"tasks": r(1, 500), "cancel_after_ms": r(0, 200)},
        "io-switch": lambda: {"fetches": r(1, 200), "latency_ms": r(0, 300)},
        "coroutine-cpu": lambda: {"units": r(1, 6), "unit_ms": r(1, 60)},
        "thread-start": lambda: {"threads": r(1, 300)},
        "thread-main-waits": lambda: {"sleeps_ms": sleeps(5)},
        "thread-daemon": lambda: {"sleep_ms": r(0, 300)},
        "thread-join-timeout": lambda: {"work_ms": r(0, 300), "timeout_ms": r(1, 400)},
        "thread-names": lambda: {"threads": r(1, 64)},
        "cpu-bound-gil": lambda: {"units": r(1, 4), "gil": rng.choice(["true", "false"]),
                                  "switch_interval_ms": r(1, 20)},
        "io-bound-threads": lambda: {"downloads": r(1, 100), "latency_ms": r(0, 300)},
        "race-condition": lambda: {"threads": r(2, 20), "hold_ms": r(0, 100),
                                   "op": rng.choice(["assign", "increment"]), "increments": r(1, 5)},
        "lock": lambda: {"threads": r(1, 20), "hold_ms": r(0, 30)},
        "rlock": lambda: {"threads": r(1, 20)},
        "lock-order": lambda: {"hold_ms": r(0, 200)},
        "semaphore": lambda: {"threads": r(1, 30), "permits": r(1, 6), "hold_ms": r(0, 100)},
        "condition-notify": lambda: {"threads": r(1, 15), "notify_plan": ",".join(
            str(r(1, 5)) for _ in range(r(1, 4))), "wait": rng.choice(["while", "if"])},
        "condition-wait-for": lambda: {"threads": r(1, 10)},
        "event": lambda: {"threads": r(1, 30), "rounds": r(1, 3)},
        "thread-local": lambda: {"threads": r(1, 30), "hold_ms": r(0, 100)},
        "thread-pool": lambda: {"workers": r(1, 8), "tasks": r(1, 40), "task_ms": r(0, 50)},
        "producer-consumer": lambda: {"producers": r(1, 4), "consumers": r(1, 4), "produce_ms": r(5, 50),
                                      "consume_ms": r(0, 50), "duration_ms": r(1, 500), "capacity": r(0, 5),
                                      "queue": rng.choice(["queue", "unguarded"])},
        "process-start": lambda: {"processes": r(1, 20)},
        "process-isolation": lambda: {"processes": r(1, 20)},
        "process-info": lambda: {"processes": r(1, 6)},
        "process-queue": lambda: {"processes": r(1, 20)},
        "process-shared-dict": lambda: {"processes": r(1, 8), "updates": r(1, 50)},
        "process-lock": lambda: {"processes": r(1, 5), "hold_ms": r(0, 50)},
        "process-pool": lambda: {"workers": r(1, 5), "tasks": r(1, 30), "task_ms": r(0, 40),
                                 "chunksize": r(0, 4)},
        "event-loop-choice": lambda: {"tasks": r(1, 3000), "sleep_ms": r(0, 200)},
        "redis-hash": lambda: {"fields": r(1, 200)},
        "redis-multi-server": lambda: {"servers": r(1, 3)},
        "redis-pool": lambda: {"ops": r(1, 3000), "pool": r(1, 20)},
        "job-queue": lambda: {"jobs": r(1, 60), "job_ms": r(0, 50), "crash_after": r(0, 30)},
        "mysql-multi-server": lambda: {"servers": r(1, 3)},
        "mysql-pool": lambda: {"queries": r(1, 20), "sleep_ms": r(0, 200), "pool": r(1, 10)},
        "crawler": lambda: {"files": r(1, 20), "latency_ms": r(0, 300), "size_kb": r(1, 256)},
        "raw-http": lambda: {"version": rng.choice(["1.0", "1.1"]), "size_kb": r(0, 64), "url": ""},
        "load-test": lambda: load_test_draw(rng),
    }.get(scenario, lambda: {})()
    if scenario == "wait-timeout":
        s = sleeps(5)
        p = {"sleeps_ms": s, "timeout_ms": r(0, 400),
             "return_when": rng.choice(["all", "first_completed", "first_exception"]),
             "fail_index": r(0, len(s.split(",")))}
    # cpu-bound-gil computes its units four times over: at most 100 ms each here.
    p["time-scale"] = rng.choice(["1", "0.5"] if scenario == "cpu-bound-gil" else ["1", "1", "0.5", "2"])
    return p


def load_test_draw(rng):
    """load-test's parameters, its schedule (with a rate) at most a second long."""
    r = rng.randint
    requests = r(1, 500)
    return {"clients": r(1, 64), "requests": requests, "duration_ms": rng.choice([0, 0, r(1, 300)]),
            "payload_kb": r(0, 256), "rate": rng.choice([0, r(requests, 4 * requests)]), "url": "",
            "fail_percent": r(0, 50)}


def databases_answer(scenario):
    """Whether the servers a database lesson's program talks to (`conlab_trace.servers`)
    answer here: named by conlab (`CONLAB_REDIS_URLS` …), or local ones."""
    import socket
    from urllib.parse import urlsplit

    from conlab_trace import servers

    kind = "mysql" if scenario.startswith("mysql") else "redis"
    u = urlsplit(servers(kind)[0])
    try:
        socket.create_connection((u.hostname, u.port or (6379 if kind == "redis" else 3306)),
                                 timeout=1).close()
        return True
    except OSError:
        return False


class EveryProgramTests(unittest.TestCase):
    def check_fields(self, t, scenario, params):
        self.assertEqual(t["schema"], "conlab.trace/1")
        self.assertEqual(t["scenario"], scenario)
        self.assertEqual(t["runtime"], "cpython")
        i = t["interpreter"]
        self.assertEqual(set(i), {"name", "version", "gil", "loop", "implementation"})
        self.assertEqual((i["name"], i["implementation"]), ("CPython", "cpython"))
        self.assertIn(i["loop"], ("asyncio", "uvloop", None))
        self.assertIsInstance(i["gil"], bool)
        self.assertEqual(t["status"], {"kind": "ok"})
        self.assertTrue(all(isinstance(v, str) for v in t["params"].values()))
        for name, value in params.items():
            self.assertEqual(t["params"][name], str(value))
        self.assertEqual(set(t["params"]), set(catalog.SCENARIOS[scenario][1]) | {"time-scale"})
        self.assertEqual(t["checks"], [])
        m = t["metrics"]
        self.assertEqual(m["makespan"], t["end"])
        for key in ("busy", "peak_concurrency", "sequential_sum", "speedup"):
            self.assertIn(key, m)
        self.assertIn("timer_lateness_ms", {e["key"] for e in m["extra"]})
        self.assertTrue(all(set(e) == {"key", "value", "unit"} for e in m["extra"]))
        # What conlab's Trace::validate asks.
        n, end, sites = len(t["lanes"]), t["end"], len(t["sites"])
        for i, lane in enumerate(t["lanes"]):
            self.assertEqual(lane["id"], i)
            self.assertIn(lane["kind"], KINDS)
            self.assertTrue(lane["end"] is None or lane["start"] <= lane["end"] <= end, lane)
            self.assertTrue(lane.get("parent") is None or 0 <= lane["parent"] < n)
        starts = [(s["start"], s["lane"]) for s in t["spans"]]
        self.assertEqual(starts, sorted(starts))
        for s in t["spans"]:
            self.assertIn(s["state"], STATES)
            self.assertTrue(0 <= s["lane"] < n and s["start"] <= s["end"] <= end, s)
            self.assertTrue(s.get("site") is None or 0 <= s["site"] < sites)
        for item in t["marks"] + t["output"]:
            self.assertTrue(0 <= item["lane"] < n and 0 <= item["t"] <= end, item)
            self.assertTrue(item.get("site") is None or 0 <= item["site"] < sites)
        self.assertEqual([m["t"] for m in t["marks"]], sorted(m["t"] for m in t["marks"]))
        for site in t["sites"]:
            self.assertTrue(site["file"].startswith("python/"), site)
        self.check_nesting(t)

    def check_nesting(self, t):
        """Spans of a lane nest: one at depth d+1 lies within one at depth d."""
        by_lane = {}
        for s in t["spans"]:
            by_lane.setdefault(s["lane"], []).append(s)
        for spans in by_lane.values():
            for s in spans:
                if s["depth"] > 0:
                    self.assertTrue(any(o["depth"] == s["depth"] - 1 and o["start"] <= s["start"]
                                        and s["end"] <= o["end"] for o in spans), s)

    def run_program(self, scenario, params):
        if scenario in catalog.DATABASES and not databases_answer(scenario):
            self.skipTest(f"{scenario}: no Redis or MySQL server answers here (conlab's "
                          "tests/cpython_runs.rs runs it against real servers)")
        program = os.path.join(PYTHON_DIR, catalog.SCENARIOS[scenario][0])
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "trace.json")
            command = [sys.executable, "-m", "conlab_trace", program, "--scenario", scenario, "--out", out]
            for name, value in params.items():
                command += ["--param", f"{name}={value}"]
            run = subprocess.run(command, capture_output=True, text=True, timeout=120,
                                 env=dict(os.environ, PYTHONPATH=PYTHON_DIR))
            self.assertEqual(run.returncode, 0, f"{scenario} {params}: {run.stderr[-2000:]}")
            with open(out) as f:
                t = json.load(f)
            self.check_fields(t, scenario, params)
            failed = scenario_checks.judge(out)
            self.assertEqual(failed, [], f"{scenario} {params}")

    def test_every_program_with_its_defaults(self):
        for scenario in catalog.SCENARIOS:
            with self.subTest(scenario=scenario):
                self.run_program(scenario, {})

    def test_every_program_with_drawn_parameters(self):
        seed = int(os.environ.get("CONLAB_SEED", random.randrange(1 << 30)))
        rng = random.Random(seed)
        for scenario in catalog.SCENARIOS:
            for _ in range(2):
                params = draw(scenario, rng)
                with self.subTest(scenario=scenario, params=params, seed=seed):
                    self.run_program(scenario, params)

    def test_every_program_has_a_scenario_and_every_scenario_a_program(self):
        chapters = {"threads": "thread-scenarios", "processes": "process-scenarios",
                    "coroutines": "async-scenarios", "asyncio": "async-scenarios",
                    "http": "server-scenarios", "redis": "server-scenarios",
                    "mysql": "server-scenarios"}
        on_disk = set()
        for chapter in chapters:
            for name in os.listdir(os.path.join(PYTHON_DIR, chapter)):
                if name.endswith(".py"):
                    on_disk.add(f"{chapter}/{name}")
        self.assertEqual(on_disk, {path for path, _ in catalog.SCENARIOS.values()})
        crates = os.path.join(os.path.dirname(PYTHON_DIR), "crates")
        if os.path.isdir(crates):
            # No program yet; and http/target.rs is no lesson (where HTTP lessons send).
            skipped = {"sync_vs_async_requests", "target"}
            for chapter, crate in chapters.items():
                for name in os.listdir(os.path.join(crates, crate, "src", chapter)):
                    stem = name[:-3]
                    if name.endswith(".rs") and stem not in skipped:
                        self.assertIn(f"{chapter}/{stem}.py", on_disk)


if __name__ == "__main__":
    unittest.main()
