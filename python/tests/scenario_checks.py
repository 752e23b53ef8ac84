"""The main points of each lesson's Rust `checks`, read from a CPython trace, so that the
programs can be tested here without building conlab (conlab runs the real checks).

Times are judged with a native runtime's window (2 ms early; 60 ms + 25 % late, plus the
trace's timer lateness per wait) and, for times many tasks share, PER_TASK per task:
CPython's cost of creating, scheduling and finishing one traced task, about ten times
tokio's 5 us (measured here at 13-30 us), and PER_THREAD per thread or process started. Each
function returns a list of failures (empty: passed)."""

import json

EARLY, LATE, LATE_FRACTION = 2_000_000, 60_000_000, 0.25
PER_TASK = 50_000
REAL_REQUEST = 3_000_000
MS = 1_000_000
PER_THREAD = 1_000_000  # starting a traced thread or process, and running it, on a busy 2-core machine


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


def about(fails, what, actual, expected, waits=0, tasks=0, real=0, threads=0, plus=0):
    """As conlab's time checks judge: `plus` is a cost the run may add (never one it must)."""
    lo = max(0, expected - EARLY)
    hi = (expected + LATE + int(expected * LATE_FRACTION) + waits * T.lateness + tasks * PER_TASK
          + real * REAL_REQUEST + threads * PER_THREAD + plus)
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


# ----------------------------------------------------------------------------- 1. threads


def lane_of(t, item):
    return t.lanes[item["lane"]]


def spans(t, state):
    return [s for s in t.spans if s["state"] == state]


def peak(intervals):
    edges = sorted([(a, 1) for a, b in intervals if b > a] + [(b, -1) for a, b in intervals if b > a])
    level = top = 0
    for _, d in edges:
        level += d
        top = max(top, level)
    return top


def thread_start(t, f):
    n = t.int("threads")
    started = [x[:-len(": started")] for x in t.texts if x.endswith(": started")]
    done = [x for x in t.texts if x.endswith(": done")]
    check(f, "each-once", len(started) == n == len(done) == len(set(started)), (len(started), len(done)))
    line = next((o["t"] for o in t.output if o["text"].startswith("MainThread")), None)
    last = max((l["end"] for l in t.lanes if l["kind"] == "thread"), default=None)
    joins = [s["start"] for s in t.spans if s["lane"] == 0 and s["state"] == "waiting_join"]
    check(f, "main-not-blocked", line is not None and last is not None and line < last
          and all(line <= j for j in joins), (line, last))


def thread_main_waits(t, f):
    sleeps = t.ms_list("sleeps_ms")
    line = next(o for o in t.output if o["text"].startswith("MainThread"))
    waited = [s for s in t.spans if s["lane"] == 0 and s["state"] == "waiting_join" and s["start"] < line["t"]]
    check(f, "main-first", not waited, waited)
    order = [int(x.split()[0].split("-")[1]) - 1 for x in t.texts if x.startswith("Thread-")]
    check(f, "sleep-order", len(order) == len(sleeps)
          and all(sleeps[a] <= sleeps[b] + LATE for a, b in zip(order, order[1:])), order)
    [wait] = [s for s in t.spans if s["lane"] == 0 and s["label"] == "waiting for non-daemon threads"] or [None]
    check(f, "the interpreter waits", wait is not None or max(sleeps) < 5 * MS, t.spans)
    about(f, "waits-for-threads", t.main_end(), max(sleeps), waits=1, threads=len(sleeps))


def thread_daemon(t, f):
    line = next((o for o in t.output if "daemon finished" in o["text"]), None)
    check(f, "cut-off", line is None or line["t"] <= t.main_end(), line)
    check(f, "cut-off-mark", len(t.named("cut_off")) == (line is None), t.named("cut_off"))
    if line is None:
        daemon = next(l["id"] for l in t.lanes if l["kind"] == "thread")
        sleep = next((s for s in spans(t, "sleeping") if s["lane"] == daemon), None)
        check(f, "cut mid-sleep", sleep is not None and sleep.get("open") and sleep["end"] == t.end, sleep)


def thread_join_timeout(t, f):
    for n in ("Thread-1", "Thread-2"):
        texts = t.texts
        create = texts.index(f"create {n}") if f"create {n}" in texts else None
        worked = next((i for i, x in enumerate(texts) if x.startswith(f"{n} worked")), None)
        check(f, "create-first", create is not None and (worked is None or create < worked), texts)
    work, timeout = t.ms("work_ms"), t.ms("timeout_ms")
    waited = int(t.named("join_timeout_returned")[0]["detail"])
    about(f, "join-timeout", waited, min(work, timeout), waits=1)
    still = any("is still running" in x for x in t.texts)
    if work > timeout + LATE:
        check(f, "alive-after-timeout", still, t.texts)
    elif work + LATE < timeout:
        check(f, "alive-after-timeout", not still, t.texts)


def thread_names(t, f):
    wrong = [o["text"] for o in t.output if o["text"] != "current thread: " + lane_of(t, o)["name"]]
    check(f, "right-names", not wrong, wrong)
    check(f, "every-thread", len(t.output) == t.int("threads") + 1, t.texts)


def cpu_bound_gil(t, f):
    units = t.int("units")
    names = ["sequential"] + (["gil_threads"] if t.p("gil") == "true" else []) + ["free_threads", "processes"]
    for name in names:
        ph = t.phase(name)
        check(f, f"{name} phase", ph is not None, t.marks)
        if ph is None:
            continue
        cpu = [int(m["detail"]) for m in t.named("cpu_time") if ph[0] <= m["t"] <= ph[1]]
        check(f, f"{name}: a cpu_time per unit", len(cpu) == units, cpu)
        idle = [m for m in t.named("machine_idle") if ph[0] <= m["t"] <= ph[1]]
        check(f, f"{name}: machine idle noted at both ends", len(idle) == 2, idle)
        used = sum(cpu) / max(1, ph[1] - ph[0])
        if name == "gil_threads" and t.d["interpreter"]["gil"]:
            check(f, "gil-no-gain", used <= 1.2, used)  # one thread runs Python code at a time
    kinds = {l["kind"] for l in t.lanes}
    check(f, "processes ran", "process" in kinds and len(t.named("exit")) == units, t.named("exit"))


def io_bound_threads(t, f):
    n = t.int("downloads")
    waits = spans(t, "blocked_io")
    check(f, "all-downloaded", len(waits) == n and all(w["label"].startswith("HTTP response") for w in waits), waits)
    if n >= 2:
        about(f, "makespan-one-latency", t.makespan, t.ms("latency_ms"), real=n, threads=n)


def race_condition(t, f):
    check(f, "phases", t.phase("unlocked") and t.phase("locked"), t.marks)
    n = t.int("threads")
    if t.p("op") == "increment":
        counters = {m["detail"].split()[0]: tuple(map(int, m["detail"].split()[1:])) for m in t.named("counter")}
        total, expected = counters["locked"]
        check(f, "lock-no-update-lost", total == expected == n * t.int("increments"), counters)
        reads = {}
        for m in t.named("read"):
            tag, i, _, seq = m["detail"].split()
            reads.setdefault((tag, i), []).append(int(seq))
        writes = [(m["detail"].split()[0], m["detail"].split()[1], int(m["detail"].split()[3]))
                  for m in t.named("write")]
        raced = 0
        for (tag, i, w) in writes:
            r = max(x for x in reads[(tag, i)] if x < w)
            raced += tag == "unlocked" and any(o != i and tg == tag and r < s < w for tg, o, s in writes)
        total, expected = counters["unlocked"]
        check(f, "update-lost", (total < expected) == (raced > 0), (total, expected, raced))
    else:
        own = [m["detail"].split() for m in t.named("locked_read")]
        check(f, "lock-own-value", len(own) == n and all(a == b for a, b in own), own)
        check(f, "unlocked reads", len(t.named("unlocked_read")) == n, t.named("unlocked_read"))
    held = sorted((s["start"], s["end"]) for s in spans(t, "holding_lock"))
    check(f, "sections-exclusive", all(b[0] >= a[1] for a, b in zip(held, held[1:])), held)


def lock(t, f):
    n = t.int("threads")
    pairs = [m["detail"].split() for m in t.named("pair")]
    check(f, "pairs-match", len(pairs) == n and all(a == b for a, b in pairs), pairs)
    held = sorted((s["start"], s["end"]) for s in spans(t, "holding_lock"))
    check(f, "sections-exclusive", len(held) == n and all(b[0] >= a[1] for a, b in zip(held, held[1:])), held)


def rlock(t, f):
    check(f, "reentrant-completes", len(t.named("rlock_twice")) == t.int("threads"), t.named("rlock_twice"))
    report = (t.named("deadlock") or [None])[0]
    check(f, "deadlock-reported", report is not None
          and "Thread-plain waits for lock `plain` held by itself" in report["detail"], report)
    start = t.named("plain_start")[0]["t"]
    check(f, "reported-promptly", report is not None and report["t"] - start <= 2_000_000_000, report)
    arrows = [m["detail"].split() for m in t.named("waits_for")]
    plain = next(l["id"] for l in t.lanes if l["name"] == "Thread-plain")
    check(f, "waits for itself", arrows == [[str(plain), str(plain)]], arrows)
    check(f, "stuck", not any("impossible" in x for x in t.texts), t.texts)


def lock_order(t, f):
    check(f, "phases", t.phase("opposite") and t.phase("same"), t.marks)
    report = t.named("deadlock")
    if report:
        d = report[0]["detail"]
        check(f, "opposite-deadlock", "waits for lock `b` held by Thread-2" in d
              and "waits for lock `a` held by Thread-1" in d and len(t.named("waits_for")) == 2, d)
    same = [m for m in t.named("took_both") if m["detail"].startswith("same ")]
    check(f, "same-order-no-deadlock", len(same) == 2, same)


def semaphore(t, f):
    n, permits, hold = t.int("threads"), t.int("permits"), t.ms("hold_ms")
    inside = [(s["start"], s["end"]) for s in spans(t, "holding_lock")]
    check(f, "peak-is-permits", peak(inside) <= permits, peak(inside))
    check(f, "everyone-entered", len(inside) == n, len(inside))
    about(f, "waves", max(b for _, b in inside), hold * -(-n // permits), waits=-(-n // permits), threads=n)


def condition_notify(t, f):
    notifies = [m["t"] for m in t.named("notify")]
    released = [m["t"] for m in t.named("released")]
    empties = [m["t"] for m in t.named("empty")]

    def in_batch(of, i):
        to = notifies[i + 1] if i + 1 < len(notifies) else float("inf")
        return sum(1 for x in of if notifies[i] <= x < to)

    have, threads, expected, got = 0, t.int("threads"), [], []
    for i, m in enumerate(t.named("notify")):
        have += int(m["detail"]) if m["detail"] != "all" else threads
        threads -= in_batch(empties, i)
        take = min(have, threads)
        expected.append(take)
        got.append(in_batch(released, i))
        have -= take
        threads -= take
    check(f, "batches", got == expected and notifies, (got, expected))
    check(f, "none-early", all(r >= notifies[0] for r in released), "")
    if t.p("wait") == "while":
        check(f, "while: none goes on empty", not empties, empties)


def condition_wait_for(t, f):
    counter = {m["detail"]: m["t"] for m in t.named("counter")}
    early = [m["detail"] for m in t.named("proceeds") if m["detail"] not in counter or m["t"] < counter[m["detail"]]]
    check(f, "never-early", not early, early)
    check(f, "all-proceed", len(t.named("proceeds")) == t.int("threads"), t.named("proceeds"))


def event(t, f):
    n = t.int("threads")
    tick = LATE + n * MS
    for r in range(t.int("rounds")):
        set_ = next(m["t"] for m in t.named("set") if m["detail"] == str(r))
        released = [m["t"] for m in t.named("released") if m["detail"] == str(r)]
        check(f, f"round {r} released together", len(released) == n
              and all(set_ <= x <= set_ + tick for x in released), (set_, released))


def thread_local(t, f):
    reads = [m["detail"].split(" ") for m in t.named("read_back")]
    check(f, "own-value", len(reads) == t.int("threads") and all(len(r) == 3 and r[0] == r[1] == r[2] for r in reads), reads)


def thread_pool(t, f):
    workers, tasks, task = t.int("workers"), t.int("tasks"), t.ms("task_ms")
    done = sorted(int(m["detail"]) for m in t.named("task_done"))
    check(f, "each-once", done == list(range(tasks)), done[:10])
    running = [(s["start"], s["end"]) for s in spans(t, "running")]
    check(f, "at-most-k", peak(running) <= workers, peak(running))
    waves = -(-tasks // workers)
    about(f, "waves", max(b for _, b in running), task * waves, waits=waves, tasks=tasks, threads=workers)


def producer_consumer(t, f):
    produced = [m["detail"] for m in t.named("produced")]
    consumed = [m["detail"] for m in t.named("consumed")]
    left = [m["detail"] for m in t.named("left_over")]
    twice = {x for x in consumed if consumed.count(x) > 1}
    lost = set(produced) - set(consumed) - set(left)
    if t.p("queue") == "unguarded":
        takes = [tuple(map(int, m["detail"].split())) for m in t.named("took")]
        stale = sum(1 for who, looked, took in takes
                    if any(o != who and looked < tk < took for o, _, tk in takes))
        check(f, "unguarded-taken-twice", (stale > 0) == bool(twice), (stale, twice, lost))
        return
    check(f, "exactly-once", produced and not twice and not lost
          and sorted(consumed + left) == sorted(produced), (twice, lost))
    capacity = t.int("capacity")
    longest = max((int(m["detail"]) for m in t.named("queue_len")), default=0)
    check(f, "queue_len marked", t.named("queue_len"), "")
    if capacity:
        check(f, "capacity", longest <= capacity, longest)


# ----------------------------------------------------------------------------- 2. processes


def child_lines(t, prefix):
    return [o for o in t.output if o["text"].startswith(prefix) and lane_of(t, o)["kind"] == "process"]


def lane_pid(lane):
    return int(lane["name"].rsplit("(pid ", 1)[1].rstrip(")")) if "(pid " in lane["name"] else None


def own_pids(t, f, lines, n):
    wrong = [o["text"] for o in lines if f"pid {lane_pid(lane_of(t, o))}" not in o["text"]]
    check(f, "own-pids", len(lines) == n == len({o["lane"] for o in lines}) and not wrong, wrong)
    alive = [l["name"] for l in t.lanes if l["kind"] == "process" and (l["end"] is None or not any(
        m["name"] == "exit" and m["lane"] == l["id"] for m in t.marks))]
    check(f, "no-process-outlives", not alive, alive)


def process_start(t, f):
    n = t.int("processes")
    lines = child_lines(t, "argument ")
    check(f, "each-argument-once", sorted(int(o["text"].split()[1]) for o in lines) == list(range(n)), lines)
    own_pids(t, f, lines, n)


def process_isolation(t, f):
    n = t.int("processes")
    lines = child_lines(t, "process ")
    check(f, "child-lists-private", len(lines) == n and all(o["text"].endswith("(length 1)") for o in lines), lines)
    own_pids(t, f, lines, n)
    check(f, "parent-untouched", "parent after the processes: the list has 0 items" in t.texts, t.texts)
    check(f, "threads-share", any(x.startswith(f"parent after the threads: the list has {n} ") for x in t.texts)
          and max(x.count(",") + 1 for x in t.texts if x.startswith("thread ")) == n, t.texts)


def process_info(t, f):
    n = t.int("processes")
    lines = child_lines(t, "child: ")
    for o in lines:
        name = o["text"].split("name=")[1].split()[0]
        pid = lane_pid(lane_of(t, o))
        daemon = o["text"].split("daemon=")[1]
        check(f, "names-and-pids-match", f"parent: started {name} with pid {pid}, daemon={daemon}" in t.texts, o)
    check(f, "every child", len(lines) == n, lines)
    for l in t.lanes:
        if l["kind"] == "process":
            said = next(o for o in t.output if o["text"].startswith(f"parent: joined {l['name'].split()[0]},"))
            check(f, "join-waits", l["end"] is not None and said["t"] >= l["end"], (l, said))


def process_queue(t, f):
    n = t.int("processes")
    got = [(int(o["text"].split()[2]), o["t"]) for o in t.output if o["text"].startswith("parent: got ")]
    check(f, "every-value-once", sorted(v for v, _ in got) == list(range(n)), got)
    puts = {int(m["detail"]): m["t"] for m in t.named("put")}
    check(f, "got-after-put", all(v in puts and puts[v] <= at for v, at in got), (puts, got))
    own_pids(t, f, child_lines(t, "process "), n)
    # The parent waits on the queue only when it is empty as it looks (with every child fast,
    # all the values may be there already): where it waited, the wait names the queue.
    check(f, "the parent's waits name the queue",
          all(s["label"] == "queue.get" for s in spans(t, "waiting_queue") if s["lane"] == 0), "")


def process_shared_dict(t, f):
    n, updates = t.int("processes"), t.int("updates")
    line = next(x for x in t.texts if x.startswith("parent: the final dict is "))
    expected = {i: i * updates + updates - 1 for i in range(n)}
    check(f, "every-key", line == f"parent: the final dict is {expected}", line)
    trips = spans(t, "in_flight")
    # Every update is a round trip, and so is the parent's read of the whole dict at the end.
    check(f, "every-update-answered", len(trips) == n * updates + 1
          and sum(s["label"].startswith("d[") for s in trips) == n * updates, len(trips))
    own_pids(t, f, child_lines(t, "process "), n)


def process_lock(t, f):
    n = t.int("processes")
    arrived = [o for o in child_lines(t, "process ") if o["text"].endswith(": arrived")]
    done = [o["t"] for o in t.output if o["text"].endswith(": done")]
    check(f, "all-arrive-first", len(arrived) == n and max(o["t"] for o in arrived) <= min(done), arrived)
    holds = sorted((s["start"], s["end"], s["lane"]) for s in spans(t, "holding_lock"))
    check(f, "sections-never-overlap", len(holds) == n == len({h[2] for h in holds})
          and all(b[0] >= a[1] for a, b in zip(holds, holds[1:])), holds)
    own_pids(t, f, arrived, n)


def process_pool(t, f):
    workers, tasks, task = t.int("workers"), t.int("tasks"), t.ms("task_ms")
    running = [s for s in spans(t, "running") if s["label"].startswith("task ")]
    ids = sorted(int(s["label"].split()[1]) for s in running)
    check(f, "every-task-once", ids == list(range(tasks)), ids[:10])
    check(f, "every-result-back", any(x.endswith(f"; {tasks:,} result{'s' if tasks != 1 else ''} back, "
                                                 f"adding up to {tasks * (tasks - 1) // 2}") for x in t.texts), t.texts)
    lanes = {s["lane"] for s in running}
    check(f, "at-most-k-busy", len(lanes) <= workers and peak([(s["start"], s["end"]) for s in running]) <= workers
          and all(lane_pid(t.lanes[x]) for x in lanes), lanes)
    chunk = t.int("chunksize") or max(1, -(-tasks // (4 * workers)))
    free = [0] * workers
    for start in range(0, tasks, chunk):
        free[free.index(min(free))] += min(chunk, tasks - start)
    first = min(t.phase("tasks")[0], min(s["start"] for s in running))
    about(f, "makespan-waves", max(s["end"] for s in running) - first, task * max(free),
          waits=max(free), tasks=tasks, threads=workers)


def event_loop_choice(t, f):
    n, sleep = t.int("tasks"), t.ms("sleep_ms")
    check(f, "all-finished", t.tasks_finished_by(t.end) == n, f"{t.tasks_finished_by(t.end)} of {n}")
    short = [s for s in spans(t, "sleeping") if s["end"] - s["start"] + EARLY < sleep]
    check(f, "slept", not short, short[:3])
    first = min((l["start"] for l in t.lanes if l["kind"] == "task"), default=0)
    gather = [s for s in t.spans if s["lane"] == 0 and s["state"] == "waiting_join"
              and s.get("label") == "gather"]
    check(f, "gathered", len(gather) == 1, gather)
    if gather:
        untraced = max(0, int(t.extra.get("makespan_asyncio_ms", 0) * MS) - sleep)
        # What the tasks cost untraced may come on top, as the Rust check allows it: the
        # traced run may also be quicker (a warmed-up loop), never quicker than one sleep.
        about(f, "makespan-one-sleep", gather[0]["end"] - first, sleep, waits=1, tasks=n,
              plus=untraced)
    for loop in ("asyncio", "uvloop"):
        ms = t.extra.get(f"makespan_{loop}_ms")
        check(f, f"{loop}-untraced", ms is not None, "no figure")
        if ms is not None:
            about(f, f"{loop}-untraced", int(ms * MS), sleep, waits=1, tasks=n)


def phase_done(t):
    return {m["detail"].split()[0]: m["detail"].split()[1:] for m in t.named("phase_done")}


def crawler(t, f):
    files, latency = t.int("files"), t.ms("latency_ms")
    check(f, "files-intact", len(t.named("verified")) == 4 * files and not t.named("damaged"),
          [m["detail"] for m in t.named("damaged")][:3])
    done = phase_done(t)
    for mode in ("sequential", "threads", "async", "executor"):
        check(f, f"{mode} ran", t.phase(mode) is not None and done.get(mode, [""])[0] == str(files),
              done.get(mode))
    seq = t.phase("sequential")
    if seq:
        check(f, "sequential-adds-up", seq[1] - seq[0] + EARLY >= files * latency, seq)
    for mode in ("threads", "executor"):
        p = t.phase(mode)
        if p:
            about(f, f"{mode}-overlap", p[1] - p[0], latency, real=files, threads=files)


def raw_http(t, f):
    status = [m["detail"] for m in t.named("status")]
    check(f, "status-line", status and status[0].startswith("HTTP/1.") and status[0].split()[1][0] == "2",
          status)
    body, expected = t.named("body"), t.named("expected_body")
    check(f, "body-received", body and expected
          and " ".join(body[0]["detail"].split()[:2]) == expected[0]["detail"], (body, expected))
    check(f, "framing-valid", [m["detail"] for m in t.named("framing")] == ["ok"])
    order = ["connect", "write request", "status line", "header", "blank line", "body"]
    steps = [s for s in t.spans if s.get("label") in order]
    check(f, "steps-in-order", all(order.index(a["label"]) <= order.index(b["label"])
                                   and a["end"] <= b["start"] for a, b in zip(steps, steps[1:])),
          [s["label"] for s in steps])


def load_test(t, f):
    sent, ok, failed, unsent = (int(t.extra.get(k, -1)) for k in ("sent", "succeeded", "failed", "unsent"))
    kinds = [m["detail"].split("\t", 1) for m in t.named("errors")]
    by_kind = sum(int(n) for n, _ in kinds)
    rate, duration = t.int("rate"), t.ms("duration_ms")
    scheduled = t.int("requests") if not duration else -(-duration * rate // 1_000_000_000) if rate else None
    check(f, "every-request-accounted", sent >= 0 and sent == ok + failed and by_kind == failed
          and unsent >= 0 and (scheduled is None or sent + unsent == scheduled),
          (sent, ok, failed, unsent, scheduled, kinds))
    lat = t.d["metrics"].get("latency")
    bars = [sum(p[1] for p in c["points"]) for c in t.d.get("charts", []) if c["key"] == "latency_histogram"]
    check(f, "percentiles-ordered", lat and lat.get("measured") and bars == [lat["count"]]
          and lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p999"] <= lat["max"], (lat, bars))
    if not t.p("url"):  # the stand-in fails the share asked, spread as conlab's server spreads it
        check(f, "failed-on-purpose", all(k == "HTTP 500" for _, k in kinds)
              and by_kind == sent * t.int("fail_percent") // 100, kinds)


def redis_hash(t, f):
    written, read = t.named("written"), t.named("read")
    check(f, "read-back", written and read and written[0]["detail"] == read[0]["detail"])
    check(f, "all-fields", read and read[0]["detail"].count("field") == t.int("fields"))


def servers_done(t, f, ok):
    n = t.int("servers")
    done = [m["detail"] for m in t.named("server_done")]
    check(f, "all-complete", len(done) == n and all(ok(d) for d in done), done)
    work = [s for s in t.spans if s["state"] == "running" and s.get("label") == "work"]
    if work:
        slowest = max(s["end"] - s["start"] for s in work)
        about(f, "slowest-not-sum", max(s["end"] for s in work) - min(s["start"] for s in work), slowest)


def redis_multi_server(t, f):
    servers_done(t, f, lambda d: d.split()[0] == d.split()[1])


def redis_pool(t, f):
    ops = t.int("ops")
    done = phase_done(t)
    check(f, "all-ops-succeed", sorted(done) == ["concurrent", "pipelined", "sequential"]
          and all(v[0] == str(ops) for v in done.values()), done)
    check(f, "cleaned-up", [m["detail"] for m in t.named("keys_deleted")] == [str(3 * ops)])
    conc = t.phase("concurrent")
    if conc:
        flying = [(s["start"], s["end"]) for s in spans(t, "in_flight")
                  if conc[0] <= s["start"] and s["end"] <= conc[1]]
        check(f, "pool-concurrent", peak(flying) <= t.int("pool"), peak(flying))


def job_queue(t, f):
    jobs, crash_after = t.int("jobs"), t.int("crash_after")
    ran = sorted(int(m["detail"]) for m in t.named("ran"))
    check(f, "exactly-once", ran == list(range(jobs)), ran)
    stopped = {m["detail"] for m in t.named("worker_stopped")}
    recovered = {m["detail"] for m in t.named("recovered")}
    check(f, "recovered", not 0 < crash_after < jobs or (stopped and stopped <= recovered),
          (stopped, recovered))


def mysql_query(t, f):
    check(f, "rows", [m["detail"] for m in t.named("rows")]
          == ['1 "threads", 2 "processes", 3 "coroutines"'])
    check(f, "cleaned-up", any(s.get("label") == "DROP TABLE" for s in t.spans))


def mysql_multi_server(t, f):
    servers_done(t, f, lambda d: d.endswith(" 0"))


def mysql_pool(t, f):
    queries, pool = t.int("queries"), t.int("pool")
    sleeps = [s for s in t.spans if s["state"] == "in_flight" and s.get("label") == "SELECT SLEEP(?)"]
    check(f, "all-answered", len(sleeps) == 2 * queries
          and [m["detail"] for m in t.named("concurrent_ok")] == [str(queries)])
    conc = t.phase("concurrent")
    if conc:
        flying = [(s["start"], s["end"]) for s in sleeps if s["start"] >= conc[0]]
        check(f, "pool-bound", peak(flying) <= pool, peak(flying))


CHECKS = {
    "thread-start": thread_start,
    "thread-main-waits": thread_main_waits,
    "thread-daemon": thread_daemon,
    "thread-join-timeout": thread_join_timeout,
    "thread-names": thread_names,
    "cpu-bound-gil": cpu_bound_gil,
    "io-bound-threads": io_bound_threads,
    "race-condition": race_condition,
    "lock": lock,
    "rlock": rlock,
    "lock-order": lock_order,
    "semaphore": semaphore,
    "condition-notify": condition_notify,
    "condition-wait-for": condition_wait_for,
    "event": event,
    "thread-local": thread_local,
    "thread-pool": thread_pool,
    "producer-consumer": producer_consumer,
    "process-start": process_start,
    "process-isolation": process_isolation,
    "process-info": process_info,
    "process-queue": process_queue,
    "process-shared-dict": process_shared_dict,
    "process-lock": process_lock,
    "process-pool": process_pool,
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
    "event-loop-choice": event_loop_choice,
    "crawler": crawler,
    "raw-http": raw_http,
    "load-test": load_test,
    "redis-hash": redis_hash,
    "redis-multi-server": redis_multi_server,
    "redis-pool": redis_pool,
    "job-queue": job_queue,
    "mysql-query": mysql_query,
    "mysql-multi-server": mysql_multi_server,
    "mysql-pool": mysql_pool,
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
