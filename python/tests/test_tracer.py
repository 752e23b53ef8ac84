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
    return next(l for l in t["lanes"] if l["name"] == name)


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
        self.assertTrue(all(s["depth"] == 0 for s in spans_of(t, waits)))

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
    }.get(scenario, lambda: {})()
    if scenario == "wait-timeout":
        s = sleeps(5)
        p = {"sleeps_ms": s, "timeout_ms": r(0, 400),
             "return_when": rng.choice(["all", "first_completed", "first_exception"]),
             "fail_index": r(0, len(s.split(",")))}
    p["time-scale"] = rng.choice(["1", "1", "0.5", "2"])
    return p


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
        on_disk = set()
        for chapter in ("asyncio", "coroutines"):
            for name in os.listdir(os.path.join(PYTHON_DIR, chapter)):
                if name.endswith(".py"):
                    on_disk.add(f"{chapter}/{name}")
        self.assertEqual(on_disk, {path for path, _ in catalog.SCENARIOS.values()})
        rust = os.path.join(os.path.dirname(PYTHON_DIR), "crates", "async-scenarios", "src")
        if os.path.isdir(rust):
            skipped = {"event_loop_choice", "sync_vs_async_requests"}
            for chapter in ("asyncio", "coroutines"):
                for name in os.listdir(os.path.join(rust, chapter)):
                    stem = name[:-3]
                    if name.endswith(".rs") and stem not in skipped:
                        self.assertIn(f"{chapter}/{stem}.py", on_disk)


if __name__ == "__main__":
    unittest.main()
