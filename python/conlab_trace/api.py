"""What a program imports: one line each, visible in the program.

    from conlab_trace import mark, phase, metric, param, seconds
    from conlab_trace import clock, computing, span, watch_for_deadlock  # where needed
    from conlab_trace import servers, run_id, untraced, server_file, target  # where needed
    from conlab_trace import latency, chart  # a program that measures requests itself

Every function works outside the tracer too (then it records nothing and parameters take
their defaults), so a program also runs with plain `python3 program.py`.
"""

import collections
import os
import sys
import time
from urllib.parse import urlsplit

from . import catalog
from .recorder import (
    add_mark,
    close_span,
    current_lane,
    end_lane,
    new_lane,
    now,
    open_span,
    relabel_span,
    rec,
    tls,
    user_site,
)

#: The run's parameters as given (`name` -> text), set by the tracer.
given = {}
#: The scenario being run, set by the tracer (else read from the program's path).
scenario = {"id": None}


def mark(name, detail=""):
    """A point event on the current lane (`mark("set_result", "42")`)."""
    lane = current_lane()
    if lane is not None:
        add_mark(lane, name, str(detail), user_site(2))


class phase:
    """`with phase("gather"):` marks where phase `gather` of the run starts and ends
    (`phase_start` and `phase_end` marks whose detail is the name), as checks read them. Just
    inside both ends it notes the machine's idle time (a `machine_idle` mark), as conlab's
    thread toolkit does, so a check can tell how many cores the phase could have had."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        lane = current_lane()
        if lane is not None:
            site = user_site(2)
            add_mark(lane, "phase_start", self.name, site)
            _note_machine_idle(lane, site)
        return self

    def __exit__(self, *exc):
        lane = current_lane()
        if lane is not None:
            site = user_site(2)
            _note_machine_idle(lane, site)
            add_mark(lane, "phase_end", self.name, site)
        return False


def _note_machine_idle(lane, site):
    """A `machine_idle` mark: `<idle ns> <resolution ns> <cpus>`, the idle time of every CPU
    of the machine so far (where the machine says), as `conlab_native::MachineIdle` reads it."""
    idle = machine_idle()
    if idle is not None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        add_mark(lane, "machine_idle", f"{idle[0]} {idle[1]} {cpus}", site)


def machine_idle():
    """(idle ns summed over the CPUs, the step it is counted in): from the kernel's `cpuidle`
    statistics (microseconds), else `/proc/stat` (clock ticks); None where neither is read."""
    total, found = 0, False
    base = "/sys/devices/system/cpu"
    try:
        cpus = [c for c in os.listdir(base) if c.startswith("cpu") and c[3:].isdigit()]
    except OSError:
        cpus = []
    for cpu in cpus:
        folder = f"{base}/{cpu}/cpuidle"
        try:
            states = os.listdir(folder)
        except OSError:
            continue
        for state in states:
            try:
                with open(f"{folder}/{state}/time") as f:
                    total += int(f.read())
                found = True
            except (OSError, ValueError):
                pass
    if found:
        return total * 1000, 1000
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        tick = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
        return (int(fields[4]) + int(fields[5])) * tick, tick
    except (OSError, ValueError, IndexError):
        return None


class computing:
    """`with computing(): count(n)`: the block computes on this thread (a `computing` span),
    and a `cpu_time` mark says how much CPU time it took this thread (`time.thread_time_ns`):
    what checks of parallelism add up."""

    def __enter__(self):
        self._lane = current_lane()
        if self._lane is not None:
            self._span = open_span(self._lane, "computing", "", user_site(2))
        self._cpu = time.thread_time_ns()
        return self

    def __exit__(self, *exc):
        used = time.thread_time_ns() - self._cpu
        if self._lane is not None and rec.on:
            close_span(self._lane, self._span)
            add_mark(self._lane, "cpu_time", str(used), user_site(2))
        return False


class span:
    """`with span("running", f"task {i}"):` records the block as a span of this lane in the
    state given (conlab's states: `running`, `computing`, `in_flight` ...), labelled. A label
    known only inside the block is given there: `with span("blocked_io", "header") as s:` …
    `s.label = "blank line"`."""

    def __init__(self, state, label=""):
        self.state = state
        self.label = label

    def __enter__(self):
        self._lane = current_lane()
        if self._lane is not None:
            self._span = open_span(self._lane, self.state, str(self.label), user_site(2))
        return self

    def __exit__(self, *exc):
        if self._lane is not None and rec.on:
            relabel_span(self._lane, self._span, str(self.label))
            close_span(self._lane, self._span)
        return False


_started = now()


def clock():
    """Nanoseconds since the run began: the trace's own time (what a mark's `t` says)."""
    return now() - (rec.t0 if rec.on else _started)


def watch_for_deadlock():
    """Watches the program's locks for a deadlock from now on: `watch.deadlock()` then says
    who waits for a lock held by whom, if the waits closed a cycle (see `threads.Watch`)."""
    from .threads import Watch

    return Watch()


def metric(key, value, unit):
    """A figure of the program's own (`metric("results_correct", 10, "results")`)."""
    if rec.on:
        rec.metrics[key] = (float(value), unit)


#: The latency figures a program measured itself, in nanoseconds (as `LatencySummary`).
LATENCY_FIGURES = ("count", "min", "mean", "p50", "p90", "p99", "p999", "max")


def latency(summary):
    """The request latencies the program measured itself (a load tester's) as the run's latency
    figures: `summary` maps each of `LATENCY_FIGURES` to nanoseconds (`count` to a number of
    answers) and `throughput_per_s` to answers per second. conlab keeps them as measured,
    where it would otherwise compute them from the `in_flight` spans."""
    if rec.on:
        figures = {k: int(summary[k]) for k in LATENCY_FIGURES}
        rec.latency = {**figures, "throughput_per_s": float(summary["throughput_per_s"]),
                       "measured": True}


def chart(key, title, kind, x_unit, y_unit, points):
    """A chart of what the program measured, drawn beside its timeline: `kind` "bars" (a
    histogram: x is each bucket's upper edge) or "line" (a series), `points` as (x, y) in
    increasing x (`chart("latency_histogram", "latency histogram", "bars", "ms", "requests",
    bars)`)."""
    if kind not in ("bars", "line"):
        raise ValueError(f"a chart is drawn as bars or a line, not {kind!r}")
    if rec.on:
        rec.charts.append({"key": key, "title": title, "kind": kind, "x_unit": x_unit,
                           "y_unit": y_unit, "points": [[float(x), float(y)] for x, y in points]})


def _defaults():
    sid = scenario["id"]
    if sid is None:
        main = sys.modules.get("__main__")
        sid = catalog.scenario_of(getattr(main, "__file__", "") or "")
    return catalog.SCENARIOS.get(sid, (None, {}))[1]


def param(name):
    """Parameter `name` of this run, typed: a whole number, a number, a list of whole numbers
    (`sleeps_ms`), True/False, or text; its default where the run did not give it."""
    defaults = _defaults()
    default = defaults.get(name, 1 if name == catalog.TIME_SCALE else None)
    if name in given:
        return catalog.parse(given[name], default)
    if default is None:
        raise KeyError(f"parameter {name!r} was not given and has no default")
    return list(default) if isinstance(default, list) else default


def seconds(name):
    """A millisecond parameter (`sleep_ms`, or a list such as `sleeps_ms`) in seconds, times
    the run's `time-scale`: what to hand `asyncio.sleep`."""
    scale = param(catalog.TIME_SCALE)
    value = param(name)
    if isinstance(value, list):
        return [ms * scale / 1000 for ms in value]
    return value * scale / 1000


class lane:
    """A lane of the program's own, for code that is no thread, task or process: a generator
    (`me = lane("generator")`, then `me.mark("yield", 1)` and `me.end()`), or a callback the
    loop runs (`with lane("done callback"):` puts what happens inside on the lane, and ends
    it after)."""

    def __init__(self, name, kind="task"):
        self._lane = new_lane(kind, name) if rec.on else None
        self._saved = None

    def mark(self, name, detail=""):
        if self._lane is not None and rec.on:
            add_mark(self._lane, name, str(detail), user_site(2))

    def end(self):
        if self._lane is not None and rec.on:
            end_lane(self._lane, now())

    def __enter__(self):
        if self._lane is not None:
            self._saved = (tls.lane, tls.driver)
            tls.lane, tls.driver = self._lane, None
        return self

    def __exit__(self, *exc):
        if self._lane is not None:
            tls.lane, tls.driver = self._saved
            self.end()
        return False


def test_server():
    """Where to send slow requests: conlab's test server when the run names one
    (`CONLAB_TEST_SERVER=host:port`), else a stand-in started here. Either answers
    `GET /files/io?size=0&latency_us=N` after N microseconds. Returns (host, port, describe)."""
    from .testserver import test_server as find

    return find()


#: Where a server answers when a program is run by hand, without conlab to find one (the
#: `conlab` user that `scripts/setup-servers.sh` makes).
LOCAL_SERVERS = {
    "redis": "redis://127.0.0.1:6379/0",
    "mysql": "mysql://conlab:conlab@127.0.0.1:3306/conlab",
}


def servers(kind, n=1):
    """The URLs of the `n` servers of `kind` (`"redis"` or `"mysql"`) this run talks to, in
    order: those conlab found for it as for its own run (`CONLAB_REDIS_URLS`,
    `CONLAB_MYSQL_URLS`: configured, local, or private servers started for the run); by hand,
    `CONLAB_REDIS_URL` / `CONLAB_MYSQL_URL` or the local default, used for each of the `n`.
    (A URL may hold a password: print where a program connects by its host, not its URL.)"""
    upper = kind.upper()
    urls = os.environ.get(f"CONLAB_{upper}_URLS", "").split()
    if not urls:
        urls = [os.environ.get(f"CONLAB_{upper}_URL") or LOCAL_SERVERS[kind]]
    return [urls[min(i, len(urls) - 1)] for i in range(n)]


_own_run_id = f"{os.getpid():x}{time.time_ns():x}"[-16:]


def run_id():
    """The id that names everything this run creates on a server (Redis keys
    `conlab:<id>:…`, MySQL tables `conlab_…_<id>`): conlab's, which removes what a run stopped
    early leaves under it; by hand, one made here (hex digits, as conlab's)."""
    return os.environ.get("CONLAB_RUN_ID") or _own_run_id


class untraced:
    """`with untraced(): ...` runs the block unrecorded: the tasks and loops it starts get no
    lanes, and a figure it measures is the program's own work without the tracer's cost (as
    conlab times its loops untraced beside its traced run). Only for a block where nothing
    else the program started is running."""

    def __enter__(self):
        self._was = rec.on
        rec.on = False
        return self

    def __exit__(self, *exc):
        rec.on = self._was
        return False


def server_file(name, size):
    """(length, CRC-32) of file `name` of `size` bytes as conlab's test server makes it
    (`GET /files/<name>?size=<size>`: text generated from the name), to check a download
    against without fetching it twice."""
    from .testserver import file_crc32

    return size, file_crc32(name, size)


Target = collections.namedtuple("Target", "host port authority path")


def target(url):
    """Where an `http://` URL parameter points: `(host, port, authority, path)`, the address
    to connect to, the `Host` header, and the path with its query. Under conlab, host and port
    are the address conlab resolved and allowed before the run (`CONLAB_TARGET_ADDR`: this
    machine only unless `--allow-remote`, and within `conlab serve`'s targets), so the program
    connects exactly where conlab checked."""
    u = urlsplit(url)
    host, port = u.hostname, u.port or 80
    checked = os.environ.get("CONLAB_TARGET_ADDR")
    if checked:
        host, _, port = checked.rpartition(":")
        host, port = host.strip("[]"), int(port)
    authority = u.netloc.rpartition("@")[2]
    return Target(host, port, authority, (u.path or "/") + (f"?{u.query}" if u.query else ""))
