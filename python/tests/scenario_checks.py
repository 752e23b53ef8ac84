"""The main points of each lesson's Rust `checks`, read from a CPython trace, so that the
programs can be tested here without building conlab (conlab runs the real checks).

Times are judged with a native runtime's window (2 ms early; 60 ms + 25 % late, plus the
trace's timer lateness per wait) and, for times many tasks share, PER_TASK per task:
CPython's cost of creating, scheduling and finishing one traced task, about ten times
tokio's 5 us (measured here at 13-30 us). Each function returns a list of failures (empty:
passed)."""

import json

EARLY, LATE, LATE_FRACTION = 2_000_000, 60_000_000, 0.25
PER_TASK = 50_000
REAL_REQUEST = 3_000_000
MS = 1_000_000


class Trace:
    def __init__(self, data):
        self.d = data
        self.lanes = data["lanes"]
        self.spans = data["spans"]
        self.marks = data["marks"]
        self.output = data["output"]
        self.texts = [o["text"] for o in self.output]
        self.end = data["end"]
        self.makespan = data["metrics"]["makespan"]
        self.scale = float(data["params"].get("time-scale", "1"))
        extra = {m["key"]: m["value"] for m in data["metrics"].get("extra", [])}
        self.extra = extra
        self.lateness = int(extra.get("timer_lateness_ms", 0) * MS)

    def p(self, name):
        return self.d["params"][name]

    def int(self, name):
        return int(self.p(name))

    def ms(self, name):
        """A millisecond parameter, scaled, in ns."""
        return int(int(self.p(name)) * self.scale * MS)

    def list(self, name):
        return [int(x) for x in self.p(name).split(",")]

    def ms_list(self, name):
        return [int(x * self.scale * MS) for x in self.list(name)]

    def named(self, name):
        return [m for m in self.marks if m["name"] == name]

    def phase(self, name):
        start = [m["t"] for m in self.marks if m["name"] == "phase_start" and m["detail"] == name]
        end = [m["t"] for m in self.marks if m["name"] == "phase_end" and m["detail"] == name]
        return (start[0], end[0]) if start and end else None

    def main_end(self):
        return next(l["end"] for l in self.lanes if l["kind"] == "main")

    def tasks_finished_by(self, t):
        return sum(1 for l in self.lanes if l["kind"] == "task" and l["end"] is not None and l["end"] <= t)

    def count(self, kind):
        return sum(1 for l in self.lanes if l["kind"] == kind)


def about(fails, what, actual, expected, waits=0, tasks=0, real=0):
    lo = max(0, expected - EARLY)
    hi = expected + LATE + int(expected * LATE_FRACTION) + waits * T.lateness + tasks * PER_TASK + real * REAL_REQUEST
    if not lo <= actual <= hi:
        fails.append(f"{what}: {actual / MS:.1f} ms not in {lo / MS:.1f}..{hi / MS:.1f} ms")


def check(fails, what, ok, detail=""):
    if not ok:
        fails.append(f"{what}: {detail}")


T = None


def two_tasks(t, f):
    pos = {x: t.texts.index(x) if x in t.texts else 99 for x in "1234"}
    check(f, "interleaved", max(pos["1"], pos["3"]) < min(pos["2"], pos["4"]) < 99, t.texts)
    about(f, "makespan-one-sleep", t.makespan, t.ms("sleep_ms"), waits=1)


def coroutine_lifecycle(t, f):
    created = [m["t"] for m in t.named("coroutine_created")]
    pending = [m["t"] for m in t.marks if m["name"] == "task_state" and m["detail"] == "pending"]
    body = next((i for i, x in enumerate(t.texts) if x.startswith("coroutine body")), None)
    sched = t.texts.index("scheduling it as a task") if "scheduling it as a task" in t.texts else None
    check(f, "inert-until-scheduled", created and pending and created[0] <= pending[0]
          and body is not None and sched is not None and body > sched, t.texts)
    states = [m["detail"] for m in t.named("task_state")]
    check(f, "states-in-order", states == ["pending", "running", "done"], states)


def await_sequential(t, f):
    check(f, "order", t.texts == ["started", "hello", "world", "finished"], t.texts)
    about(f, "makespan-two-sleeps", t.makespan, 2 * t.ms("sleep_ms"), waits=2)


def create_task(t, f):
    n = t.int("tasks")
    about(f, "makespan-one-sleep", t.makespan, t.ms("sleep_ms"), waits=1, tasks=n)
    check(f, "all-finished", t.tasks_finished_by(t.main_end()) == n, t.tasks_finished_by(t.main_end()))
    check(f, "results", t.extra.get("results_correct") == n, t.extra)


def gather_vs_wait(t, f):
    ms = t.list("sleeps_ms")
    n = len(ms)
    gathered = [x for x in t.texts if x.startswith("gather[")]
    check(f, "gather-order", gathered == [f"gather[{i}] = task {i} ({ms[i]} ms)" for i in range(n)], gathered)
    finished = [x for x in t.texts if x.startswith("task ")]
    check(f, "all-finished", len(finished) == n, finished)
    longest = max(t.ms_list("sleeps_ms"))
    for name in ("gather", "wait"):
        ph = t.phase(name)
        check(f, f"{name} phase", ph is not None, t.marks)
        if ph:
            about(f, f"{name}-longest", ph[1] - ph[0], longest, waits=1, tasks=n)
    wait_line = next((x for x in t.texts if x.startswith("wait:")), "")
    check(f, "wait-all-done", wait_line == f"wait: {n} done, 0 pending", wait_line)


def wait_timeout(t, f):
    sleeps = t.ms_list("sleeps_ms")
    timeout = t.ms("timeout_ms")
    fail_index = t.int("fail_index")
    when = t.p("return_when")
    condition = {"all": max(sleeps), "first_completed": min(sleeps)}.get(when)
    if condition is None:
        condition = sleeps[fail_index - 1] if 1 <= fail_index <= len(sleeps) else max(sleeps)
    start = t.named("wait_start")[0]["t"]
    returned = t.named("wait_returned")[0]["t"]
    about(f, "returns-on-time", returned - start, min(condition, timeout), waits=1)

    def indexes(prefix):
        line = next(x for x in t.texts if x.startswith(prefix))
        body = line[len(prefix):].strip().strip("[]")
        return [int(x) for x in body.split(",")] if body.strip() else []

    done, pending = indexes("done:"), indexes("pending:")
    waited = returned - start
    slack = max(EARLY, LATE)
    check(f, "split", all(sleeps[i] <= waited + slack for i in done)
          and all(sleeps[i] + slack >= waited for i in pending)
          and len(done) + len(pending) == len(sleeps), (done, pending, waited))
    check(f, "pending-cancelled", len(t.named("cancelled")) == len(pending), (t.named("cancelled"), pending))


def as_completed(t, f):
    sleeps = t.ms_list("sleeps_ms")
    order = [int(x.split()[1]) for x in t.texts if x.startswith("task ")]
    check(f, "each-once", sorted(order) == list(range(len(sleeps))), order)
    check(f, "completion-order", all(sleeps[a] <= sleeps[b] + LATE for a, b in zip(order, order[1:])), order)
    about(f, "makespan-longest", t.makespan, max(sleeps), waits=1, tasks=len(sleeps))


def future_set_result(t, f):
    value = "the answer is 42"
    set_ = t.named("set_result")[0]["t"]
    resumed = t.named("resumed")[0]["t"]
    check(f, "resumes-right-after", set_ <= resumed <= set_ + LATE, (set_, resumed))
    check(f, "value", f'main: got "{value}"' in t.texts, t.texts)
    about(f, "waited-delay", resumed, t.ms("delay_ms"), waits=1)


def done_callback(t, f):
    returned = next(((x["text"][len("task returns "):], x["lane"]) for x in t.output
                     if x["text"].startswith("task returns ")), None)
    seen = next(((x["text"][len("callback: task done, result "):], x["t"]) for x in t.output
                 if x["text"].startswith("callback: task done, result ")), None)
    check(f, "ran", returned and seen, t.texts)
    if returned and seen:
        end = t.lanes[returned[1]]["end"]
        check(f, "after-completion", end is not None and seen[1] >= end, (end, seen))
        check(f, "sees-result", returned[0] == seen[0], (returned, seen))


def blocking_in_async(t, f):
    calls = t.int("calls")
    block = t.ms("block_ms")
    blocking = [(s["start"], s["end"]) for s in t.spans if s["state"] == "blocking"]
    check(f, "serialized", len(blocking) == calls and all(b[0] >= a[1] for a, b in zip(blocking, blocking[1:])), blocking)
    about(f, "makespan-sum", max((b for _, b in blocking), default=0), block * calls)
    long = sum(1 for a, b in blocking if b - a >= 110 * MS + min(LATE, 100 * MS))
    if long:
        check(f, "warned", len(t.named("loop_blocked")) > 0, t.marks)


def async_iterator(t, f):
    check(f, "in-order", t.texts == [str(i) for i in range(1, t.int("items") + 1)], t.texts[:5])
    check(f, "exhausted", len(t.named("exhausted")) == 1, t.marks)


def async_context_manager(t, f):
    fails = t.p("body_fails") == "true"

    def pos(p):
        return next((i for i, x in enumerate(t.texts) if x.startswith(p)), None)

    enter, use, exit_ = pos("enter:"), pos("use:"), pos("exit:")
    check(f, "enter-use-exit", None not in (enter, use, exit_) and enter < use < exit_, t.texts)
    propagated = any(x.startswith("after async with: exception propagated") for x in t.texts)
    check(f, "exit-on-failure", exit_ is not None and propagated == fails, t.texts)
    about(f, "makespan", t.makespan, t.ms("enter_ms") + t.ms("exit_ms"), waits=2)


def cancel_all(t, f):
    n = t.int("tasks")
    check(f, "all-cancelled", len(t.named("cancelled")) == n, len(t.named("cancelled")))
    running = t.count("task") - t.tasks_finished_by(t.main_end())
    check(f, "none-left", running == 0, running)
    about(f, "interrupt-time", t.named("interrupt")[0]["t"], t.ms("cancel_after_ms"), waits=1, tasks=n)
    check(f, "never-finished", not any("should never happen" in x for x in t.texts), "")


def coroutine_switch(t, f):
    check(f, "order", t.texts == ["1", "3", "2", "4"], t.texts)
    lanes = [t.lanes[o["lane"]]["name"] for o in t.output]
    check(f, "alternates", lanes == ["gr1", "gr2", "gr1", "gr2"], lanes)
    check(f, "switches", len(t.named("switch")) == 3, t.named("switch"))


def generator_delegation(t, f):
    check(f, "order", t.texts == ["1", "3", "4", "2"], t.texts)
    by = [f'{t.lanes[m["lane"]]["name"]}:{m["detail"]}' for m in t.named("yield")]
    check(f, "delegated", by == ["generator:1", "sub-generator:3", "sub-generator:4", "generator:2"], by)


def io_switch(t, f):
    n = t.int("fetches")
    real = n if any(m["detail"].startswith("real") for m in t.named("io")) else 0
    about(f, "makespan-one-latency", t.makespan, t.ms("latency_ms"), tasks=n, real=real)
    threads = {m["detail"] for m in t.named("thread")}
    check(f, "one-thread", len(threads) == 1, threads)
    waits = sum(1 for s in t.spans if s["state"] == "blocked_io")
    check(f, "all-fetched", t.count("task") == n and waits == n, (t.count("task"), waits, n))


def coroutine_cpu(t, f):
    units = t.int("units")
    unit = t.ms("unit_ms")
    total = unit // 4 * 4 * units
    check(f, "no-gain", t.makespan >= total - EARLY, (t.makespan, total))
    if units >= 2:
        peak = t.d["metrics"]["peak_concurrency"]
        check(f, "one-at-a-time", peak <= 1, peak)


CHECKS = {
    "asyncio-two-tasks": two_tasks,
    "coroutine-lifecycle": coroutine_lifecycle,
    "await-sequential": await_sequential,
    "create-task": create_task,
    "gather-vs-wait": gather_vs_wait,
    "wait-timeout": wait_timeout,
    "as-completed": as_completed,
    "future-set-result": future_set_result,
    "done-callback": done_callback,
    "blocking-in-async": blocking_in_async,
    "async-iterator": async_iterator,
    "async-context-manager": async_context_manager,
    "cancel-all": cancel_all,
    "coroutine-switch": coroutine_switch,
    "generator-delegation": generator_delegation,
    "io-switch": io_switch,
    "coroutine-cpu": coroutine_cpu,
}


def judge(path):
    """The failed checks of the trace at `path` (its scenario's)."""
    global T
    with open(path) as f:
        T = Trace(json.load(f))
    fails = []
    if T.d["status"]["kind"] != "ok":
        return [f"completed: {T.d['status']}"]
    CHECKS[T.d["scenario"]](T, fails)
    return fails
