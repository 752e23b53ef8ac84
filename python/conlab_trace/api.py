"""What a program imports: one line each, visible in the program.

    from conlab_trace import mark, phase, metric, param, seconds

Every function works outside the tracer too (then it records nothing and parameters take
their defaults), so a program also runs with plain `python3 program.py`.
"""

import sys

from . import catalog
from .recorder import add_mark, current_lane, end_lane, new_lane, now, rec, tls, user_site

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
    (`phase_start` and `phase_end` marks whose detail is the name), as checks read them."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        lane = current_lane()
        if lane is not None:
            add_mark(lane, "phase_start", self.name, user_site(2))
        return self

    def __exit__(self, *exc):
        lane = current_lane()
        if lane is not None:
            add_mark(lane, "phase_end", self.name, user_site(2))
        return False


def metric(key, value, unit):
    """A figure of the program's own (`metric("results_correct", 10, "results")`)."""
    if rec.on:
        rec.metrics[key] = (float(value), unit)


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
